"""The Grouper port over the database: new reports join patterns as they arrive; history can be regrouped.

Grouping's pieces live beside it: digests.pattern_store (a tenant's patterns as the engine's store),
digests.pattern_rows (features of stored reports, pattern rows), digests.counts (weekly and term
counts), digests.regroup (regrouping a whole history), digests.forgetting (taking erased reports
out of patterns); their names are importable from here too.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine as SqlEngine
from sqlmodel import Session, col, select

from bot.domain import ReportRecord
from bot.errors import NotFound
from bot.logs import where
from bot.taxonomy import Taxonomy
from digests.counts import count_terms, count_week
from digests.engine import Engine, Params
from digests.features import OwnIdf
from digests.forgetting import (
    centroid_words,
    chunks,
    erased_terms,
    read_patterns,
    recentre,
    save_patterns,
    scrub,
    split,
    weights,
)
from digests.merging import Merged, merge_patterns
from digests.pattern_rows import Tables, features_of_record, features_of_report, write_pattern
from digests.pattern_store import PENDING, RESYNC, SqlPatternStore
from digests.regroup import Regrouped, regroup
from digests.week import week_of
from store.db import session_scope
from store.models import Pattern, Report, Tenant
from store.reports import aware, member_counts

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


@dataclass(frozen=True)
class Learnt:
    """One person's reports as grouping learnt them: (text, pattern id) each, in one tenant."""

    platform: str
    tenant: str
    tenant_id: int
    reports: tuple[tuple[str, int | None], ...]


