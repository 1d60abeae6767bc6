"""Store verbs for tenants, reports and corrections: keyword-only, with an explicit session."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Integer, bindparam, case, distinct, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.domain import Handoff, ReportRecord, Tags
from bot.text import has_words
from store.models import Correction, Pattern, PatternWeek, Report, Tenant

__all__ = [
    "get_or_create_tenant",
    "find_tenant",
    "create_report",
    "find_by_event",
    "find_by_message",
    "apply_tags",
    "to_record",
    "tags_of",
    "record_correction",
    "search_reports",
    "count_reports",
    "filed_since",
    "last_before",
    "has_words",
    "latest_corrections",
    "uncount_weeks",
    "member_counts",
    "recount_patterns",
    "IN_LIST",
]


def aware(dt: datetime) -> datetime:
    """A timestamp read back from the database, as aware UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def find_tenant(*, session: Session, platform: str, external_id: str) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == external_id)).first()


def get_or_create_tenant(*, session: Session, platform: str, external_id: str, name: str | None = None) -> Tenant:
    """The tenant row for a workspace or Teams tenant, created on first sight."""
    tenant = find_tenant(session=session, platform=platform, external_id=external_id)
    if tenant is not None:
        return tenant
    try:
        with session.begin_nested():
            tenant = Tenant(platform=platform, external_id=external_id, name=name)
            session.add(tenant)
    except IntegrityError:  # another request created it first
        tenant = find_tenant(session=session, platform=platform, external_id=external_id)
        assert tenant is not None
    return tenant


def find_by_event(*, session: Session, tenant_id: int, event_key: str) -> Report | None:
    return session.exec(select(Report).where(Report.tenant_id == tenant_id, Report.event_key == event_key)).first()


def find_by_message(
    *, session: Session, tenant_id: int, channel: str, message_id: str, reporter_key: str
) -> Report | None:
    """The report one person filed from their own message (the newest, should a message have filed two)."""
    return session.exec(
        select(Report)
        .where(
            Report.tenant_id == tenant_id,
            Report.message_id == message_id,
            Report.channel == channel,
            Report.reporter_key == reporter_key,
        )
        .order_by(col(Report.id).desc())
    ).first()


def create_report(*, session: Session, report: Report) -> tuple[Report, bool]:
    """Insert a report; a second delivery of the same event returns the first one."""
    if report.event_key:
        existing = find_by_event(session=session, tenant_id=report.tenant_id, event_key=report.event_key)
        if existing is not None:
            return existing, False
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        if not report.event_key:
            raise
        existing = find_by_event(session=session, tenant_id=report.tenant_id, event_key=report.event_key)
        assert existing is not None
        return existing, False
    return report, True


def tags_of(report: Report) -> Tags | None:
    if report.tag_source is None:
        return None
    handoff = None
    if report.handoff_from or report.handoff_to:
        handoff = Handoff(report.handoff_from, report.handoff_to)
    return Tags(
        stage=report.stage,
        kinds=tuple(report.kinds or ()),
        teams=tuple(report.teams or ()),
        handoff=handoff,
        confidence=dict(report.confidence or {}),
        source=report.tag_source,
        model_version=report.model_version,
    )


def apply_tags(*, report: Report, tags: Tags, now: datetime) -> None:
    report.stage = tags.stage
    report.kinds = list(tags.kinds)
    report.teams = list(tags.teams)
    report.handoff_from = tags.handoff.from_team if tags.handoff else None
    report.handoff_to = tags.handoff.to_team if tags.handoff else None
    report.confidence = {k: round(float(v), 4) for k, v in tags.confidence.items()}
    report.tag_source = tags.source
    report.model_version = tags.model_version
    report.tagged_at = now
    if report.status == "new":
        report.status = "tagged"


def to_record(report: Report, tenant: Tenant) -> ReportRecord:
    assert report.id is not None
    return ReportRecord(
        id=report.id,
        tenant=tenant.external_id,
        platform=report.platform,
        channel=report.channel,
        reporter_key=report.reporter_key,
        text=report.text,
        created_at=aware(report.created_at),
        tags=tags_of(report),
        status=report.status,
        pattern_id=report.pattern_id,
        frequency=report.frequency,
        customer_facing=report.customer_facing,
        shared=report.shared,
    )


