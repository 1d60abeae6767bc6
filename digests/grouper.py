"""The Grouper port over the database: new reports join patterns as they arrive; history can be regrouped."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain import ReportRecord
from bot.taxonomy import Taxonomy
from digests.engine import Engine, MemoryStore, Params, PatternState, ReportFeatures, features_of
from digests.features import DOCS, OwnIdf
from digests.index import WordIndex
from digests.titles import title_for
from store.db import session_scope
from store.models import Alert, Pattern, PatternWeek, Report, Tenant, TermCount
from store.privacy import RETAINED_TEXT

__all__ = ["SqlGrouper", "features_of_record", "features_of_report", "week_of", "count_week", "count_terms"]

log = logging.getLogger("snag.grouping")

Tables = tuple[Callable[[str], float], Callable[[str], float]]
RESYNC = 50  # reports other processes counted before this one reloads the term counts


def _aware(dt: datetime | None) -> datetime | None:
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


def week_of(dt: datetime) -> str:
    """The ISO week a moment falls in, as the date of its Monday (UTC)."""
    day = _aware(dt).astimezone(UTC).date()  # type: ignore[union-attr]
    return (day - timedelta(days=day.weekday())).isoformat()


def count_week(session: Session, *, tenant_id: int, pattern_id: int, week: str, amount: int = 1) -> None:
    """Add to a pattern's weekly count (insert the row on first sight)."""
    result = session.execute(
        update(PatternWeek)
        .where(col(PatternWeek.pattern_id) == pattern_id, col(PatternWeek.week) == week)
        .values(reports=col(PatternWeek.reports) + amount)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(PatternWeek(tenant_id=tenant_id, pattern_id=pattern_id, week=week, reports=amount))
    except IntegrityError:  # another process inserted it first
        count_week(session, tenant_id=tenant_id, pattern_id=pattern_id, week=week, amount=amount)


def count_terms(session: Session, *, tenant_id: int, keys: Iterable[str], amount: int = 1) -> None:
    """Add to a tenant's term counts (rows appear on first sight and go when they reach zero)."""
    ordered = sorted(keys)  # the same lock order in every transaction
    if not ordered:
        return
    table = TermCount.__table__  # type: ignore[attr-defined]
    if amount < 0:
        where = (table.c.tenant_id == tenant_id, table.c.term.in_(ordered))
        session.execute(update(table).where(*where).values(docs=table.c.docs + amount))
        session.execute(delete(table).where(*where, table.c.docs <= 0))
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "term"], set_={"docs": table.c.docs + stmt.excluded.docs}
    )
    session.execute(stmt, [{"tenant_id": tenant_id, "term": key, "docs": amount} for key in ordered])


def features_of_record(record: ReportRecord, idf: Tables) -> ReportFeatures:
    """Grouping features of a stored report as the core sees it."""
    tags = record.tags
    handoff = (tags.handoff.from_team, tags.handoff.to_team) if tags and tags.handoff else None
    return features_of(
        record.text,
        stage=tags.stage if tags else None,
        kinds=tags.kinds if tags else (),
        teams=tags.teams if tags else (),
        handoff=handoff,
        created_at=record.created_at,
        idf=idf,
    )


def features_of_report(report: Report, idf: Tables) -> ReportFeatures:
    handoff = (report.handoff_from, report.handoff_to) if report.handoff_from or report.handoff_to else None
    return features_of(
        report.text,
        stage=report.stage,
        kinds=report.kinds or (),
        teams=report.teams or (),
        handoff=handoff,
        created_at=_aware(report.created_at),  # type: ignore[arg-type]
        idf=idf,
    )


def write_pattern(row: Pattern, state: PatternState, taxonomy: Taxonomy) -> None:
    """Copy a pattern's grouping state onto its row (title, tags, counts, centroid terms)."""
    stage = state.stage
    row.title = title_for(state, taxonomy.title(stage) if stage else None)
    row.stage, row.kinds, row.teams = stage, list(state.kinds), list(state.teams)
    row.report_count = state.n
    row.terms = state.to_terms()
    if state.first_seen:
        row.first_seen = state.first_seen
    if state.last_seen:
        row.last_seen = state.last_seen


@dataclass(frozen=True)
class Learnt:
    """One person's reports as grouping learnt them: (text, pattern id) each, in one tenant."""

    platform: str
    tenant: str
    tenant_id: int
    reports: tuple[tuple[str, int | None], ...]


