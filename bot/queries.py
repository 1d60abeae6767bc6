"""The query and admin commands: help, top, mine, search, pattern, stats, digest, erase; and the
answer to a message that is not a report (bot.smalltalk)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import cards, listings, smalltalk
from bot.commands import Command, TheirUsage, parse_filters, usage_for
from bot.domain import Person, Reply
from bot.erasing import erase_command
from bot.errors import InputError, NotFound, PermissionDenied, UsageError

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["CommandHandler", "run_command"]

_TAKE_BACK = "To take one back, type `erase <number>`; `erase mine` takes back all of them."

# A command another package adds (digest subscriptions, retrain, reload): Snag.extra_commands.
CommandHandler = Callable[[Person, Command], Reply]


def run_command(snag: Snag, person: Person, command: Command) -> Reply:
    """Answer a query command (help, top, search, mine, pattern, stats, digest...).

    A usage problem comes with the asker's own help (TheirUsage), never the whole command list."""
    try:
        return _run(snag, person, command)
    except UsageError as exc:
        if isinstance(exc, TheirUsage):
            raise
        raise TheirUsage(exc.message, person.role) from exc


def _help(person: Person) -> Reply:
    return cards.usage(usage_for(person.role), note=cards.WHO_SEES)


def _run(snag: Snag, person: Person, command: Command) -> Reply:
    now = snag.clock()
    k = snag.options.anonymity_k
    if command.name == "help":
        return _help(person)
    if command.name == "not_report":
        said = smalltalk.answer(command.args[0], command.text)
        return replace(_help(person), title=said.title, notices=said.notices) if command.args[0] == "help" else said
    if command.name == "top":
        filters = parse_filters(command.args, snag.taxonomy, now)
        patterns, other = snag.repository.ranked_patterns(person=person, filters=filters, k=k, limit=10)
        return listings.top(patterns, filters, snag.taxonomy, k=k, other=other)
    if command.name == "mine":
        reports, joined = listings.own_reports(snag.repository, person, snag.key_of(person))
        mine = listings.mine(reports, snag.taxonomy, patterns=joined)
        return replace(mine, notices=(*mine.notices, _TAKE_BACK)) if reports else mine
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
        return erase_command(snag, person, command)
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
        latest = snag.repository.list_reports(person=person, pattern_id=pattern.id, limit=listings.QUOTE_POOL)
        quotes = tuple(r.text for r in latest if not r.shared)  # a search of the channel would find who wrote it
    return listings.pattern(pattern, snag.taxonomy, quotes=quotes, k=k)


_SHOWN = 10  # reports a search lists


def _search(snag: Snag, person: Person, words: tuple[str, ...]) -> Reply:
    """The newest reports with those words, and how many there are in all (a list cut short says so)."""
    if not person.role.sees_texts:
        raise PermissionDenied(
            "Searching individual reports is for managers. Try `top` or `pattern <id>` for the shared picture."
        )
    reports, matched, capped = snag.repository.search_counted(person=person, words=words, limit=_SHOWN)
    return listings.search(reports, words, snag.taxonomy, now=snag.clock(), matched=matched, capped=capped)