def _reopen(session: Session, pattern_id: int, report: ReportRecord) -> bool:
    """Reopen a resolved pattern that `report`, filed after it was resolved, joined; whether it did.

    Reported again after the fix, it is not fixed: it goes back to new (its owner stays, to pick it
    up again), and its reporters hear of it as of any change of status. A report older than the
    resolution (history imported later) reopens nothing. Won't fix stays: a decision, not a fix."""
    row = session.get(Pattern, pattern_id)
    if row is None or row.status != "resolved" or row.status_changed_at is None:
        return False
    if aware(report.created_at) <= aware(row.status_changed_at):
        return False
    row.status, row.status_changed_at = "new", aware(report.created_at)
    session.add(row)
    log.info("pattern %s reported again after it was resolved: reopened", pattern_id)
    return True


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
        self._stores: dict[tuple[str, str], SqlPatternStore] = {}
        self.taxonomy = taxonomy
        self.params = params or Params()
        self.inline = inline
        self.later = later or self._in_thread  # runs what an erasure leaves to finish in the background
        self._lock = threading.Lock()
        self._settling: list[threading.Thread] = []
        self._queued: set[int] = set()  # marked patterns a settling job is still to look at
        self._queue_lock = threading.Lock()  # for _queued; taken after self._lock, never before
        self._erasures = 0  # erasures so far: a settling job reads the term counts again after one
        # Called with a pattern's id, after the report that reopened it is stored (see assign).
        self.on_reopened: Callable[[int], None] | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        return self._taxonomy

    @taxonomy.setter
    def taxonomy(self, taxonomy: Taxonomy) -> None:
        """A taxonomy read again (bot.app.use_taxonomy) reaches each tenant's pattern store too,
        which titles new patterns with it."""
        self._taxonomy = taxonomy
        for store in self._stores.values():
            store.taxonomy = taxonomy

    def _store(self, session: Session, platform: str, tenant: str) -> SqlPatternStore | None:
        store = self._stores.get((platform, tenant))
        if store is None:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return None
            store = self._stores[(platform, tenant)] = SqlPatternStore(row.id, self.taxonomy)
            store.refresh(session)
            if store.pending:  # an erasure's patterns not worked out yet: a stopped process's, or a job's here
                self._settle_later(platform, tenant, row.id, store.pending)
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
        again. A report filed after its pattern was marked resolved reopens it (status new, its
        owner kept): the problem is back, and on_reopened is told once the report is stored."""
        with self._lock, session_scope(self.engine) as session:
            already = session.exec(select(Report.pattern_id).where(col(Report.id) == report.id)).first()
            if already is not None:
                return already
            store = self._store(session, report.platform, report.tenant)
            if store is None:
                return None
            try:
                idf = store.learn(report.text)
                state, created = Engine(store, self.params).assign(features_of_record(report, idf, self.taxonomy))
                session.execute(update(Report).where(col(Report.id) == report.id).values(pattern_id=state.id))
                count_week(session, tenant_id=store.tenant_id, pattern_id=state.id, week=week_of(report.created_at))
                reopened = not created and _reopen(session, state.id, report)
            except Exception:
                self._stores.pop((report.platform, report.tenant), None)  # its memory may be ahead of the database
                raise
        if reopened and self.on_reopened is not None:
            try:
                self.on_reopened(state.id)
            except Exception as exc:  # telling its reporters is not grouping: the report is grouped
                log.error("pattern %s was reopened, but its reporters were not told: %s", state.id, where(exc))
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
        uncounted = erased_terms(text for text, _ in learnt.reports)
        theirs: dict[int, list[str]] = defaultdict(list)
        for text, pid in learnt.reports:
            if pid is not None:
                theirs[pid].append(text)
        with self._lock:
            with session_scope(self.engine) as session:
                count_terms(session, tenant_id=learnt.tenant_id, keys={k: -n for k, n in uncounted.items()})
                rows = read_patterns(session, theirs)
                left = member_counts(session=session, pattern_ids=rows)
                now, later = split(left, self.inline)
                before = {pid: centroid_words(row) for pid, row in rows.items()}
                if now:
                    recentre(session, [rows[pid] for pid in now], learnt.tenant_id, self.taxonomy)
                for pid in later:
                    scrub(rows[pid], theirs[pid], left[pid], self.taxonomy)
                save_patterns(session, rows.values())
            self._erasures += 1
            self._reindex(learnt.platform, learnt.tenant, before, rows, uncounted)
        if later:
            self._settle_later(learnt.platform, learnt.tenant, learnt.tenant_id, later)

    @property
    def unsettled(self) -> int:
        """How many patterns erasures marked are still to be worked out again in the background."""
        with self._queue_lock:
            return len(self._queued)

    def settle(self) -> None:
        """Wait for the patterns erasures left to be worked out in the background (`snag erase`,
        tests, benchmarks)."""
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
                    recentre(session, [pattern], row.id, self.taxonomy)
                    session.add(pattern)
            self._stores.pop((report.platform, report.tenant), None)

    def _reindex(
        self,
        platform: str,
        tenant: str,
        before: dict[int, list[str]],
        rows: dict[int, Pattern],
        uncounted: Mapping[str, int] | None = None,
    ) -> None:
        """Bring this process's word index and term counts up to date with patterns rewritten and
        counts taken back here (once committed)."""
        store = self._stores.get((platform, tenant))
        if store is not None:
            store.rewritten({pid: (before[pid], centroid_words(row)) for pid, row in rows.items()}, uncounted)

    def _settle_later(self, platform: str, tenant: str, tenant_id: int, pattern_ids: Iterable[int]) -> None:
        """Have these marked patterns worked out again in the background, but those a job already
        will: the word index read again (after an edit, a rebuild, an error) finds them still marked."""
        with self._queue_lock:
            mine = set(pattern_ids) - self._queued
            self._queued |= mine
        if not mine:
            return

        def settle() -> None:
            try:
                self._settle(platform, tenant, tenant_id, mine)
            except Exception as exc:  # the marks stay: the next process start finishes them
                log.error("patterns an erasure left are not worked out again yet: %s", where(exc))
            finally:
                self._release(mine, mine)  # whatever an error left unlooked at

        self.later(settle)

    def _release(self, looked_at: Collection[int], mine: set[int]) -> None:
        """A job has looked at these patterns of its own: one an erasure marks again from now on
        needs another job."""
        done = mine & set(looked_at)
        with self._queue_lock:
            self._queued -= done
        mine -= done

    def _settle(self, platform: str, tenant: str, tenant_id: int, mine: set[int]) -> None:
        """Work out again the patterns an erasure marked, a few at a time, so that new reports are
        grouped in between; a pattern worked out meanwhile (a rebuild, an edit) is left as it is."""
        erasures = self._erasures
        with session_scope(self.engine) as session:
            own = weights(session, tenant_id)
            sizes = member_counts(session=session, pattern_ids=mine)
        done = 0
        for chunk in chunks(sizes, SETTLE_MEMBERS):
            with self._lock:
                with session_scope(self.engine) as session:
                    if erasures != self._erasures:  # counts another erasure took back since
                        erasures, own = self._erasures, weights(session, tenant_id)
                    rows = {p: r for p, r in read_patterns(session, chunk).items() if PENDING in (r.terms or {})}
                    before = {pid: centroid_words(row) for pid, row in rows.items()}
                    recentre(session, list(rows.values()), tenant_id, self.taxonomy, own)
                    save_patterns(session, rows.values())
                self._reindex(platform, tenant, before, rows)
                self._release(chunk, mine)
            done += len(rows)
        log.info("worked out again %d pattern(s) an erasure left (%d report(s))", done, sum(sizes.values()))

    def _in_thread(self, job: Callable[[], None]) -> None:
        # A daemon: stopping `snag serve` does not wait for the backlog, whose marks outlive the
        # process (the next start finishes it); `snag erase` waits for it (settle).
        thread = threading.Thread(target=job, name="snag-erasure", daemon=True)
        self._settling = [t for t in self._settling if t.is_alive()] + [thread]
        thread.start()

    def merge(self, *, platform: str, tenant: str, source: int, target: int) -> Merged:
        """Merge pattern `source` into `target` (digests.merging), and bring this process's word
        index up to date: `source` out of it, `target` with its new words. Another process's index
        learns it when `source` next comes up as a candidate there (SqlPatternStore.load)."""
        with self._lock:
            with session_scope(self.engine) as session:
                row = session.exec(
                    select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)
                ).first()
                if row is None or row.id is None:
                    raise NotFound(f"There is no pattern #{source}.")
                merged = merge_patterns(session, tenant_id=row.id, source=source, target=target, taxonomy=self.taxonomy)
            store = self._stores.get((platform, tenant))
            if store is not None:
                store.rewritten(merged.words)
        log.info("pattern %s merged into %s (%d reports moved)", source, target, merged.moved)
        return merged

    def rebuild(self, *, platform: str, tenant: str) -> Regrouped:
        """Regroup a tenant's whole history; patterns keep their id, owner and status where they survive."""
        with self._lock, session_scope(self.engine) as session:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return Regrouped(0)
            count = regroup(session, row.id, self.taxonomy, self.params)
            self._stores.pop((platform, tenant), None)
            return count