class SqlPatternStore:
    """A tenant's patterns in the database, with an in-process inverted index over their words."""

    def __init__(self, tenant_id: int, taxonomy: Taxonomy) -> None:
        self.tenant_id = tenant_id
        self.taxonomy = taxonomy
        self.index = WordIndex()
        self.known = 0
        self.session: Session | None = None
        self.own: OwnIdf | None = None

    def refresh(self, session: Session) -> None:
        """Index patterns other processes created since we last looked."""
        self.session = session
        rows = session.exec(
            select(Pattern.id, Pattern.terms)
            .where(Pattern.tenant_id == self.tenant_id, col(Pattern.id) > self.known)
            .order_by(col(Pattern.id))
        ).all()
        for pid, terms in rows:
            self.index.update(pid, (), (key[2:] for key in terms or {} if key.startswith("w:")))
            self.known = max(self.known, pid)
        counted = session.exec(
            select(TermCount.docs).where(TermCount.tenant_id == self.tenant_id, TermCount.term == DOCS)
        ).first()
        if self.own is None or (counted or 0) - self.own.docs >= RESYNC:  # first use, or others counted many
            counts = session.exec(
                select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == self.tenant_id)
            ).all()
            self.own = OwnIdf(dict(counts))

    def learn(self, text: str) -> Tables:
        """Count a new report's words (here and in the database) and return the tables to weigh it by."""
        assert self.session is not None and self.own is not None
        count_terms(self.session, tenant_id=self.tenant_id, keys=self.own.add(text))
        return self.own.tables

    def candidates(self, words: Mapping[str, float], limit: int) -> list[int]:
        return self.index.top(words, limit)

    def load(self, ids: Sequence[int]) -> list[PatternState]:
        assert self.session is not None
        if not ids:
            return []
        rows = self.session.exec(select(Pattern).where(col(Pattern.id).in_(list(ids)))).all()
        by_id = {
            r.id: PatternState.from_terms(r.id, r.terms or {}, _aware(r.first_seen), _aware(r.last_seen))  # type: ignore[arg-type]
            for r in rows
        }
        return [by_id[i] for i in ids if i in by_id]

    def create(self, report: ReportFeatures) -> PatternState:
        assert self.session is not None
        state = PatternState(id=0, words={}, chars={}, n=0)
        state.add(report)
        row = Pattern(tenant_id=self.tenant_id, title="")
        write_pattern(row, state, self.taxonomy)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        state.id = row.id
        self.save(state, ())
        return state

    def save(self, state: PatternState, old_words: Iterable[str]) -> None:
        assert self.session is not None
        row = self.session.get(Pattern, state.id)
        assert row is not None
        write_pattern(row, state, self.taxonomy)
        self.session.add(row)
        self.index.update(state.id, old_words, state.words)
        self.known = max(self.known, state.id)


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
        """Put a tagged report into its best pattern, or a new one; returns the pattern id."""
        with self._lock, session_scope(self.engine) as session:
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

    def words_of(self, *, platform: str, tenant: str, reporter_key: str) -> Learnt | None:
        """What grouping learnt from one person's reports, read before they are erased (see forget)."""
        with session_scope(self.engine) as session:
            row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
            if row is None or row.id is None:
                return None
            theirs = session.exec(
                select(Report.text, Report.pattern_id).where(
                    Report.tenant_id == row.id, Report.reporter_key == reporter_key
                )
            ).all()
        return Learnt(platform, tenant, row.id, tuple(theirs)) if theirs else None

    def forget(self, learnt: Learnt) -> None:
        """Once those reports are erased, take their words out of grouping: out of the term counts,
        and out of their patterns' centroids and titles, worked out again from the members left
        (a pattern with none left keeps no words at all)."""
        with self._lock, session_scope(self.engine) as session:
            for text, _ in learnt.reports:
                count_terms(session, tenant_id=learnt.tenant_id, keys=OwnIdf.keys(text), amount=-1)
            counts = session.exec(
                select(TermCount.term, TermCount.docs).where(TermCount.tenant_id == learnt.tenant_id)
            ).all()
            own = OwnIdf(dict(counts))
            for pattern_id in sorted({pid for _, pid in learnt.reports if pid is not None}):
                self._recentre(session, pattern_id, own)
            self._stores.pop((learnt.platform, learnt.tenant), None)

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
        write_pattern(pattern, state, self.taxonomy)
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


