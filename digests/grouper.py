"""The Grouper port over the database: new reports join patterns as they arrive; history can be regrouped.

Grouping's pieces live beside it: digests.pattern_store (a tenant's patterns as the engine's store),
digests.pattern_rows (features of stored reports, pattern rows), digests.counts (weekly and term
counts), digests.regroup (regrouping a whole history); their names are importable from here too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine as SqlEngine
from sqlmodel import Session, col, select

from bot.domain import ReportRecord
from bot.taxonomy import Taxonomy
from digests.counts import count_terms, count_week
from digests.engine import Engine, Params, PatternState
from digests.features import DOCS, OwnIdf
from digests.pattern_rows import Tables, features_of_record, features_of_report, write_pattern
from digests.pattern_store import RESYNC, SqlPatternStore
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
    "Tables",
]


@dataclass(frozen=True)
class Learnt:
    """One person's reports as grouping learnt them: (text, pattern id) each, in one tenant."""

    platform: str
    tenant: str
    tenant_id: int
    reports: tuple[tuple[str, int | None], ...]


class SqlGrouper:
    """Implements bot.ports.Grouper: assign(report) -> pattern id, one transaction per report."""

    def __init__(self, engine: SqlEngine, taxonomy: Taxonomy, params: Params | None = None) -> None:
        self.engine = engine
        self.taxonomy = taxonomy
        self.params = params or Params()
        self._stores: dict[tuple[str, str], SqlPatternStore] = {}
        self._lock = threading.Lock()

    def _store(self, session: Session, platform: str, tenant: str) -> SqlPatternStore | None:
        store = self._stores.get((platform, tenant))
        if store is None:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return None
            store = self._stores[(platform, tenant)] = SqlPatternStore(row.id, self.taxonomy)
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
        (a pattern with none left keeps no words at all)."""
        with self._lock, session_scope(self.engine) as session:
            for text, _ in learnt.reports:
                # A text the retention policy removed took the knowledge of its words with it: one
                # document fewer, and not the placeholder's words, which it never added.
                keys = {DOCS} if text == RETAINED_TEXT else OwnIdf.keys(text)
                count_terms(session, tenant_id=learnt.tenant_id, keys=keys, amount=-1)
            counts = session.exec(
                select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == learnt.tenant_id)
            ).all()
            own = OwnIdf(dict(counts))
            for pattern_id in sorted({pid for _, pid in learnt.reports if pid is not None}):
                self._recentre(session, pattern_id, own)
            self._stores.pop((learnt.platform, learnt.tenant), None)

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
                counts = session.exec(select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == row.id)).all()
                self._recentre(session, report.pattern_id, OwnIdf(dict(counts)))
            self._stores.pop((report.platform, report.tenant), None)

    def _recentre(self, session: Session, pattern_id: int, own: OwnIdf) -> None:
        members = session.exec(
            select(Report).where(Report.pattern_id == pattern_id).order_by(col(Report.created_at), col(Report.id))
        ).all()
        pattern = session.get(Pattern, pattern_id)
        if pattern is None:
            return
        state = PatternState(id=pattern_id, words={}, chars={}, n=0)
        for report in members:
            state.add(features_of_report(report, own.tables))
        write_pattern(pattern, state, self.taxonomy, keep_title=False)  # the old title may hold their words
        if not members:
            pattern.title, pattern.teams = "Reports erased on request", []
        session.add(pattern)

    def rebuild(self, *, platform: str, tenant: str) -> int:
        """Regroup a tenant's whole history; patterns keep their id, owner and status where they survive."""
        with self._lock, session_scope(self.engine) as session:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return 0
            count = regroup(session, row.id, self.taxonomy, self.params)
            self._stores.pop((platform, tenant), None)
            return count
