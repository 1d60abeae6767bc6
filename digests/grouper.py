"""The Grouper port over the database: new reports join patterns as they arrive; history can be regrouped.

Grouping's pieces live beside it: digests.pattern_store (a tenant's patterns as the engine's store),
digests.pattern_rows (features of stored reports, pattern rows), digests.counts (weekly and term
counts), digests.regroup (regrouping a whole history); their names are importable from here too.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine as SqlEngine
from sqlmodel import Session, col, select

from bot.domain import ReportRecord
from bot.logs import where
from bot.taxonomy import Taxonomy
from digests.counts import count_terms, count_week
from digests.engine import Engine, Params, PatternState
from digests.features import DOCS, OwnIdf, char_grams, words
from digests.pattern_rows import Tables, aware, features_of_record, features_of_report, write_pattern
from digests.pattern_store import PENDING, RESYNC, SqlPatternStore
from digests.regroup import regroup
from digests.week import week_of
from store.db import session_scope
from store.models import Pattern, Report, Tenant, TermCount
from store.privacy import RETAINED_TEXT

__all__ = [
    "SqlGrouper",
    "Learnt",
    "SqlPatternStore",
    "features_of_record",
    "features_of_report",
    "write_pattern",
    "week_of",
    "count_week",
    "count_terms",
    "regroup",
    "RESYNC",
    "PENDING",
    "Tables",
]

log = logging.getLogger("snag.grouping")

INLINE = 2_000  # members of an erasure's patterns worked out again before the person is answered (~0.3 s)
SETTLE_MEMBERS = 2_000  # members worked out again at a time in the background, between new reports
_IN = 500  # ids per IN list


@dataclass(frozen=True)
class Learnt:
    """One person's reports as grouping learnt them: (text, pattern id) each, in one tenant."""

    platform: str
    tenant: str
    tenant_id: int
    reports: tuple[tuple[str, int | None], ...]


