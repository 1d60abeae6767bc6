"""Chat commands added to the core: subscribe / unsubscribe (admins), own / status / merge (managers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from bot.cards import STATUS_WORDS
from bot.commands import Command
from bot.domain import Person, Reply, Role, Section
from bot.errors import InputError, PermissionDenied
from bot.redact import Redactor
from digests.digest import parse_audience
from digests.loop import Told, notify_reporters, read_status, set_pattern
from digests.merging import Merged
from digests.subscriptions import (
    describe,
    list_subscriptions,
    schedule_note,
    standings,
    subscribe,
    unsubscribe,
    unsubscribe_number,
    zone_name,
)
from store.db import session_scope
from store.models import Pattern
from store.reports import find_tenant

if TYPE_CHECKING:
    from bot.app import Services
    from bot.ports import Messenger

__all__ = ["OWNER_CHARS", "chat_commands", "merged_reply", "owner_text", "told_line"]

Handler = Callable[[Person, Command], Reply]


OWNER_CHARS = 120  # the longest owner kept: every reporter of the pattern reads it in their update
# What clears a pattern's owner (`own 5 none`): stored as no owner, never as the word.
_NO_OWNER = frozenset({"none", "nobody", "no one", "noone", "no owner", "no-one", "unassigned", "unowned", "-", "--"})
# What the redactor's placeholders stand for, in the words the manager is told.
_HIDDEN = {"email": "an e-mail address", "phone": "a phone number", "url": "a link"}
_PLACEHOLDER = re.compile(r"\[([a-z_]+)\]")


def owner_text(said: str, redactor: Redactor, *, number: int | None = None) -> tuple[str, tuple[str, ...]]:
    """The owner to store for what a manager typed ("" clears it), and what they are told about it.

    Every reporter of the pattern reads the owner, and staff see it in `top` and `mine`: contact
    details and other identifiers are redacted as report texts are, and a long owner is cut."""
    flat = " ".join(said.split())
    if flat.strip(".!").lower() in _NO_OWNER:
        return "", ()
    owner = redactor.redact(flat)
    notices: list[str] = []
    again = f"`own {number} <name or team>`" if number is not None else "`own <id> <name or team>`"
    if owner != flat:
        if not _PLACEHOLDER.sub("", owner).strip(" .,;:()-–—/|"):
            raise InputError(
                "Every reporter of the pattern reads its owner, so it can't be only contact details. "
                f"Type a name or a team instead: {again}."
            )
        hidden = [_HIDDEN.get(m, "personal details") for m in _PLACEHOLDER.findall(owner) if f"[{m}]" not in flat]
        notices.append(
            f"I hid {' and '.join(dict.fromkeys(hidden)) or 'personal details'} in the owner: every reporter "
            f"of the pattern reads it. To say it differently, type {again}."
        )
    if len(owner) > OWNER_CHARS:
        cut = owner[:OWNER_CHARS]
        owner = (cut.rsplit(" ", 1)[0] if " " in cut and owner[OWNER_CHARS] != " " else cut).rstrip(" ,;:-")
        notices.append(f"An owner can be at most {OWNER_CHARS} characters, so I kept “{owner}”.")
    return owner, tuple(notices)


def told_line(told: int, reporters: int, *, k: int, owed: int = 0) -> str:
    """Who heard of a change: how many only when at least k did, so a small pattern's few
    reporters are not counted out to the manager (its `pattern <id>` stays private too). `owed`:
    those whose platform failed, who will be told when it answers (counted likewise)."""
    if owed:
        many = f"{owed if owed >= k else f'fewer than {k}'}{' more' if told else ''}"
        later = f"{many} will be told when their platform answers"
        if told >= k:
            return f"Told {told} reporters; {later}."
        if told:
            return f"Told fewer than {k} of its reporters; {later}."
        return f"Nobody was told yet: {later}."
    if told >= k:
        return f"Told {told} reporters."
    if told and reporters < k:
        return f"Told its reporters (fewer than {k})."
    if told:
        return f"Told fewer than {k} of its reporters; the others can't be reached by direct message."
    return "None of its reporters can be reached by direct message, so nobody was told."


# What `subscribe` takes after the audience (tz and timezone are one), and how it and `unsubscribe` are written.
SUBSCRIBE_KEYS = ("cron", "tz", "timezone")
_SUBSCRIBE_FORM = (
    '`subscribe [audience] [cron="0 9 * * mon"] [tz=Europe/London]`, '
    'e.g. `subscribe team:{team} cron="0 8 * * fri" tz=Europe/London`'
)
_UNSUBSCRIBE_FORM = (
    "`unsubscribe [audience]`, e.g. `unsubscribe team:{team}`, or `unsubscribe #N` (`subscriptions` lists them)"
)


def _subscription_number(args: tuple[str, ...]) -> int | None:
    """N of `unsubscribe #N` (or `unsubscribe N`): one subscription, named by its number in `subscriptions`."""
    if len(args) != 1:
        return None
    digits = args[0].removeprefix("#")
    return int(digits) if digits.isdigit() else None


_OTHER_WORDS = {"schedule": "cron"}  # a word for an option that is no slip of its spelling


def _options(
    args: tuple[str, ...], *, keys: tuple[str, ...], form: str, nothing: str
) -> tuple[str | None, dict[str, str]]:
    """The audience typed (None: none) and the options, tz and timezone both as tz.

    InputError, and nothing done, for an option not in `keys` or a stray word: they were ignored
    before, so `subscribe team:finance zone=Europe/London` was saved on the default schedule and
    time zone (and replaced an existing subscription's) without a word."""
    import shlex

    text = " ".join(args).replace("“", '"').replace("”", '"')
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise InputError('Put the schedule in straight quotes, e.g. cron="0 9 * * mon".') from exc
    plain: list[str] = []
    named: list[tuple[str, str]] = []
    unquoted = False
    for arg in tokens:
        key, eq, value = arg.partition("=")
        if eq:
            named.append((key.lower(), value))
        elif named and _meant(named[-1][0], SUBSCRIBE_KEYS) == "cron" and len(named[-1][1].split()) < 5:
            named[-1] = (named[-1][0], f"{named[-1][1]} {arg}")  # cron=0 8 * * fri: the rest of the schedule
            unquoted = unquoted or named[-1][0] == "cron"
        else:
            plain.append(arg)
    audience = plain.pop(0) if plain and _stray_meaning(plain[0]) is None else None
    wrong = [_said(key, value, _meant(key, keys)) for key, value in named if key not in keys]
    wrong += [_said(word, None, meant if (meant := _stray_meaning(word)) in keys else None) for word in plain]
    if wrong:
        raise InputError(f"I didn't understand {' or '.join(wrong)}, so nothing was {nothing}. Write it as {form}.")
    found: dict[str, str] = {}
    for key, value in named:
        same = "tz" if key == "timezone" else key
        if found.setdefault(same, value) != value:
            what = "time zones" if same == "tz" else "schedules"
            raise InputError(f"You gave two {what}, {found[same]} and {value}, so nothing was {nothing}: give one.")
    if unquoted:
        raise InputError(f'Put the schedule in straight quotes: cron="{found["cron"]}".')
    return audience, found


def _meant(key: str, keys: tuple[str, ...]) -> str | None:
    """The option `key` was most likely meant as: itself, or the one it is another word or a slip for."""
    import difflib

    if key in keys:
        return key
    if _OTHER_WORDS.get(key) in keys:
        return _OTHER_WORDS[key]
    return next(iter(difflib.get_close_matches(key, keys, n=1, cutoff=0.6)), None)


def _stray_meaning(word: str) -> str | None:
    """The option a word typed on its own was most likely meant as: a schedule, a time zone, or none."""
    if len(word.split()) == 5:
        return "cron"
    return "tz" if zone_name(word) else None


def _said(typed: str, value: str | None, meant: str | None) -> str:
    """One thing not understood, as typed (`value` None: a word on its own), and what it likely meant."""
    was = f"`{typed}`" if value is None else f"`{_option(typed, value)}`"
    if meant is None:
        return was
    value = typed if value is None else value
    return f"{was} (did you mean `{_option(meant, (zone_name(value) if meant == 'tz' else None) or value)}`?)"


def _option(key: str, value: str) -> str:
    """An option as it is typed: `tz=Europe/London`, `cron="0 9 * * mon"`."""
    return f'{key}="{value}"' if " " in value else f"{key}={value}"


def chat_commands(services: Services, notify: Callable[[Pattern], int]) -> dict[str, Handler]:
    """Handlers keyed by command name, for Snag.extra_commands."""
    settings, engine = services.settings, services.engine

    def _admin(person: Person) -> None:
        if person.role is not Role.ADMIN:
            raise PermissionDenied("Managing digest subscriptions is for admins.")

    def _form(form: str) -> str:
        """How a command is written, its example one of this organisation's teams."""
        return form.format(team=services.taxonomy.team_labels[0])

    def on_subscribe(person: Person, command: Command) -> Reply:
        _admin(person)
        typed, named = _options(command.args, keys=SUBSCRIBE_KEYS, form=_form(_SUBSCRIBE_FORM), nothing="saved")
        audience = parse_audience(typed, services.taxonomy).key
        cron = named.get("cron", settings.digest_cron)
        tz = named.get("tz", settings.digest_timezone)
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
        numbered = _subscription_number(command.args)
        if numbered is not None:  # from anywhere: a deleted channel's can never be typed in it
            return _unsubscribe_number(person, numbered)
        typed, _ = _options(command.args, keys=(), form=_form(_UNSUBSCRIBE_FORM), nothing="removed")
        audience = parse_audience(typed, services.taxonomy).key if typed else None
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

    def _unsubscribe_number(person: Person, number: int) -> Reply:
        with session_scope(engine) as session:
            count = unsubscribe_number(session=session, platform=person.platform, tenant=person.tenant, number=number)
        if count:
            return Reply(kind="saved", title=f"Unsubscribed #{number}: its digests and alerts stop.")
        return Reply(
            kind="text", title=f"No subscription #{number} in this organisation: `subscriptions` lists them by number."
        )

    def on_subscriptions(person: Person, command: Command) -> Reply:
        _admin(person)
        here = command.channel or person.user
        with session_scope(engine) as session:
            found = standings(
                session=session, now=services.snag.clock(), platform=person.platform, tenant=person.tenant
            )
            lines = [(s.subscription.destination == here, describe(s)) for s in found]
        if not lines:
            return Reply(
                kind="text",
                title="No digest subscriptions in this organisation yet: `subscribe` sends the digest here.",
            )
        return Reply(
            kind="text",
            title=f"Digest subscriptions in this organisation: {len(lines)}.",
            sections=tuple(
                Section(text=f"{'(here) ' if at_here else ''}{head}\n{detail}") for at_here, (head, detail) in lines
            ),
        )

    def _change(person: Person, command: Command, *, owner: str | None = None, status: str | None = None) -> Reply:
        assert command.number is not None
        before = services.snag.repository.get_pattern(person=person, pattern_id=command.number)
        row, changed = set_pattern(
            engine,
            platform=person.platform,
            tenant=person.tenant,
            pattern_id=command.number,
            owner=owner,
            status=status,
        )
        reporters = before.reporter_count if before else 0
        sent = notify(row) if changed else None
        owed = sent.owed if isinstance(sent, Told) else 0
        told = told_line(sent, reporters, k=settings.anonymity_k, owed=owed) if sent is not None else None
        said = STATUS_WORDS.get(row.status, row.status)
        whose = f"owner {row.owner}" if row.owner else "no owner"
        return Reply(
            kind="saved",
            title=f"Pattern #{row.id}: status {said}, {whose}. {told or 'Nothing changed; nobody was told again.'}",
        )

    def _manager(person: Person) -> None:
        if not person.role.sees_texts:
            raise PermissionDenied("Setting a pattern's owner or status is for managers and admins.")

    def on_own(person: Person, command: Command) -> Reply:
        _manager(person)
        owner, notices = owner_text(" ".join(command.args), services.snag.redactor, number=command.number)
        reply = _change(person, command, owner=owner)
        return replace(reply, notices=notices)

    def on_status(person: Person, command: Command) -> Reply:
        _manager(person)
        return _change(person, command, status=read_status(" ".join(command.args), number=command.number))

    def on_merge(person: Person, command: Command) -> Reply:
        if not person.role.sees_texts:
            raise PermissionDenied("Merging patterns is for managers and admins; `top` shows the shared picture.")
        assert command.number is not None and command.args
        merged = services.extras["grouper"].merge(
            platform=person.platform, tenant=person.tenant, source=command.number, target=int(command.args[0])
        )
        return merged_reply(merged)

    return {
        "subscribe": on_subscribe,
        "unsubscribe": on_unsubscribe,
        "subscriptions": on_subscriptions,
        "own": on_own,
        "status": on_status,
        "merge": on_merge,
    }


def merged_reply(merged: Merged) -> Reply:
    """What the manager who merged is told: how many reports moved and the merged pattern's title,
    nothing about who reported. Its reporters are not told now: they hear of it when its owner or
    status changes, as all its reporters do."""
    moved = f"{merged.moved} report{'' if merged.moved == 1 else 's'}"
    whose = f"owner {merged.owner}" if merged.owner else "no owner"
    notices: tuple[str, ...] = ()
    if merged.source_owner:
        notices = (
            f"#{merged.source} was owned by {merged.source_owner}; #{merged.target} has no owner. "
            f"To give it the same, type `own {merged.target} {merged.source_owner}`.",
        )
    return Reply(
        kind="saved",
        title=(
            f"Merged pattern #{merged.source} into #{merged.target}: {moved} moved. #{merged.target} is now "
            f"“{merged.title}” (status {STATUS_WORDS.get(merged.status, merged.status)}, {whose}). "
            f"Nobody was told; its reporters hear of it when its owner or status changes."
        ),
        notices=notices,
    )


def reach(services: Services) -> tuple[Mapping[str, Messenger], Callable[..., Any]] | None:
    """This process's messengers (built once) and what runs their sends, for messages to reporters;
    None when it has no platform to send on."""
    from adapters.messengers import build_messengers
    from digests.delivery import AsyncRunner

    messengers = build_messengers(services)
    if not messengers:
        return None
    runner = services.extras.get("async_runner") or services.extras.setdefault("async_runner", AsyncRunner())
    return messengers, runner.run


def notifier(services: Services) -> Notify:
    """Tell a pattern's reporters, with the messengers this process has."""

    def notify(pattern: Pattern, *, reopened: bool = False) -> int:
        found = reach(services)
        if found is None:
            return 0
        messengers, run_async = found
        return notify_reporters(
            services.engine,
            pattern=pattern,
            messengers=messengers,
            run_async=run_async,
            k=services.settings.anonymity_k,
            taxonomy=services.taxonomy,
            reopened=reopened,
        )

    return notify


class Notify(Protocol):
    """Tells a pattern's reporters of a change (`reopened`: a resolved pattern reported again); how many were told."""

    def __call__(self, pattern: Pattern, *, reopened: bool = False) -> int: ...
