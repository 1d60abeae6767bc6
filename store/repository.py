"""SqlRepository: the core's ReportRepository port, over SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from bot.domain import PatternSummary, Person, ReportRecord, Tags, new_again
from bot.errors import NotFound
from bot.ports import Filters
from store import privacy, slices
from store import reports as verbs
from store.db import no_jit, session_scope
from store.models import Pattern, Report, Tenant

__all__ = ["SqlRepository", "pattern_summary"]


def _now() -> datetime:
    return datetime.now(UTC)


_KEYS_AT_ONCE = 500  # event keys looked up in one statement (SQLite allows 32,766 parameters)


def _imported(session: Session, tenant_id: int, event_keys: Sequence[str]) -> dict[str, Report]:
    """The tenant's reports stored under any of these event keys, by key (import_reports)."""
    found: dict[str, Report] = {}
    for start in range(0, len(event_keys), _KEYS_AT_ONCE):
        chunk = event_keys[start : start + _KEYS_AT_ONCE]
        query = select(Report).where(Report.tenant_id == tenant_id, col(Report.event_key).in_(chunk))
        found.update((report.event_key, report) for report in session.exec(query) if report.event_key)
    return found


def pattern_summary(pattern: Pattern, *, reporter_count: int, recent_count: int = 0) -> PatternSummary:
    assert pattern.id is not None
    return PatternSummary(
        id=pattern.id,
        title=pattern.title,
        stage=pattern.stage,
        kinds=tuple(pattern.kinds or ()),
        teams=tuple(pattern.teams or ()),
        status=pattern.status,
        owner=pattern.owner,
        report_count=pattern.report_count,
        reporter_count=reporter_count,
        first_seen=verbs.aware(pattern.first_seen),
        last_seen=verbs.aware(pattern.last_seen),
        recent_count=recent_count,
        again=new_again(pattern.status, pattern.status_changed_at),
        merged_into=pattern.merged_into,
    )


