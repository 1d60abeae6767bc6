"""Conversation references kept in the database, for proactive digests and alerts."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from adapters.teams import inbound
from store import conversations
from store.db import session_scope

__all__ = ["References"]

PLATFORM = "teams"


class References:
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    def save(self, activity: Activity, reporter_key: str | None) -> None:
        """Remember how to reach this conversation later."""
        reference = TurnContext.get_conversation_reference(activity)
        raw = activity.serialize()
        with session_scope(self.engine) as session:
            conversations.save_reference(
                session=session,
                platform=PLATFORM,
                tenant=inbound.tenant_of(raw),
                conversation_id=activity.conversation.id,
                reference=reference.serialize(),
                reporter_key=reporter_key,
            )

    def forget(self, tenant: str, conversation_id: str) -> int:
        with session_scope(self.engine) as session:
            return conversations.delete_references(
                session=session, platform=PLATFORM, tenant=tenant, conversation_id=conversation_id
            )

    def load(self, conversation_id: str) -> ConversationReference | None:
        with session_scope(self.engine) as session:
            row = conversations.find_reference(session=session, platform=PLATFORM, conversation_id=conversation_id)
            if row is None or row.blocked:
                return None
            return ConversationReference().deserialize(row.reference)

    def block(self, conversation_id: str) -> None:
        with session_scope(self.engine) as session:
            conversations.mark_blocked(session=session, platform=PLATFORM, conversation_id=conversation_id)

    def first_delivery(self, activity_id: str) -> bool:
        with session_scope(self.engine) as session:
            return conversations.first_delivery(session=session, platform=PLATFORM, event_id=activity_id)
