"""Chat commands added to the core: subscribe / unsubscribe (admins), own / status (managers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cards import STATUS_WORDS
from bot.commands import Command
from bot.domain import Person, Reply, Role, Section
from bot.errors import InputError, PermissionDenied
from digests.digest import parse_audience
from digests.loop import notify_reporters, read_status, set_pattern
from digests.subscriptions import list_subscriptions, schedule_note, subscribe, unsubscribe
from store.db import session_scope
from store.models import Pattern
from store.reports import find_tenant

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["chat_commands"]

Handler = Callable[[Person, Command], Reply]


def _options(args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    import shlex

    text = " ".join(args).replace("“", '"').replace("”", '"')
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise InputError('Put the schedule in straight quotes, e.g. cron="0 9 * * mon".') from exc
    plain: list[str] = []
    named: dict[str, str] = {}
    last, unquoted = "", False
    for arg in tokens:
        key, eq, value = arg.partition("=")
        if eq:
            last, named[key.lower()] = key.lower(), value
        elif last == "cron" and len(named["cron"].split()) < 5:  # cron=0 8 * * fri: the rest of the schedule
            named["cron"], unquoted = f"{named['cron']} {arg}", True
        else:
            last = ""
            plain.append(arg)
    if unquoted:
        raise InputError(f'Put the schedule in straight quotes: cron="{named["cron"]}".')
    return plain, named


def chat_commands(services: Services, notify: Callable[[Pattern], int]) -> dict[str, Handler]:
    """Handlers keyed by command name, for Snag.extra_commands."""
    settings, engine = services.settings, services.engine

    def _admin(person: Person) -> None:
        if person.role is not Role.ADMIN:
            raise PermissionDenied("Managing digest subscriptions is for admins.")

    def on_subscribe(person: Person, command: Command) -> Reply:
        _admin(person)
        plain, named = _options(command.args)
        audience = parse_audience(plain[0] if plain else None, services.taxonomy).key
        cron = named.get("cron", settings.digest_cron)
        tz = named.get("tz", named.get("timezone", settings.digest_timezone))
        with session_scope(engine) as session:
            subscribe(
                session=session,
                platform=person.platform,
                tenant=person.tenant,
                audience=audience,
                destination=command.channel or person.user,
                cron=cron,
                timezone=tz,
            )
        note = schedule_note(cron, tz)
        return Reply(
            kind="saved",
            title=f'Subscribed: the {audience} digest comes here on "{cron}" ({tz}), with alerts.',
            sections=(Section(text=note),) if note else (),
        )

    def on_unsubscribe(person: Person, command: Command) -> Reply:
        _admin(person)
        plain, _ = _options(command.args)
        audience = parse_audience(plain[0], services.taxonomy).key if plain else None
        here = command.channel or person.user
        with session_scope(engine) as session:
            count = unsubscribe(
                session=session, platform=person.platform, tenant=person.tenant, destination=here, audience=audience
            )
            tenant = find_tenant(session=session, platform=person.platform, external_id=person.tenant)
            left = [  # this organisation's only: a shared channel has one id in two organisations
                s.audience
                for s in list_subscriptions(session=session)
                if (s.platform, s.destination, s.tenant_id) == (person.platform, here, tenant.id if tenant else None)
            ]
        if count:
            return Reply(kind="saved", title=f"Unsubscribed {count} digest subscription(s) here.")
        which = f"no {audience} digest" if audience else "no digest"
        still = f" Digests that do come here: {', '.join(left)}." if left else ""
        return Reply(kind="text", title=f"Nothing to unsubscribe: {which} comes here.{still}")

    def _change(person: Person, command: Command, *, owner: str | None = None, status: str | None = None) -> Reply:
        if not person.role.sees_texts:
            raise PermissionDenied("Setting a pattern's owner or status is for managers and admins.")
        assert command.number is not None
        row, changed = set_pattern(
            engine,
            platform=person.platform,
            tenant=person.tenant,
            pattern_id=command.number,
            owner=owner,
            status=status,
        )
        told = notify(row) if changed else 0
        said = STATUS_WORDS.get(row.status, row.status)
        return Reply(
            kind="saved",
            title=f"Pattern #{row.id}: status {said}, owner {row.owner or 'none'}. Told {told} reporter(s).",
        )

    def on_own(person: Person, command: Command) -> Reply:
        return _change(person, command, owner=" ".join(command.args)[:120])

    def on_status(person: Person, command: Command) -> Reply:
        return _change(person, command, status=read_status(" ".join(command.args)))

    return {"subscribe": on_subscribe, "unsubscribe": on_unsubscribe, "own": on_own, "status": on_status}


def notifier(services: Services) -> Callable[[Pattern], int]:
    """Tell a pattern's reporters, with the messengers this process has."""

    def notify(pattern: Pattern) -> int:
        from adapters.messengers import build_messengers
        from digests.delivery import AsyncRunner

        messengers = build_messengers(services)
        if not messengers:
            return 0
        runner = services.extras.get("async_runner") or services.extras.setdefault("async_runner", AsyncRunner())
        return notify_reporters(
            services.engine,
            pattern=pattern,
            messengers=messengers,
            run_async=runner.run,
            k=services.settings.anonymity_k,
            taxonomy=services.taxonomy,
        )

    return notify