class SqlRepository:
    """Every method opens its own short transaction and is scoped to the caller's tenant."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine)

    def _tenant(self, session: Session, person: Person) -> Tenant:
        return verbs.get_or_create_tenant(
            session=session, platform=person.platform, external_id=person.tenant, name=person.tenant_name
        )

    def _tenant_id(self, session: Session, person: Person) -> int | None:
        tenant = verbs.find_tenant(session=session, platform=person.platform, external_id=person.tenant)
        return tenant.id if tenant else None

    # ---- capture ----

    def add_report(
        self,
        *,
        person: Person,
        reporter_key: str,
        text: str,
        channel: str,
        created_at: datetime,
        event_id: str | None = None,
        frequency: str | None = None,
        customer_facing: bool | None = None,
        shared: bool = False,
        message_id: str | None = None,
    ) -> tuple[ReportRecord, bool]:
        # A held lock fails this commit in seconds (StoreUnavailable: the outbox), not past Slack's deadline.
        with session_scope(self.engine, brief_lock_wait=True) as session:
            tenant = self._tenant(session, person)
            report, created = verbs.create_report(
                session=session,
                report=Report(
                    tenant_id=tenant.id,  # type: ignore[arg-type]
                    platform=person.platform,
                    channel=channel,
                    reporter_key=reporter_key,
                    text=text,
                    created_at=created_at,
                    event_key=event_id,
                    frequency=frequency,
                    customer_facing=customer_facing,
                    shared=shared,
                    message_id=message_id,
                ),
            )
            session.flush()
            return verbs.to_record(report, tenant), created

    def set_tags(self, *, report_id: int, tags: Tags) -> ReportRecord:
        with self.session() as session:
            report = session.get(Report, report_id)
            assert report is not None
            verbs.apply_tags(report=report, tags=tags, now=_now())
            session.add(report)
            tenant = session.get(Tenant, report.tenant_id)
            assert tenant is not None
            return verbs.to_record(report, tenant)

    def tag_new(self, *, report_id: int, tags: Tags, text: str | None = None) -> tuple[ReportRecord | None, bool]:
        """The first tags of a report nobody has tagged yet: the report as stored, and True when
        these tags are its first. False when it was tagged meanwhile (a retry of the same message,
        another process's backlog, the reporter's own answer), which keeps its tags; whoever tagged
        it first also groups it, so it is counted once. (None, False) when it was erased. With
        `text` (the words the tags were worked out from), the claim also fails when the words
        changed meanwhile (an edit): the record returned is then still untagged, with its new words.

        The claim is one conditional UPDATE: under PostgreSQL's row lock or SQLite's write lock,
        the second of two racing taggers finds the report tagged."""
        with self.session() as session:
            claim = update(Report).where(col(Report.id) == report_id, col(Report.tag_source).is_(None))
            if text is not None:
                claim = claim.where(col(Report.text) == text)
            claimed = session.exec(claim.values(tag_source=tags.source))
            report = session.get(Report, report_id)
            if report is None:
                return None, False
            first = int(claimed.rowcount or 0) == 1
            if first:
                verbs.apply_tags(report=report, tags=tags, now=_now())
                session.add(report)
            tenant = session.get(Tenant, report.tenant_id)
            assert tenant is not None
            return verbs.to_record(report, tenant), first

    def set_text(self, *, report_id: int, text: str, was: str) -> ReportRecord | None:
        """Replace a report's words (its reporter edited or added to the message it was filed from),
        only if they are still `was` (one conditional UPDATE): None when another edit or reply
        changed them meanwhile, so that neither is lost; read again and retry."""
        with self.session() as session:
            swapped = session.exec(
                update(Report).where(col(Report.id) == report_id, col(Report.text) == was).values(text=text)
            )
            report = session.get(Report, report_id)
            if report is None:  # taken back between finding it and now
                raise NotFound(f"Report #{report_id} is no longer stored, so the edit changed nothing.")
            if not int(swapped.rowcount or 0):
                return None
            tenant = session.get(Tenant, report.tenant_id)
            assert tenant is not None
            return verbs.to_record(report, tenant)

    def find_by_message(
        self, *, person: Person, reporter_key: str, channel: str, message_id: str
    ) -> ReportRecord | None:
        """The report this person filed from their own message, or None (not a report, or someone else's)."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None or not message_id:
                return None
            report = verbs.find_by_message(
                session=session, tenant_id=tenant_id, channel=channel, message_id=message_id, reporter_key=reporter_key
            )
            tenant = session.get(Tenant, tenant_id)
            return None if report is None or tenant is None else verbs.to_record(report, tenant)

    def get_report(self, *, person: Person, report_id: int) -> ReportRecord | None:
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            report = session.get(Report, report_id)
            if report is None or tenant_id is None or report.tenant_id != tenant_id:
                return None
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            return verbs.to_record(report, tenant)

    def set_answers(
        self,
        *,
        report_id: int,
        frequency: str | None = None,
        customer_facing: bool | None = None,
        status: str | None = None,
    ) -> None:
        with self.session() as session:
            report = session.get(Report, report_id)
            assert report is not None
            if frequency is not None:
                report.frequency = frequency
            if customer_facing is not None:
                report.customer_facing = customer_facing
            if status is not None:
                report.status = status
            session.add(report)

    def add_correction(self, *, report_id: int, corrector_key: str, before: Tags | None, after: Tags) -> None:
        with self.session() as session:
            report = session.get(Report, report_id)
            assert report is not None
            verbs.record_correction(
                session=session, report=report, corrector_key=corrector_key, before=before, after=after
            )

    def untagged_reports(self, *, limit: int = 500, before: datetime | None = None) -> list[ReportRecord]:
        with self.session() as session:
            query = select(Report, Tenant).join(Tenant, col(Tenant.id) == col(Report.tenant_id))
            query = query.where(col(Report.tag_source).is_(None))
            if before is not None:
                query = query.where(col(Report.created_at) < before)
            rows = session.exec(query.order_by(col(Report.id)).limit(limit)).all()
            return [verbs.to_record(r, t) for r, t in rows]

    # ---- queries ----

    def list_reports(
        self,
        *,
        person: Person,
        reporter_key: str | None = None,
        words: Sequence[str] = (),
        since: datetime | None = None,
        pattern_id: int | None = None,
        limit: int = 10,
        before: datetime | None = None,
    ) -> list[ReportRecord]:
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return []
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            rows = verbs.search_reports(
                session=session,
                tenant_id=tenant_id,
                reporter_key=reporter_key,
                words=words,
                since=since,
                pattern_id=pattern_id,
                limit=limit,
                before=before,
            )
            return [verbs.to_record(r, tenant) for r in rows]

    def count_reports(
        self, *, person: Person, words: Sequence[str], since: datetime | None = None, pattern_id: int | None = None
    ) -> tuple[int, bool]:
        """How many reports list_reports finds with these words, unlimited; and whether there were
        too many to check them all (the count is then a floor)."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return 0, False
            return verbs.count_reports(
                session=session, tenant_id=tenant_id, words=words, since=since, pattern_id=pattern_id
            )

    def search_counted(
        self, *, person: Person, words: Sequence[str], limit: int = 10, before: datetime | None = None
    ) -> tuple[list[ReportRecord], int, bool]:
        """list_reports and count_reports for words (of reports filed before `before`, when given),
        in one scan (verbs.search_and_count)."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return [], 0, False
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            rows, matched, capped = verbs.search_and_count(
                session=session, tenant_id=tenant_id, words=words, limit=limit, before=before
            )
            return [verbs.to_record(r, tenant) for r in rows], matched, capped

    def get_pattern(self, *, person: Person, pattern_id: int, before: datetime | None = None) -> PatternSummary | None:
        """A pattern of the caller's tenant with its distinct reporters, all time; with `before`
        (the cut), as of then: None when no report of it was filed before, else its reports and
        reporters less those filed since (verbs.filed_since: the day's reports, not its history),
        last seen on its newest report before."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            pattern = session.get(Pattern, pattern_id)
            if pattern is None or tenant_id is None or pattern.tenant_id != tenant_id:
                return None
            if pattern.merged_into is not None:  # no reports of its own: where they went (bot.queries)
                return pattern_summary(pattern, reporter_count=0)
            last = verbs.last_before(session=session, pattern_id=pattern_id, cut=before) if before else None
            if before is not None and last is None:
                return None  # all its reports came since the cut: no pattern yet
            reporter_count = session.exec(
                select(func.count(func.distinct(Report.reporter_key))).where(Report.pattern_id == pattern_id)
            ).one()
            summary = pattern_summary(pattern, reporter_count=int(reporter_count))
            if before is None or last is None:
                return summary
            since, newcomers = verbs.filed_since(
                session=session, tenant_id=tenant_id, pattern_ids=[pattern_id], cut=before
            ).get(pattern_id, (0, 0))
            return replace(
                summary,
                report_count=max(summary.report_count - since, 0),
                reporter_count=summary.reporter_count - newcomers,
                first_seen=min(summary.first_seen, last),
                last_seen=last if summary.last_seen >= before else summary.last_seen,
            )

    def reporter_counts(
        self, *, person: Person, pattern_ids: Sequence[int], before: datetime | None = None
    ) -> dict[int, int]:
        """Distinct reporters of each of the caller's tenant's patterns among `pattern_ids`, as
        `get_pattern` counts them: all time, or as of the cut `before` (less the people whose
        reports in it all came since, verbs.filed_since); patterns of other tenants are left out."""
        if not pattern_ids:
            return {}
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return {}
            rows = session.exec(
                select(Report.pattern_id, func.count(func.distinct(Report.reporter_key)))
                .where(Report.tenant_id == tenant_id, col(Report.pattern_id).in_(sorted(set(pattern_ids))))
                .group_by(col(Report.pattern_id))
            ).all()
            counts = {int(pid): int(n) for pid, n in rows if pid is not None}
            if before is None:
                return counts
            since = verbs.filed_since(session=session, tenant_id=tenant_id, pattern_ids=counts, cut=before)
            return {pid: n - since.get(pid, (0, 0))[1] for pid, n in counts.items()}

    def ranked_patterns(
        self, *, person: Person, filters: Filters, k: int, limit: int = 10
    ) -> tuple[list[PatternSummary], tuple[int, int]]:
        """The `limit` most reported patterns in the window among those with at least k distinct
        reporters there; then the (reports, distinct reporters) of all the others, the "other" slice."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return [], (0, 0)
            ranked, other = slices.rank_patterns(
                session=session, tenant_id=tenant_id, filters=filters, k=k, limit=limit
            )
            ids = [pid for pid, _, _ in ranked]
            patterns = {p.id: p for p in session.exec(select(Pattern).where(col(Pattern.id).in_(ids))).all()}
            shown = [
                pattern_summary(patterns[pid], reporter_count=people, recent_count=n)
                for pid, n, people in ranked
                if pid in patterns
            ]
            return shown, other

    def stats(self, *, person: Person, since: datetime, k: int, before: datetime | None = None) -> dict[str, object]:
        """Reports since `since` (before the cut `before`, when given) per stage, kind and team as
        {label: (reports, distinct reporters)},
        and under "other" each axis's labels with fewer than k reporters, counted together; under
        "in_patterns" and "outside", the reports in patterns `top` may show and (reports, people) of
        the rest (slices.pattern_split), which decide whether the total may be told exactly."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return {"reports": 0}
            no_jit(session.connection())  # short JSON aggregates, as the digest's
            return slices.label_counts(session=session, tenant_id=tenant_id, since=since, k=k, before=before)

    # ---- privacy ----

    def erase_reporter(self, *, person: Person, reporter_key: str, report_ids: Sequence[int] | None = None) -> int:
        """Delete one person's reports (only `report_ids` of them, when given) in the caller's tenant;
        returns how many."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return 0
            return privacy.erase_reporter(
                session=session, tenant_id=tenant_id, reporter_key=reporter_key, report_ids=report_ids
            )

    def apply_retention(self, *, older_than: datetime) -> int:
        with self.session() as session:
            return privacy.apply_retention(session=session, older_than=older_than)

    # ---- history ----

    def import_reports(
        self, *, person: Person, items: Sequence[tuple[str, datetime, str, str, Tags]]
    ) -> list[ReportRecord]:
        """Store (text, created_at, reporter_key, event_key, tags) rows in ONE transaction; the reports stored.

        Rows already imported (same event key) are skipped; a failure imports nothing. Rows another
        import of the same file stores at the same moment count as already imported.
        """
        try:
            return self._import_once(person, items)
        except IntegrityError:  # rows of ours stored meanwhile by a second import: skipped this time
            return self._import_once(person, items)

    def imported_already(self, *, person: Person, event_keys: Sequence[str]) -> list[ReportRecord]:
        """The reports stored before under these event keys (what an import of them would skip, among
        them any an import stopped before grouping: no pattern yet). Writes nothing, not even the tenant."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            tenant = session.get(Tenant, tenant_id) if tenant_id is not None else None
            if tenant is None or tenant.id is None:
                return []
            return [verbs.to_record(report, tenant) for report in _imported(session, tenant.id, event_keys).values()]

    def _import_once(self, person: Person, items: Sequence[tuple[str, datetime, str, str, Tags]]) -> list[ReportRecord]:
        with self.session() as session:
            tenant = self._tenant(session, person)
            there = _imported(session, tenant.id, [item[3] for item in items])  # type: ignore[arg-type]
            out: list[ReportRecord] = []
            for text, created_at, key, event_key, tags in items:
                if event_key in there:
                    continue
                report = Report(
                    tenant_id=tenant.id,  # type: ignore[arg-type]
                    platform=person.platform,
                    channel="import",
                    reporter_key=key,
                    text=text,
                    created_at=created_at,
                    event_key=event_key,
                )
                verbs.apply_tags(report=report, tags=tags, now=_now())
                session.add(report)
                session.flush()
                there[event_key] = report
                out.append(verbs.to_record(report, tenant))
            return out

    def list_patterns(self, *, person: Person) -> list[PatternSummary]:
        """Every pattern of the tenant with its distinct reporter count (not those merged into another)."""
        with self.session() as session:
            tenant_id = self._tenant_id(session, person)
            if tenant_id is None:
                return []
            reporters = dict(
                session.exec(
                    select(Report.pattern_id, func.count(func.distinct(Report.reporter_key)))
                    .where(Report.tenant_id == tenant_id, col(Report.pattern_id).is_not(None))
                    .group_by(col(Report.pattern_id))
                ).all()
            )
            # not the terms and centroid grouping keeps: an export never shows them, and reading
            # them was most of its time and memory (100,000 patterns: 15 of 20 s, 1.3 GB)
            patterns = session.exec(
                select(Pattern)
                .where(Pattern.tenant_id == tenant_id, col(Pattern.merged_into).is_(None))  # merged: none of its own
                .order_by(col(Pattern.id))
                .options(defer(Pattern.terms), defer(Pattern.centroid))  # type: ignore[arg-type]
            ).all()
            return [pattern_summary(p, reporter_count=int(reporters.get(p.id, 0))) for p in patterns]
