"""Taking erased reports out of grouping, row by row: what they counted, the patterns they were in,
worked out again from the members left or stripped of their words to be worked out later
(see SqlGrouper.forget, which runs these)."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import bindparam, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from bot.taxonomy import Taxonomy
from digests.engine import PatternState
from digests.features import DOCS, OwnIdf, char_grams, words
from digests.pattern_rows import Tables, aware, features_of_report, write_pattern
from digests.pattern_store import PENDING
from store.models import Pattern, Report, TermCount
from store.privacy import RETAINED_TEXT
from store.reports import IN_LIST

__all__ = [
    "ERASED_TITLE",
    "erased_terms",
    "read_patterns",
    "save_patterns",
    "recentre",
    "scrub",
    "split",
    "chunks",
    "weights",
    "centroid_words",
]

ERASED_TITLE = "Reports erased on request"  # a pattern with no report left
# write_pattern's columns
_WRITTEN = ("title", "stage", "kinds", "teams", "report_count", "terms", "team_counts", "first_seen", "last_seen")


def erased_terms(texts: Iterable[str]) -> Counter[str]:
    """What these erased reports' texts counted in the term counts, key by key."""
    amounts: Counter[str] = Counter()
    for text in texts:
        # A text the retention policy removed took the knowledge of its words with it: one
        # document fewer, and not the placeholder's words, which it never added.
        amounts.update({DOCS} if text == RETAINED_TEXT else OwnIdf.keys(text))
    return amounts


def read_patterns(session: Session, ids: Iterable[int]) -> dict[int, Pattern]:
    """These pattern rows, by id (those that no longer exist left out), apart from the session:
    save_patterns writes them back."""
    found: dict[int, Pattern] = {}
    for chunk in _in_lists(ids):
        found |= {p.id: p for p in session.exec(select(Pattern).where(col(Pattern.id).in_(chunk))).all() if p.id}
    for row in found.values():
        session.expunge(row)
    return found


def save_patterns(session: Session, rows: Iterable[Pattern]) -> None:
    """Write rewritten pattern rows back in one statement (the ORM sends one a row on SQLite)."""
    values = [{"pattern": row.id} | {f"new_{name}": getattr(row, name) for name in _WRITTEN} for row in rows]
    if values:
        table = Pattern.__table__  # type: ignore[attr-defined]
        which = table.c.id == bindparam("pattern")
        session.execute(
            update(table).where(which).values({name: bindparam(f"new_{name}") for name in _WRITTEN}), values
        )


def recentre(
    session: Session, patterns: Sequence[Pattern], tenant_id: int, taxonomy: Taxonomy, own: Tables | None = None
) -> None:
    """Work these patterns' rows out again from their members as they read now, weighed by the
    tenant's term counts (read here unless given); one with no members keeps no words."""
    members = _members(session, [p.id for p in patterns if p.id is not None])
    if own is None and members:
        own = weights(session, tenant_id)
    for pattern in patterns:
        state = PatternState(id=pattern.id or 0, words={}, chars={}, n=0)
        for report in members.get(pattern.id or 0, ()):
            assert own is not None
            state.add(features_of_report(report, own, taxonomy))
        write_pattern(pattern, state, taxonomy, keep_title=False)  # the old title may hold their words
        if not state.n:
            pattern.title, pattern.teams = ERASED_TITLE, []


def scrub(row: Pattern, texts: Sequence[str], left: int, taxonomy: Taxonomy) -> None:
    """A pattern without every word and character gram these erased reports of it used (whoever
    else used them too), nor any word they wrote that a title could show, and its title made again
    from what is left, marked PENDING: exact again once worked out from its members."""
    state = PatternState.from_terms(row.id or 0, row.terms or {}, aware(row.first_seen), aware(row.last_seen))
    worded = [text for text in texts if text != RETAINED_TEXT]
    said = {word for text in worded for word in words(text)}
    grams = {gram for text in worded for gram in char_grams(text)}
    state.words = {w: v for w, v in state.words.items() if w not in said}
    state.chars = {g: v for g, v in state.chars.items() if g not in grams}
    # and every word they wrote for a title: their stems are gone from the centroid, so are their forms
    state.surfaces = {st: forms for st, forms in state.surfaces.items() if st not in said}
    state.trim_surfaces()
    state.n, state.wordless = left, max(0, state.wordless - (len(texts) - len(worded)))
    write_pattern(row, state, taxonomy, keep_title=False)
    row.terms = {**row.terms, PENDING: 1.0}


def split(sizes: Mapping[int, int], budget: int) -> tuple[list[int], list[int]]:
    """The smallest patterns up to `budget` members in all (to work out now), and the rest."""
    now: list[int] = []
    for pid in sorted(sizes, key=lambda p: (sizes[p], p)):
        if sizes[pid] > budget:
            break
        budget -= sizes[pid]
        now.append(pid)
    return now, sorted(set(sizes) - set(now))


def chunks(sizes: Mapping[int, int], most: int) -> Iterator[list[int]]:
    """The patterns in groups of at most `most` members (a bigger one alone)."""
    chunk: list[int] = []
    held = 0
    for pid in sorted(sizes):
        if chunk and held + sizes[pid] > most:
            yield chunk
            chunk, held = [], 0
        chunk.append(pid)
        held += sizes[pid]
    if chunk:
        yield chunk


def weights(session: Session, tenant_id: int) -> Tables:
    """The tenant's word and character weights as its term counts stand, each term weighed once."""
    counts = session.exec(select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == tenant_id)).all()
    word, char = OwnIdf(dict(counts)).tables
    return functools.cache(word), functools.cache(char)


def centroid_words(row: Pattern) -> list[str]:
    """The words of a pattern row's centroid (what the word index holds of it)."""
    return [key[2:] for key in row.terms or {} if key.startswith("w:")]


def _in_lists(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), IN_LIST):
        yield ordered[start : start + IN_LIST]


def _members(session: Session, ids: Iterable[int]) -> dict[int, list[Report]]:
    """Each pattern's members, oldest first: only what grouping reads of them, in one query per
    IN_LIST patterns (rows that read as a Report does, for features_of_report)."""
    read: list[Any] = [Report.pattern_id, Report.created_at, Report.text, Report.stage, Report.kinds, Report.teams]
    read += [Report.handoff_from, Report.handoff_to, Report.reporter_key]
    found: dict[int, list[Report]] = defaultdict(list)
    for chunk in _in_lists(ids):
        query = sql_select(*read).where(col(Report.pattern_id).in_(chunk))
        for row in session.execute(query.order_by(col(Report.pattern_id), col(Report.created_at), col(Report.id))):
            found[row.pattern_id].append(cast(Report, row))
    return found