def _replay(reports: Sequence[Report], params: Params) -> tuple[MemoryStore, dict[int, list[int]], OwnIdf]:
    """The engine over the reports in time order, counting their words as the live path did."""
    memory = MemoryStore()
    engine = Engine(memory, params)
    own = OwnIdf()
    members: dict[int, list[int]] = defaultdict(list)
    for report in reports:
        own.add(report.text)
        state, _ = engine.assign(features_of_report(report, own.tables))
        members[state.id].append(report.id)  # type: ignore[arg-type]
    return memory, members, own


def _claim(members: dict[int, list[int]], old_of: dict[int, int | None], existing: set[int]) -> dict[int, int]:
    """Memory pattern -> the existing row that shares most of its reports (each row claimed once)."""
    overlaps = []
    for mid, ids in members.items():
        for pid, n in Counter(old_of[i] for i in ids if old_of[i] in existing).items():
            overlaps.append((-n, pid, mid))
    claimed: dict[int, int] = {}
    for _, pid, mid in sorted(overlaps):  # type: ignore[type-var]
        if mid not in claimed and pid not in claimed.values():
            claimed[mid] = pid  # type: ignore[assignment]
    return claimed


def regroup(session: Session, tenant_id: int, taxonomy: Taxonomy, params: Params) -> int:
    """Run the engine over every report in order and write the result, reusing pattern rows.

    Reports the retention policy reduced to their tags have no words left to group by: they
    stay in their patterns, which survive for them (counting only them) if no words claim them.
    """
    reports = session.exec(
        select(Report).where(Report.tenant_id == tenant_id).order_by(col(Report.created_at), col(Report.id))
    ).all()
    worded = [r for r in reports if r.text != RETAINED_TEXT]
    memory, members, own = _replay(worded, params)
    existing = {p.id: p for p in session.exec(select(Pattern).where(Pattern.tenant_id == tenant_id)).all()}
    claimed = _claim(members, {r.id: r.pattern_id for r in reports}, set(existing))  # type: ignore[misc]
    pattern_of = {r.id: r.pattern_id for r in reports if r.text == RETAINED_TEXT and r.pattern_id in existing}
    kept = Counter(pattern_of.values())
    for pid in set(kept) - set(claimed.values()):  # only retained reports left: the pattern stays for them
        existing[pid].report_count = kept[pid]  # type: ignore[index]
        session.add(existing[pid])  # type: ignore[index]
    survivors = set(claimed.values()) | set(kept)
    for mid in sorted(members):
        row = existing.get(claimed[mid]) if mid in claimed else Pattern(tenant_id=tenant_id, title="")
        assert row is not None
        state = memory.patterns[mid]
        state.n += kept.get(row.id, 0)  # type: ignore[arg-type]
        write_pattern(row, state, taxonomy)
        session.add(row)
        session.flush()
        session.execute(update(Report).where(col(Report.id).in_(members[mid])).values(pattern_id=row.id))
        pattern_of.update(dict.fromkeys(members[mid], row.id))
    session.execute(delete(TermCount).where(col(TermCount.tenant_id) == tenant_id))
    if own.counts:
        session.execute(
            insert(TermCount), [{"tenant_id": tenant_id, "term": k, "docs": n} for k, n in sorted(own.counts.items())]
        )
    session.execute(delete(PatternWeek).where(col(PatternWeek.tenant_id) == tenant_id))
    weeks = Counter((pattern_of[r.id], week_of(r.created_at)) for r in reports if r.id in pattern_of)
    session.add_all(
        PatternWeek(tenant_id=tenant_id, pattern_id=pid, week=week, reports=n)
        for (pid, week), n in sorted(weeks.items())  # type: ignore[type-var]
    )
    gone = [pid for pid in existing if pid not in survivors]
    if gone:
        session.execute(delete(Alert).where(col(Alert.pattern_id).in_(gone)))
        session.execute(update(Report).where(col(Report.pattern_id).in_(gone)).values(pattern_id=None))
        session.execute(delete(Pattern).where(col(Pattern.id).in_(gone)))
    log.info("regrouped %d reports into %d patterns", len(reports), len(members))
    return len(members)
