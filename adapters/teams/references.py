"""Conversation references kept in the database, for proactive digests, alerts and updates.

A channel is stored under its own id (never one thread's `;messageid=`), and a reporter who
spoke outside a 1:1 chat with Snag under `user:<id>`, so closing the loop can open that chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from adapters.teams import inbound
from store import conversations
from store.db import session_scope
from store.models import ConversationRef, Tenant
from store.reports import find_by_event, find_tenant

__all__ = ["References", "Reach", "chat_of", "reporter_of", "USER_PREFIX"]

PLATFORM = "teams"
USER_PREFIX = "user:"


@dataclass(frozen=True)
class Reach:
    """One conversation reference to keep: where (destination) and how (the serialized reference)."""

    tenant: str
    destination: str
    reference: dict
    reporter_key: str | None = None


def _reach(raw: dict, destination: str, reference: ConversationReference, reporter_key: str | None) -> Reach:
    stored = reference.serialize()
    team = inbound.team_of(raw)
    if team:
        stored["teamId"] = team  # so removing the app from a team forgets all of it
    return Reach(inbound.tenant_of(raw), destination, stored, reporter_key)


def chat_of(activity: Activity, reporter_key: str | None) -> Reach:
    """How to reach this chat or channel later (a channel as a new post, not a reply)."""
    raw = activity.serialize()
    reference = TurnContext.get_conversation_reference(activity)
    reference.conversation.id = inbound.conversation_of(raw)
    reference.activity_id = None
    return _reach(raw, reference.conversation.id, reference, reporter_key)


def reporter_of(activity: Activity, reporter_key: str) -> Reach:
    """How to open a 1:1 chat with this activity's sender."""
    raw = activity.serialize()
    destination = USER_PREFIX + inbound.user_of(raw)
    sender = activity.from_property
    reference = ConversationReference(
        user=ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id),
        bot=ChannelAccount(id=activity.recipient.id),
        conversation=ConversationAccount(
            id=destination, conversation_type="personal", tenant_id=inbound.tenant_of(raw)
        ),
        channel_id=activity.channel_id,
        service_url=activity.service_url,
    )
    return _reach(raw, destination, reference, reporter_key)


class References:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, reach: Reach) -> None:
        """Keep (or refresh) one conversation reference."""
        with session_scope(self.engine) as session:
            conversations.save_reference(
                session=session,
                platform=PLATFORM,
                tenant=reach.tenant,
                conversation_id=reach.destination,
                reference=reach.reference,
                reporter_key=reach.reporter_key,
            )

    def filed(self, tenant: str, event_key: str) -> bool:
        """Whether the report of this delivery is in the database."""
        with session_scope(self.engine) as session:
            row = find_tenant(session=session, platform=PLATFORM, external_id=tenant)
            if row is None or row.id is None:
                return False
            return find_by_event(session=session, tenant_id=row.id, event_key=event_key) is not None

    def forget(self, tenant: str, conversation_id: str, team: str | None = None) -> int:
        """Delete a chat's reference, or every reference saved in a team the app left."""
        with session_scope(self.engine) as session:
            ids = {conversation_id} | (self._team_conversations(session, tenant, team) if team else set())
            return sum(
                conversations.delete_references(session=session, platform=PLATFORM, tenant=tenant, conversation_id=c)
                for c in ids
            )

    @staticmethod
    def _team_conversations(session: Session, tenant: str, team: str) -> set[str]:
        rows = session.exec(
            select(ConversationRef.conversation_id, ConversationRef.reference)
            .join(Tenant, col(Tenant.id) == col(ConversationRef.tenant_id))
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