def record_correction(
    *, session: Session, report: Report, corrector_key: str, before: Tags | None, after: Tags
) -> Correction:
    correction = Correction(
        tenant_id=report.tenant_id,
        report_id=report.id,  # type: ignore[arg-type]
        corrector_key=corrector_key,
        before=_tags_json(before) if before else None,
        after=_tags_json(after),
    )
    session.add(correction)
    return correction


def _tags_json(tags: Tags) -> dict:
    return tags.as_dict() | {"source": tags.source}


SEARCH_CANDIDATES = 2000  # the newest reports containing a search's words anywhere that are checked for them as words


def search_reports(
    *,
    session: Session,
    tenant_id: int,
    reporter_key: str | None = None,
    words: Sequence[str] = (),
    since: datetime | None = None,
    pattern_id: int | None = None,
    limit: int = 10,
    before: datetime | None = None,
) -> list[Report]:
    """Newest reports first, narrowed by reporter, time (since, before) or pattern, and by words:
    each must start a word of the text ("refund" finds "refunds", "cat" does not find "certificate").

    Words are looked for among the SEARCH_CANDIDATES newest reports that contain them anywhere, so
    a common word stays fast however many reports there are."""
    where = _narrowing(
        tenant_id=tenant_id, reporter_key=reporter_key, words=words, since=since, pattern_id=pattern_id, before=before
    )
    newest = (col(Report.created_at).desc(), col(Report.id).desc())
    if not words:
        return list(session.exec(select(Report).where(*where).order_by(*newest).limit(limit)).all())
    candidates = _candidates(session, where)[:SEARCH_CANDIDATES]
    ids = list(islice((rid for rid, text in candidates if has_words(text, words)), limit))
    found = {r.id: r for r in session.exec(select(Report).where(col(Report.id).in_(ids))).all()}
    return [found[rid] for rid in ids if rid in found]


def count_reports(
    *,
    session: Session,
    tenant_id: int,
    words: Sequence[str],
    since: datetime | None = None,
    pattern_id: int | None = None,
) -> tuple[int, bool]:
    """How many reports search_reports finds with these words when nothing limits it, and whether
    there were more than SEARCH_CANDIDATES to check (the count is then of those only: a floor)."""
    where = _narrowing(tenant_id=tenant_id, reporter_key=None, words=words, since=since, pattern_id=pattern_id)
    candidates = _candidates(session, where)
    matched = sum(has_words(text, words) for _, text in candidates[:SEARCH_CANDIDATES])
    return matched, len(candidates) > SEARCH_CANDIDATES


def search_and_count(
    *, session: Session, tenant_id: int, words: Sequence[str], limit: int, before: datetime | None = None
) -> tuple[list[Report], int, bool]:
    """search_reports and count_reports with one scan of the reports (filed before `before`, when
    given): the newest `limit` with the words, how many the candidates hold, and whether there were
    more candidates than were checked (the scan is the costly part: at 1M reports a full list of a
    common word ran it twice)."""
    where = _narrowing(tenant_id=tenant_id, reporter_key=None, words=words, since=None, pattern_id=None, before=before)
    candidates = _candidates(session, where)
    matching = [rid for rid, text in candidates[:SEARCH_CANDIDATES] if has_words(text, words)]
    ids = matching[:limit]
    found = {r.id: r for r in session.exec(select(Report).where(col(Report.id).in_(ids))).all()} if ids else {}
    return [found[rid] for rid in ids if rid in found], len(matching), len(candidates) > SEARCH_CANDIDATES


def _narrowing(
    *,
    tenant_id: int,
    reporter_key: str | None,
    words: Sequence[str],
    since: datetime | None,
    pattern_id: int | None,
    before: datetime | None = None,
) -> list[Any]:
    """The SQL conditions of a search; words as a substring prefilter (LIKE), which has_words then checks."""
    where: list[Any] = [Report.tenant_id == tenant_id]
    if reporter_key:
        where.append(Report.reporter_key == reporter_key)
    if since:
        where.append(Report.created_at >= since)
    if before:
        where.append(Report.created_at < before)
    if pattern_id is not None:
        where.append(Report.pattern_id == pattern_id)
    for word in words:
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(col(Report.text)).like(f"%{escaped}%", escape="\\"))
    return where


