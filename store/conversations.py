"""Conversation references for proactive messages, and delivery ids already processed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ConversationRef, ProcessedEvent, Tenant
from store.reports import IN_LIST, get_or_create_tenant

__all__ = [
    "save_reference",
    "find_reference",
    "delete_references",
    "mark_blocked",
    "first_references",
    "first_delivery",
]


def save_reference(
    *,
    session: Session,
    platform: str,
    tenant: str,
    conversation_id: str,
    reference: dict,
    reporter_key: str | None = None,
) -> ConversationRef:
    """Insert or refresh the reference of one conversation (and unblock it)."""
    tenant_row = get_or_create_tenant(session=session, platform=platform, external_id=tenant)
    row = session.exec(
        select(ConversationRef).where(
            ConversationRef.platform == platform, ConversationRef.conversation_id == conversation_id
        )
    ).first()
    if row is None:
        row = ConversationRef(
            tenant_id=tenant_row.id,  # type: ignore[arg-type]
            platform=platform,
            conversation_id=conversation_id,
            reference=reference,
            reporter_key=reporter_key,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:  # saved concurrently by another request: refresh that one
            row = find_reference(session=session, platform=platform, conversation_id=conversation_id)
            assert row is not None
    row.reference, row.blocked, row.updated_at = reference, False, datetime.now(UTC)
    row.reporter_key = reporter_key or row.reporter_key
    session.add(row)
    return row


def find_reference(*, session: Session, platform: str, conversation_id: str) -> ConversationRef | None:
    return session.exec(
        select(ConversationRef).where(
            ConversationRef.platform == platform, ConversationRef.conversation_id == conversation_id
        )
    ).first()


def first_references(session: Session, people: list[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """(platform, reporter key) -> the conversation a person is reached in (their first kept, not
    blocked), or None; in a query per platform and 500 people."""
    found: dict[tuple[str, str], str | None] = dict.fromkeys(people)
    for platform in sorted({p for p, _ in people}):
        keys = [key for p, key in people if p == platform]
        for i in range(0, len(keys), IN_LIST):
            rows = session.exec(
                select(ConversationRef.reporter_key, ConversationRef.conversation_id)
                .where(
                    ConversationRef.platform == platform,
                    col(ConversationRef.reporter_key).in_(keys[i : i + IN_LIST]),
                    ConversationRef.blocked == False,  # noqa: E712
                )
                .order_by(col(ConversationRef.id))
            ).all()
            for key, conversation in rows:
                if key is not None and found.get((platform, key)) is None:
                    found[(platform, key)] = conversation
    return found


def delete_references(*, session: Session, platform: str, tenant: str, conversation_id: str | None = None) -> int:
    """Forget one conversation, or every conversation of a tenant (uninstall)."""
    tenant_row = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
    if tenant_row is None:
        return 0
    query = delete(ConversationRef).where(col(ConversationRef.tenant_id) == tenant_row.id)
    if conversation_id is not None:
        query = query.where(col(ConversationRef.conversation_id) == conversation_id)
    return int(session.exec(query).rowcount or 0)


def mark_blocked(*, session: Session, platform: str, conversation_id: str) -> None:
    row = find_reference(session=session, platform=platform, conversation_id=conversation_id)
    if row is not None:
        row.blocked = True
        session.add(row)


def first_delivery(*, session: Session, platform: str, event_id: str) -> bool:
    """True the first time a delivery id is seen; False for every retry of it."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(platform=platform, event_id=event_id))
            session.flush()
    except IntegrityError:
        return False
    return True
