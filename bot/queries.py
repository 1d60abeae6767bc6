"""The query and admin commands: help, top, mine, search, pattern, stats, digest, erase; and the
answer to a message that is not a report (bot.smalltalk).

What others reported (top, stats, pattern <id>, search) is read as of the cut, midnight UTC today
(bot.commands.cut_of): asked before and after a colleague files, the answers are the same, so
neither tells their report. A person's own reports (`mine`) show at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot import cards, listings, smalltalk
from bot.commands import Command, TheirUsage, cut_of, parse_filters, usage_for, window_start
from bot.domain import RETAINED_TEXT, Person, Reply, ReportRecord
from bot.erasing import erase_command
from bot.errors import InputError, NotFound, PermissionDenied, UsageError
from bot.text import has_words

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["CommandHandler", "run_command"]

_HOPS = 20  # merges followed from a pattern to where its reports are now
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
        return _mine(snag, person, command.number, now)
    if command.name == "search":
        return _search(snag, person, command.args, now)
    if command.name == "pattern":
        assert command.number is not None
        return _pattern(snag, person, command.number, k, now)
    if command.name == "stats":
        stats = snag.repository.stats(person=person, since=window_start(now, 30), k=k, before=cut_of(now))
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


def _pattern(snag: Snag, person: Person, number: int, k: int, now: datetime) -> Reply:
    """One pattern as of the cut; a few of its reports' texts for those who may read them. A
    pattern whose reports all came today is no pattern yet."""
    cut = cut_of(now)
    pattern = snag.repository.get_pattern(person=person, pattern_id=number, before=cut)
    merged: list[int] = []
    while pattern is not None and pattern.merged_into is not None and len(merged) < _HOPS:
        merged.append(pattern.id)
        pattern = snag.repository.get_pattern(person=person, pattern_id=pattern.merged_into, before=cut)
    if merged:
        said = f"Pattern #{number} was merged into #{pattern.id if pattern else '?'}."
        if pattern is None:
            raise NotFound(f"{said} It has no reports filed before today yet.")
        shown = _pattern(snag, person, pattern.id, k, now)
        return replace(shown, title=f"{said} {shown.title}")
    if pattern is None:
        raise NotFound(f"There is no pattern #{number}.")
    quotes: tuple[str, ...] = ()
    if person.role.sees_texts and pattern.reporter_count >= k:
        latest = snag.repository.list_reports(
            person=person, pattern_id=pattern.id, limit=listings.QUOTE_POOL, before=cut
        )
        quotes = tuple(r.text for r in latest if not r.shared)  # a search of the channel would find who wrote it
    return listings.pattern(pattern, snag.taxonomy, quotes=quotes, k=k)


def _mine(snag: Snag, person: Person, number: int | None, now: datetime) -> Reply:
    """A person's newest reports and what became of them; asked after one by its number ("status
    of #12?"), that one alone when it is theirs. Someone else's number, or one nobody has, gets
    their list: the answer never tells whether another person's report exists."""
    asked = snag.repository.get_report(person=person, report_id=number) if number is not None else None
    if asked is not None and asked.reporter_key == snag.key_of(person):
        pid = asked.pattern_id
        found = snag.repository.get_pattern(person=person, pattern_id=pid) if pid is not None else None
        one = listings.mine([asked], snag.taxonomy, patterns={pid: found} if pid is not None and found else {}, now=now)
        return replace(one, title=f"Your report #{asked.id}", notices=(*one.notices, _TAKE_BACK))
    reports, joined = listings.own_reports(snag.repository, person, snag.key_of(person))
    mine = listings.mine(reports, snag.taxonomy, patterns=joined, now=now)
    return replace(mine, notices=(*mine.notices, _TAKE_BACK)) if reports else mine


_SHOWN = 10  # reports a search lists
_POOL = 100  # the newest matching reports read for them (some may not be shown)


def _search(snag: Snag, person: Person, words: tuple[str, ...], now: datetime) -> Reply:
    """The newest reports with those words a leader may read, filed before the cut, and how many
    there are in all (a list cut short says so).

    No more than `pattern <id>` and the digest's quotes would show: reports filed where others saw
    who wrote them, and reports in no pattern or in one with fewer than k reporters, are left out;
    texts read as quoted there (a sign-off is [name], redacted as now), and the words must be in
    what is shown, so a search for a name finds no report it was scrubbed from."""
    if not person.role.sees_texts:
        raise PermissionDenied(
            "Searching individual reports is for managers. Try `top` or `pattern <id>` for the shared picture."
        )
    k, cut = snag.options.anonymity_k, cut_of(now)
    found, matched, capped = snag.repository.search_counted(person=person, words=words, limit=_POOL, before=cut)
    readable = _readable(snag, person, found, words, k, cut)
    unread = capped or matched > len(found)  # matching reports past the pool: the count is a floor
    reply = listings.search(
        readable[:_SHOWN],
        words,
        snag.taxonomy,
        now=now,
        matched=len(readable),
        capped=unread and len(readable) > _SHOWN,
    )
    notices = list(reply.notices)
    if unread and len(readable) <= _SHOWN:
        notices.append(
            f"Only the newest {_POOL} reports with these words were looked at: add a word to find older ones."
        )
    notices.append(
        f"Left out, as `pattern <id>` leaves them out: reports filed today (until midnight UTC), reports filed "
        f"in a channel and reports in patterns with fewer than {k} reporters. A name someone signed with reads [name]."
    )
    return replace(reply, notices=tuple(notices))


def _readable(
    snag: Snag, person: Person, reports: Sequence[ReportRecord], words: Sequence[str], k: int, cut: datetime
) -> list[ReportRecord]:
    """Of `reports`, those `pattern <id>` could quote, with their text as it would: and only
    where the words are still in it once scrubbed."""
    candidates = [
        (r, listings.quoted(r.text, snag.taxonomy)) for r in reports if not r.shared and r.text != RETAINED_TEXT
    ]
    people = snag.repository.reporter_counts(
        person=person, pattern_ids=[r.pattern_id for r, _ in candidates if r.pattern_id is not None], before=cut
    )  # as `pattern <id>` counts them: as of the cut
    return [
        replace(r, text=text)
        for r, text in candidates
        if r.pattern_id is not None and people.get(r.pattern_id, 0) >= k and has_words(text, words)
    ]
