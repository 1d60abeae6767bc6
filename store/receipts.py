"""Store verbs for the receipts Snag sent to Teams 1:1 chats: kept by their activity id, so that a
quote-reply to one finds its report."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ReceiptMessage, Report
from store.reports import find_tenant, get_or_create_tenant

__all__ = ["keep_receipt", "quoted_report"]


def keep_receipt(
    *, session: Session, platform: str, tenant: str, conversation_id: str, activity_id: str, report_id: int
) -> bool:
    """Keep the activity id of a report's receipt in a chat; False when kept already (the same
    message again) or when the report is gone (erased while its receipt was on its way)."""
    tenant_row = get_or_create_tenant(session=session, platform=platform, external_id=tenant)
    row = ReceiptMessage(
        tenant_id=tenant_row.id,  # type: ignore[arg-type]
        conversation_id=conversation_id,
        activity_id=activity_id,
        report_id=report_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # kept already, or the report erased meanwhile (its foreign key)
        return False
    return True


def quoted_report(
    *, session: Session, platform: str, tenant: str, conversation_id: str, activity_id: str, reporter_key: str
) -> Report | None:
    """The report whose receipt that message in that chat was, when it is this reporter's; None for
    any other message, and for someone else's report."""
    tenant_row = find_tenant(session=session, platform=platform, external_id=tenant)
    if tenant_row is None:
        return None
    return session.exec(
        select(Report)
        .join(ReceiptMessage, col(ReceiptMessage.report_id) == col(Report.id))
        .where(
            ReceiptMessage.tenant_id == tenant_row.id,
            ReceiptMessage.conversation_id == conversation_id,
            ReceiptMessage.activity_id == activity_id,
            Report.tenant_id == tenant_row.id,
            Report.reporter_key == reporter_key,
        )
    ).first()
