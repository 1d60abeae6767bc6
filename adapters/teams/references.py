"""Conversation references kept in the database, for proactive digests, alerts and updates.

A channel is stored under its own id (never one thread's `;messageid=`), and a reporter who
spoke outside a 1:1 chat with Snag under `user:<id>`, so closing the loop can open that chat.
"""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from sqlmodel import select

from adapters.teams import inbound
from store import conversations
from store.db import session_scope
from store.models import ConversationRef, Tenant

__all__ = ["References", "USER_PREFIX"]

PLATFORM = "teams"
USER_PREFIX = "user:"


class References:
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    def save(self, activity: Activity, reporter_key: str | None) -> None:
        """Remember how to reach this chat or channel later (a channel as a new post, not a reply)."""
        raw = activity.serialize()
        reference = TurnContext.get_conversation_reference(activity)
        reference.conversation.id = inbound.conversation_of(raw)
        reference.activity_id = None
        self._put(raw, reference.conversation.id, reference, reporter_key)

    def save_reporter(self, activity: Activity, reporter_key: str) -> str:
        """Remember how to open a 1:1 chat with this activity's sender; returns the destination."""
        raw = activity.serialize()
        tenant = inbound.tenant_of(raw)
        destination = USER_PREFIX + inbound.user_of(raw)
        sender = activity.from_property
        reference = ConversationReference(
            user=ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id),
            bot=ChannelAccount(id=activity.recipient.id),
            conversation=ConversationAccount(id=destination, conversation_type="personal", tenant_id=tenant),
            channel_id=activity.channel_id,
            service_url=activity.service_url,
        )
        self._put(raw, destination, reference, reporter_key)
        return destination

    def _put(self, raw: dict, destination: str, reference: ConversationReference, reporter_key: str | None) -> None:
        stored = reference.serialize()
        team = inbound.team_of(raw)
        if team:
            stored["teamId"] = team  # so removing the app from a team forgets all of it
        with session_scope(self.engine) as session:
            conversations.save_reference(
                session=session,
                platform=PLATFORM,
                tenant=inbound.tenant_of(raw),
                conversation_id=destination,
                reference=stored,
                reporter_key=reporter_key,
            )

    def forget(self, tenant: str, conversation_id: str, team: str | None = None) -> int:
        """Delete a chat's reference, or every reference saved in a team the app left."""
        with session_scope(self.engine) as session:
            ids = {conversation_id} | (self._team_conversations(session, tenant, team) if team else set())
            return sum(
                conversations.delete_references(session=session, platform=PLATFORM, tenant=tenant, conversation_id=c)
                for c in ids
            )

    @staticmethod
    def _team_conversations(session, tenant: str, team: str) -> set[str]:  # type: ignore[no-untyped-def]
        rows = session.exec(
            select(ConversationRef.conversation_id, ConversationRef.reference)
            .join(Tenant, Tenant.id == ConversationRef.tenant_id)
            .where(ConversationRef.platform == PLATFORM, Tenant.platform == PLATFORM, Tenant.external_id == tenant)
        ).all()
        return {cid for cid, reference in rows if (reference or {}).get("teamId") == team}

    def load(self, conversation_id: str) -> ConversationReference | None:
        with session_scope(self.engine) as session:
            row = conversations.find_reference(session=session, platform=PLATFORM, conversation_id=conversation_id)
            if row is None or row.blocked:
                return None
            return ConversationReference().deserialize(row.reference)

    def block(self, conversation_id: str) -> None:
        with session_scope(self.engine) as session:
            conversations.mark_blocked(session=session, platform=PLATFORM, conversation_id=conversation_id)

    def first_delivery(self, key: str) -> bool:
        """True the first time a delivery key (see inbound.delivery_key) is seen."""
        with session_scope(self.engine) as session:
            return conversations.first_delivery(session=session, platform=PLATFORM, event_id=key)