class SqlGrouper:
    """Implements bot.ports.Grouper: assign(report) -> pattern id, one transaction per report."""

    def __init__(
        self,
        engine: SqlEngine,
        taxonomy: Taxonomy,
        params: Params | None = None,
        *,
        inline: int = INLINE,
        later: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        self.engine = engine
        self.taxonomy = taxonomy
        self.params = params or Params()
        self.inline = inline
        self.later = later or self._in_thread  # runs what an erasure leaves to finish in the background
        self._stores: dict[tuple[str, str], SqlPatternStore] = {}
        self._lock = threading.Lock()
        self._settling: list[threading.Thread] = []

    def _store(self, session: Session, platform: str, tenant: str) -> SqlPatternStore | None:
        store = self._stores.get((platform, tenant))
        if store is None:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return None
            store = self._stores[(platform, tenant)] = SqlPatternStore(row.id, self.taxonomy)
            store.refresh(session)
            if store.pending:  # an erasure's patterns a stopped process did not finish working out
                self._settle_later(platform, tenant, row.id, sorted(store.pending))
                store.pending.clear()
            return store
        store.refresh(session)
        return store

    def warm(self) -> int:
        """Build every tenant's word index now, so the first report after a start does not wait
        for it (seconds at 100,000 patterns); returns how many patterns were indexed."""
        with session_scope(self.engine) as session:
            tenants = session.exec(select(Tenant.platform, Tenant.external_id)).all()
        indexed = 0
        for platform, tenant in tenants:
            with self._lock, session_scope(self.engine) as session:
                store = self._store(session, platform, tenant)
                indexed += len(store.index) if store else 0
        return indexed

    def assign(self, report: ReportRecord) -> int | None:
        """Put a tagged report into its best pattern, or a new one; returns the pattern id.

        Once only: a report another tagger grouped meanwhile keeps its pattern and is not counted
        again."""
        with self._lock, session_scope(self.engine) as session:
            already = session.exec(select(Report.pattern_id).where(col(Report.id) == report.id)).first()
            if already is not None:
                return already
            store = self._store(session, report.platform, report.tenant)
            if store is None:
                return None
            try:
                idf = store.learn(report.text)
                state, _ = Engine(store, self.params).assign(features_of_record(report, idf))
                session.execute(update(Report).where(col(Report.id) == report.id).values(pattern_id=state.id))
                count_week(session, tenant_id=store.tenant_id, pattern_id=state.id, week=week_of(report.created_at))
            except Exception:
                self._stores.pop((report.platform, report.tenant), None)  # its memory may be ahead of the database
                raise
            return state.id

    def words_of(
        self, *, platform: str, tenant: str, reporter_key: str, report_ids: Sequence[int] | None = None
    ) -> Learnt | None:
        """What grouping learnt from one person's reports (only `report_ids` of them, when given),
        read before they are erased (see forget)."""
        with session_scope(self.engine) as session:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return None
            query = select(Report.text, Report.pattern_id).where(
                Report.tenant_id == row.id, Report.reporter_key == reporter_key
            )
            if report_ids is not None:
                query = query.where(col(Report.id).in_(report_ids))
            theirs = session.exec(query).all()
        return Learnt(platform, tenant, row.id, tuple(theirs)) if theirs else None

    def forget(self, learnt: Learnt) -> None:
        """Once those reports are erased, take their words out of grouping: out of the term counts,
        and out of their patterns' centroids and titles, worked out again from the members left
        (a pattern with none left keeps no words at all).

        Working a pattern out again reads every member's words (about 0.15 ms a report), so only
        patterns up to `inline` members in all are done before this returns; the others lose every
        word the erased reports used, right away and in the same transaction, and are marked
        (PENDING) to be worked out exactly in the background (`later`). The mark outlives a crash:
        the next process finishes them (see _store)."""
        with self._lock:
            with session_scope(self.engine) as session:
                _uncount_terms(session, learnt.tenant_id, learnt.reports)
                theirs: dict[int, list[str]] = defaultdict(list)
                for text, pid in learnt.reports:
                    if pid is not None:
                        theirs[pid].append(text)
                rows = _patterns(session, theirs)
                left = _members_left(session, list(rows))
                now, later = _split(left, self.inline)
                before = {pid: _words(row) for pid, row in rows.items()}
                if now:
                    self._recentre(session, [rows[pid] for pid in now], learnt.tenant_id)
                for pid in later:
                    _scrub(rows[pid], theirs[pid], left[pid], self.taxonomy)
                _save(session, rows.values())
            self._reindex(learnt.platform, learnt.tenant, before, rows)
        if later:
            self._settle_later(learnt.platform, learnt.tenant, learnt.tenant_id, later)

    def settle(self) -> None:
        """Wait for the patterns erasures left to work out in the background (tests, benchmarks)."""
        while self._settling:
            self._settling.pop().join()

    def reword(self, report: ReportRecord, old_text: str) -> None:
        """A report's words changed (its reporter edited it, or added to it): the tenant's term
        counts take its new words instead of the old, and its pattern's centroid, tags and title are
        worked out again from its members as they read now. It stays in its pattern: an edit
        mostly fixes or adds detail, and moving it would leave a pattern nobody reported."""
        with self._lock, session_scope(self.engine) as session:
            row = session.exec(
                select(Tenant).where(Tenant.platform == report.platform, Tenant.external_id == report.tenant)
            ).first()
            if row is None or row.id is None:
                return
            count_terms(session, tenant_id=row.id, keys=OwnIdf.keys(old_text), amount=-1)
            count_terms(session, tenant_id=row.id, keys=OwnIdf.keys(report.text), amount=1)
            if report.pattern_id is not None:
                pattern = session.get(Pattern, report.pattern_id)
                if pattern is not None:
                    self._recentre(session, [pattern], row.id)
                    session.add(pattern)
            self._stores.pop((report.platform, report.tenant), None)

    def _recentre(
        self, session: Session, patterns: Sequence[Pattern], tenant_id: int, own: Tables | None = None
    ) -> None:
        """Work these patterns' rows out again from their members as they read now, weighed by the
        tenant's term counts (read here unless given); one with no members keeps no words."""
        members = _members(session, [p.id for p in patterns if p.id is not None])
        if own is None and members:
            own = _weights(session, tenant_id)
        for pattern in patterns:
            state = PatternState(id=pattern.id or 0, words={}, chars={}, n=0)
            for report in members.get(pattern.id or 0, ()):
                assert own is not None
                state.add(features_of_report(report, own))
            write_pattern(pattern, state, self.taxonomy, keep_title=False)  # the old title may hold their words
            if not state.n:
                pattern.title, pattern.teams = "Reports erased on request", []

    def _reindex(self, platform: str, tenant: str, before: dict[int, list[str]], rows: dict[int, Pattern]) -> None:
        """Bring this process's word index up to date with patterns rewritten here (once committed)."""
        store = self._stores.get((platform, tenant))
        if store is not None:
            store.rewritten({pid: (before[pid], _words(row)) for pid, row in rows.items()})

    def _settle_later(self, platform: str, tenant: str, tenant_id: int, pattern_ids: Sequence[int]) -> None:
        def settle() -> None:
            try:
                self._settle(platform, tenant, tenant_id, pattern_ids)
            except Exception as exc:  # the marks stay: the next process start finishes them
                log.error("patterns an erasure left are not worked out again yet: %s", where(exc))

        self.later(settle)

    def _settle(self, platform: str, tenant: str, tenant_id: int, pattern_ids: Sequence[int]) -> None:
        """Work out again the patterns an erasure marked, a few at a time, so that new reports are
        grouped in between; a pattern worked out meanwhile (a rebuild, an edit) is left as it is."""
        with session_scope(self.engine) as session:
            own = _weights(session, tenant_id)
            sizes = _members_left(session, pattern_ids)
        done = 0
        for chunk in _chunks(sizes, SETTLE_MEMBERS):
            with self._lock:
                with session_scope(self.engine) as session:
                    rows = {p: r for p, r in _patterns(session, chunk).items() if PENDING in (r.terms or {})}
                    before = {pid: _words(row) for pid, row in rows.items()}
                    self._recentre(session, list(rows.values()), tenant_id, own)
                    _save(session, rows.values())
                self._reindex(platform, tenant, before, rows)
            done += len(rows)
        log.info("worked out again %d pattern(s) an erasure left (%d report(s))", done, sum(sizes.values()))

    def _in_thread(self, job: Callable[[], None]) -> None:
        # not a daemon: a command-line `snag erase` finishes the job before the process ends
        thread = threading.Thread(target=job, name="snag-erasure")
        self._settling = [t for t in self._settling if t.is_alive()] + [thread]
        thread.start()

    def rebuild(self, *, platform: str, tenant: str) -> int:
        """Regroup a tenant's whole history; patterns keep their id, owner and status where they survive."""
        with self._lock, session_scope(self.engine) as session:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return 0
            count = regroup(session, row.id, self.taxonomy, self.params)
            self._stores.pop((platform, tenant), None)
            return count


def _uncount_terms(session: Session, tenant_id: int, reports: Iterable[tuple[str, int | None]]) -> None:
    """Take erased reports out of the term counts: one statement for all of them, in key order
    (the lock order count_terms keeps); a count that reaches zero goes."""
    amounts: Counter[str] = Counter()
    for text, _ in reports:
        # A text the retention policy removed took the knowledge of its words with it: one
        # document fewer, and not the placeholder's words, which it never added.
        amounts.update({DOCS} if text == RETAINED_TEXT else OwnIdf.keys(text))
    if not amounts:
        return
    table = TermCount.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    which = (table.c.tenant_id == bindparam("tenant"), table.c.term == bindparam("key"))
    rows = [{"tenant": tenant_id, "key": key, "amount": n} for key, n in sorted(amounts.items())]
    session.execute(update(table).where(*which).values(docs=table.c.docs - bindparam("amount")), rows)
    session.execute(delete(table).where(*which, table.c.docs <= 0), rows)


def _in_lists(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _IN):
        yield ordered[start : start + _IN]


def _patterns(session: Session, ids: Iterable[int]) -> dict[int, Pattern]:
    """These pattern rows, by id (those that no longer exist left out), apart from the session:
    _save writes them back."""
    found: dict[int, Pattern] = {}
    for chunk in _in_lists(ids):
        found |= {p.id: p for p in session.exec(select(Pattern).where(col(Pattern.id).in_(chunk))).all() if p.id}
    for row in found.values():
        session.expunge(row)
    return found


_WRITTEN = ("title", "stage", "kinds", "teams", "report_count", "terms", "first_seen", "last_seen")  # write_pattern's


def _save(session: Session, rows: Iterable[Pattern]) -> None:
    """Write rewritten pattern rows back in one statement (the ORM sends one a row on SQLite)."""
    values = [{"pattern": row.id} | {f"new_{name}": getattr(row, name) for name in _WRITTEN} for row in rows]
    if values:
        table = Pattern.__table__  # type: ignore[attr-defined]
        which = table.c.id == bindparam("pattern")
        session.execute(
            update(table).where(which).values({name: bindparam(f"new_{name}") for name in _WRITTEN}), values
        )


def _members_left(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """How many reports each of these patterns holds (0 for none)."""
    counts = dict.fromkeys(ids, 0)
    for chunk in _in_lists(counts):
        query = select(Report.pattern_id, func.count()).where(col(Report.pattern_id).in_(chunk))
        counts |= {pid: n for pid, n in session.exec(query.group_by(col(Report.pattern_id))).all() if pid}
    return counts


def _split(sizes: Mapping[int, int], budget: int) -> tuple[list[int], list[int]]:
    """The smallest patterns up to `budget` members in all (to work out now), and the rest."""
    now: list[int] = []
    for pid in sorted(sizes, key=lambda p: (sizes[p], p)):
        if sizes[pid] > budget:
            break
        budget -= sizes[pid]
        now.append(pid)
    return now, sorted(set(sizes) - set(now))


def _chunks(sizes: Mapping[int, int], most: int) -> Iterator[list[int]]:
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


def _members(session: Session, ids: Iterable[int]) -> dict[int, list[Report]]:
    """Each pattern's members, oldest first: only what grouping reads of them, in one query per
    _IN patterns (rows that read as a Report does, for features_of_report)."""
    read: list[Any] = [Report.pattern_id, Report.created_at, Report.text, Report.stage, Report.kinds, Report.teams]
    read += [Report.handoff_from, Report.handoff_to]
    found: dict[int, list[Report]] = defaultdict(list)
    for chunk in _in_lists(ids):
        query = sql_select(*read).where(col(Report.pattern_id).in_(chunk))
        for row in session.execute(query.order_by(col(Report.pattern_id), col(Report.created_at), col(Report.id))):
            found[row.pattern_id].append(cast(Report, row))
    return found


def _weights(session: Session, tenant_id: int) -> Tables:
    """The tenant's word and character weights as its term counts stand, each term weighed once."""
    counts = session.exec(select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == tenant_id)).all()
    word, char = OwnIdf(dict(counts)).tables
    return functools.cache(word), functools.cache(char)


def _words(row: Pattern) -> list[str]:
    return [key[2:] for key in row.terms or {} if key.startswith("w:")]


def _scrub(row: Pattern, texts: Sequence[str], left: int, taxonomy: Taxonomy) -> None:
    """A pattern without every word and character gram these erased reports of it used (whoever
    else used them too) and its title made again from what is left, marked PENDING: exact again
    once worked out from its members."""
    state = PatternState.from_terms(row.id or 0, row.terms or {}, aware(row.first_seen), aware(row.last_seen))
    worded = [text for text in texts if text != RETAINED_TEXT]
    said = {word for text in worded for word in words(text)}
    grams = {gram for text in worded for gram in char_grams(text)}
    state.words = {w: v for w, v in state.words.items() if w not in said}
    state.chars = {g: v for g, v in state.chars.items() if g not in grams}
    state.n, state.wordless = left, max(0, state.wordless - (len(texts) - len(worded)))
    write_pattern(row, state, taxonomy, keep_title=False)
    row.terms = {**row.terms, PENDING: 1.0}