def filed_since(
    *, session: Session, tenant_id: int, pattern_ids: Iterable[int], cut: datetime
) -> dict[int, tuple[int, int]]:
    """Of each of these patterns with reports filed at or after `cut`: how many, and how many
    people filed all their reports in it then (none before). A pattern's counts as of the cut are
    its counts minus these: only the day's reports are read (by the index on (pattern, created)),
    never the pattern's whole history. One statement."""
    ids = sorted(set(pattern_ids))
    if not ids:
        return {}
    earlier = aliased(Report)
    known = exists().where(
        col(earlier.pattern_id) == col(Report.pattern_id),
        col(earlier.reporter_key) == col(Report.reporter_key),
        col(earlier.created_at) < cut,
    )
    newcomers = func.count(distinct(case((~known, col(Report.reporter_key)))))
    rows = session.exec(
        select(Report.pattern_id, func.count(), newcomers)
        .where(Report.tenant_id == tenant_id, col(Report.pattern_id).in_(ids), col(Report.created_at) >= cut)
        .group_by(col(Report.pattern_id))
    ).all()
    return {int(pid): (int(n), int(new)) for pid, n, new in rows if pid is not None}


def last_before(*, session: Session, pattern_id: int, cut: datetime) -> datetime | None:
    """When the pattern's newest report filed before `cut` was filed; None when none was. One
    look-up of the index on (pattern, created)."""
    found = session.exec(
        select(func.max(Report.created_at)).where(Report.pattern_id == pattern_id, col(Report.created_at) < cut)
    ).one()
    return aware(found) if found is not None else None


def _candidates(session: Session, where: list[Any]) -> list[tuple[int, str]]:
    """(id, text) of the newest SEARCH_CANDIDATES + 1 reports meeting the conditions (one more, to
    tell whether there were more), in one query: each query scans every report the LIKE keeps, so
    reading them a page at a time would scan them once per page."""
    query = select(Report.id, Report.text).where(*where)
    query = query.order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(SEARCH_CANDIDATES + 1)
    return [(int(rid), text) for rid, text in session.exec(query).all() if rid is not None]


def latest_corrections(*, session: Session) -> list[tuple[int, str, dict]]:
    """(report id, report text, latest `after` tags) for every corrected report, across tenants."""
    latest = select(func.max(Correction.id).label("id")).group_by(col(Correction.report_id)).subquery()
    rows = session.exec(
        select(Correction, Report.text)
        .join(latest, col(Correction.id) == latest.c.id)
        .join(Report, col(Report.id) == col(Correction.report_id))
        .order_by(col(Correction.report_id))
    ).all()
    return [(c.report_id, text, dict(c.after)) for c, text in rows]


IN_LIST = 500  # ids or keys per IN (...) list: SQLite's bound on parameters is far above


def uncount_weeks(*, session: Session, weeks: Mapping[tuple[int, str], int]) -> None:
    """Take erased reports out of their patterns' weekly counts, {(pattern id, week): reports}, in
    one statement (never below zero), in key order: the same lock order in every transaction."""
    if not weeks:
        return
    table = PatternWeek.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    amount = bindparam("amount", type_=Integer)
    session.execute(
        update(table)
        .where(table.c.pattern_id == bindparam("pattern"), table.c.week == bindparam("monday"))
        .values(reports=case((table.c.reports > amount, table.c.reports - amount), else_=0)),
        [{"pattern": pid, "monday": week, "amount": n} for (pid, week), n in sorted(weeks.items())],
    )


def member_counts(*, session: Session, pattern_ids: Iterable[int]) -> dict[int, int]:
    """How many reports each of these patterns holds (0 for none): a count per IN_LIST patterns."""
    counts = dict.fromkeys(sorted(set(pattern_ids)), 0)
    ids = list(counts)
    for start in range(0, len(ids), IN_LIST):
        query = select(Report.pattern_id, func.count()).where(col(Report.pattern_id).in_(ids[start : start + IN_LIST]))
        counts |= {pid: n for pid, n in session.exec(query.group_by(col(Report.pattern_id))).all() if pid}
    return counts


def recount_patterns(*, session: Session, pattern_ids: Iterable[int]) -> None:
    """Set these patterns' report counts from the reports they hold (member_counts), in one update."""
    counts = member_counts(session=session, pattern_ids=pattern_ids)
    if counts:
        table = Pattern.__table__  # type: ignore[attr-defined]
        session.execute(
            update(table).where(table.c.id == bindparam("pattern")).values(report_count=bindparam("count")),
            [{"pattern": pid, "count": n} for pid, n in counts.items()],
        )
