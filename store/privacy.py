"""Erasure on request and retention: store verbs that forget people's words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.domain import RETAINED_TEXT
from store.models import ConversationRef, Correction, OwedUpdate, ReceiptMessage, Report
from store.reports import recount_patterns, uncount_weeks

__all__ = ["erase_reporter", "apply_retention", "RETAINED_TEXT"]


def _monday(moment: datetime) -> str:
    day = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def erase_reporter(
    *, session: Session, tenant_id: int, reporter_key: str, report_ids: Sequence[int] | None = None
) -> int:
    """Delete every report, correction, conversation reference, update owed and receipt message of one
    person in a tenant.

    With `report_ids`, only those of their reports (a reporter taking one back), their corrections
    and the receipts Snag sent of them; an update owed about one of them moves to their newest
    report left in its pattern, and goes only when none is left there. What reaches them, their
    corrections of others' reports and every update still owed to them go once nothing of theirs
    is left."""
    theirs = select(Report.id).where(Report.tenant_id == tenant_id, Report.reporter_key == reporter_key)
    ids = list(session.exec(theirs if report_ids is None else theirs.where(col(Report.id).in_(report_ids))).all())
    weekly = session.exec(
        select(Report.pattern_id, Report.created_at).where(col(Report.id).in_(ids), col(Report.pattern_id).is_not(None))
    ).all()
    patterns = {pid for pid, _ in weekly if pid is not None}
    uncount_weeks(session=session, weeks=Counter((pid, _monday(created)) for pid, created in weekly if pid is not None))
    owed = (col(OwedUpdate.tenant_id) == tenant_id, col(OwedUpdate.reporter_key) == reporter_key)
    if ids:
        session.exec(delete(Correction).where(col(Correction.report_id).in_(ids)))
        session.exec(delete(ReceiptMessage).where(col(ReceiptMessage.report_id).in_(ids)))
        session.exec(delete(Report).where(col(Report.id).in_(ids)))
        _move_owed(session, tenant_id=tenant_id, reporter_key=reporter_key, report_ids=ids)
    if session.exec(theirs.limit(1)).first() is None:  # nothing of theirs left: nor anything to reach them by
        session.exec(
            delete(Correction).where(
                col(Correction.tenant_id) == tenant_id, col(Correction.corrector_key) == reporter_key
            )
        )
        session.exec(
            delete(ConversationRef).where(
                col(ConversationRef.tenant_id) == tenant_id, col(ConversationRef.reporter_key) == reporter_key
            )
        )
        session.exec(delete(OwedUpdate).where(*owed))  # a person who erased everything hears nothing more
    recount_patterns(session=session, pattern_ids=patterns)
    return len(ids)


def _move_owed(session: Session, *, tenant_id: int, reporter_key: str, report_ids: Sequence[int | None]) -> None:
    """Point each update owed to the person about a report taken back at their newest report left
    in its pattern (they still reported it, so they are still told); drop it where none is left.
    By statements, not loaded rows: a scheduler may send and delete one meanwhile."""
    rows = session.exec(
        select(OwedUpdate.id, OwedUpdate.pattern_id, OwedUpdate.platform).where(
            OwedUpdate.tenant_id == tenant_id,
            OwedUpdate.reporter_key == reporter_key,
            col(OwedUpdate.report_id).in_(report_ids),
        )
    ).all()
    for row_id, pattern_id, platform in rows:
        newest = session.exec(
            select(Report.id)
            .where(
                Report.tenant_id == tenant_id,
                Report.reporter_key == reporter_key,
                Report.pattern_id == pattern_id,
                Report.platform == platform,
            )
            .order_by(col(Report.created_at).desc(), col(Report.id).desc())
            .limit(1)
        ).first()
        row = col(OwedUpdate.id) == row_id
        session.exec(
            delete(OwedUpdate).where(row) if newest is None else update(OwedUpdate).where(row).values(report_id=newest)
        )


def apply_retention(*, session: Session, older_than: datetime) -> int:
    """Reduce reports older than the cut-off to their tags: the text goes, the counts stay."""
    result = session.exec(
        update(Report)
        .where(col(Report.created_at) < older_than, col(Report.text) != RETAINED_TEXT)
        .values(text=RETAINED_TEXT)
    )
    return int(result.rowcount or 0)
