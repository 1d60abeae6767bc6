"""The query and admin commands: help, top, mine, search, pattern, stats, digest, erase."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import cards, listings
from bot.commands import USAGE, Command, parse_filters
from bot.domain import Person, Reply, Role
from bot.errors import InputError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["CommandHandler", "run_command"]

# A command another package adds (digest subscriptions, retrain, reload): Snag.extra_commands.
CommandHandler = Callable[[Person, Command], Reply]


def run_command(snag: Snag, person: Person, command: Command) -> Reply:
    """Answer a query command (help, top, search, mine, pattern, stats, digest...)."""
    now = snag.clock()
    k = snag.options.anonymity_k
    if command.name == "help":
        return cards.usage(USAGE)
    if command.name == "top":
        filters = parse_filters(command.args, snag.taxonomy, now)
        patterns, other = snag.repository.ranked_patterns(person=person, filters=filters, k=k, limit=10)
        return listings.top(patterns, filters, snag.taxonomy, k=k, other=other)
    if command.name == "mine":
        reports, joined = listings.own_reports(snag.repository, person, snag.key_of(person))
        return listings.mine(reports, snag.taxonomy, patterns=joined)
    if command.name == "search":
        return _search(snag, person, command.args)
    if command.name == "pattern":
        assert command.number is not None
        return _pattern(snag, person, command.number, k)
    if command.name == "stats":
        stats = snag.repository.stats(person=person, since=now - timedelta(days=30), k=k)
        return listings.stats(stats, snag.taxonomy, k=k)
    if command.name == "digest":
        if snag.digests is None:
            raise InputError("Digests are not set up in this installation yet.")
        audience = command.args[0] if command.args else None
        return snag.digests.preview(person=person, audience=audience, now=now)
    if command.name == "erase":
        return _erase(snag, person, command.args[0])
    handler = snag.extra_commands.get(command.name)
    if handler is not None:
        return handler(person, command)
    raise InputError(f"`{command.name}` is not available here yet.")


def _pattern(snag: Snag, person: Person, number: int, k: int) -> Reply:
    """One pattern; a few of its reports' texts for those who may read them."""
    pattern = snag.repository.get_pattern(person=person, pattern_id=number)
    if pattern is None:
        raise NotFound(f"There is no pattern #{number}.")
    quotes: tuple[str, ...] = ()
    if person.role.sees_texts and pattern.reporter_count >= k:
        quotes = tuple(r.text for r in snag.repository.list_reports(person=person, pattern_id=pattern.id, limit=3))
    return listings.pattern(pattern, snag.taxonomy, quotes=quotes, k=k)


def _search(snag: Snag, person: Person, words: tuple[str, ...]) -> Reply:
    if not person.role.sees_texts:
        raise PermissionDenied(
            "Searching individual reports is for managers. Try `top` or `pattern <id>` for the shared picture."
        )
    reports = snag.repository.list_reports(person=person, words=words, limit=10)
    return listings.search(reports, words, snag.taxonomy)


def _erase(snag: Snag, admin: Person, who: str) -> Reply:
    """Admin command: erase one person's reports in this workspace or tenant."""
    if admin.role is not Role.ADMIN:
        raise PermissionDenied("Erasing someone's reports is for admins.")
    user = who.strip("<@>").split("|")[0]
    if not user:
        raise InputError("Say whose reports to erase, e.g. `erase @name` or `erase U0123`.")
    subject = replace(admin, user=user)
    count = snag.erase(subject)
    return cards.thanks(None, f"Erased {count} report(s) and everything linked to them.")
