"""Conversation references kept in the database, for proactive digests, alerts and updates.

A channel is stored under its own id (never one thread's `;messageid=`), and a reporter who
spoke outside a 1:1 chat with Snag under `user:<id>`, so closing the loop can open that chat.

A reference keeps only what sending needs: the conversation, the service URL, the channel, the
bot, the tenant and, to open a 1:1 chat, the person's Teams user id; never their display name or
AAD object id. With SNAG_ENCRYPTION_KEY set it is stored Fernet-encrypted, as Slack tokens are;
references stored before (in plain JSON, or with a name) are rewritten at start.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from adapters.slack.installations import fernet
from adapters.teams import inbound
from store import conversations
from store.db import session_scope
from store.models import ConversationRef, Tenant
from store.reports import find_by_event, find_tenant

__all__ = ["References", "Reach", "chat_of", "reporter_of", "USER_PREFIX", "SEALED"]

log = logging.getLogger("snag.teams")
PLATFORM = "teams"
USER_PREFIX = "user:"
SEALED = "sealed"  # the one key of a stored reference encrypted with SNAG_ENCRYPTION_KEY


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
    """How to reach this chat or channel later (a channel as a new post, not a reply).

    Who wrote is not kept: a proactive message goes to the conversation, not to a person in it.
    """
    raw = activity.serialize()
    conversation = activity.conversation
    reference = ConversationReference(
        bot=ChannelAccount(id=activity.recipient.id),
        conversation=ConversationAccount(
            id=inbound.conversation_of(raw),
            conversation_type=conversation.conversation_type,
            is_group=conversation.is_group,
            tenant_id=conversation.tenant_id,
        ),
        channel_id=activity.channel_id,
        service_url=activity.service_url,
    )
    return _reach(raw, reference.conversation.id, reference, reporter_key)


def reporter_of(activity: Activity, reporter_key: str) -> Reach:
    """How to open a 1:1 chat with this activity's sender: the Bot Connector needs their Teams user id.

    Kept under that id (which only this bot can use), not their AAD object id (which the whole
    directory knows them by)."""
    raw = activity.serialize()
    destination = USER_PREFIX + activity.from_property.id
    reference = ConversationReference(
        user=ChannelAccount(id=activity.from_property.id),
        bot=ChannelAccount(id=activity.recipient.id),
        conversation=ConversationAccount(
            id=destination, conversation_type="personal", tenant_id=inbound.tenant_of(raw)
        ),
        channel_id=activity.channel_id,
        service_url=activity.service_url,
    )
    return _reach(raw, destination, reference, reporter_key)


def _minimal(stored: dict[str, Any]) -> dict[str, Any]:
    """A reference stored before only what sending needs was kept: without names or AAD ids."""
    kept = {k: v for k, v in stored.items() if k in ("bot", "conversation", "channelId", "serviceUrl", "teamId")}
    kept["bot"] = {"id": (stored.get("bot") or {}).get("id")}
    conversation = stored.get("conversation") or {}
    kept["conversation"] = {
        k: conversation[k] for k in ("id", "conversationType", "isGroup", "tenantID", "tenantId") if k in conversation
    }
    if str(conversation.get("id", "")).startswith(USER_PREFIX):  # opening a 1:1 chat needs the user id
        user = (stored.get("user") or {}).get("id")
        kept["user"] = {"id": user}
        kept["conversation"]["id"] = USER_PREFIX + str(user)  # not their AAD id, as earlier versions had it
    return kept


def _user_destination(conversation_id: str, stored: dict[str, Any]) -> str | None:
    """The new name of a reporter's reference kept, by earlier versions, under their AAD object id."""
    user = (stored.get("user") or {}).get("id")
    if not conversation_id.startswith(USER_PREFIX) or not user or conversation_id == USER_PREFIX + user:
        return None
    return USER_PREFIX + str(user)


class References:
    def __init__(self, engine: Engine, encryption_key: str | None = None) -> None:
        self.engine = engine
        self._fernet: Fernet | None = fernet(encryption_key) if encryption_key else None

    def _seal(self, reference: dict[str, Any]) -> dict[str, Any]:
        if self._fernet is None:
            return reference
        return {SEALED: self._fernet.encrypt(json.dumps(reference).encode()).decode()}

    def _open(self, stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A stored reference as sent with: plain JSON (stored without a key) or sealed; None if unreadable."""
        if not stored or SEALED not in stored:
            return dict(stored) if stored else None
        if self._fernet is None:
            log.error("a Teams conversation reference is encrypted but SNAG_ENCRYPTION_KEY is not set")
            return None
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(str(stored[SEALED]).encode()))
        except (InvalidToken, ValueError):
            log.error("a Teams conversation reference cannot be decrypted: was SNAG_ENCRYPTION_KEY changed?")
            return None
        return opened

    def put(self, reach: Reach) -> None:
        """Keep (or refresh) one conversation reference."""
        with session_scope(self.engine) as session:
            conversations.save_reference(
                session=session,
                platform=PLATFORM,
                tenant=reach.tenant,
                conversation_id=reach.destination,
                reference=self._seal(_minimal(reach.reference)),
                reporter_key=reach.reporter_key,
            )

    def reseal(self) -> int:
        """Rewrite references stored before: names and AAD ids dropped, encrypted when a key is set.

        Returns how many were rewritten. Reading takes both forms, so this only tidies up.
        """
        changed = 0
        with session_scope(self.engine) as session:
            rows = session.exec(select(ConversationRef).where(ConversationRef.platform == PLATFORM)).all()
            taken = {row.conversation_id for row in rows}
            for row in rows:
                stored = row.reference or {}
                if SEALED in stored:  # written by this version: minimal already
                    continue
                wanted = self._seal(_minimal(stored))
                renamed = _user_destination(row.conversation_id, stored)
                if renamed in taken:  # the same person, stored again since under their Teams user id
                    session.delete(row)
                    changed += 1
                    continue
                if wanted != stored or renamed:
                    row.reference, row.conversation_id = wanted, renamed or row.conversation_id
                    taken.add(row.conversation_id)
                    session.add(row)
                    changed += 1
        return changed

    def reseal_quietly(self) -> None:
        """`reseal`, for a start-up task: a failure (the database down) only logs, the next start retries."""
        try:
            if changed := self.reseal():
                log.info("rewrote %d Teams conversation reference(s) stored before: only what sending needs", changed)
        except Exception as exc:
            log.warning("stored Teams conversation references not rewritten yet: %s", type(exc).__name__)

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

    def _team_conversations(self, session: Session, tenant: str, team: str) -> set[str]:
        rows = session.exec(
            select(ConversationRef.conversation_id, ConversationRef.reference)
            .join(Tenant, col(Tenant.id) == col(ConversationRef.tenant_id))
            .where(ConversationRef.platform == PLATFORM, Tenant.platform == PLATFORM, Tenant.external_id == tenant)
        ).all()
        return {cid for cid, reference in rows if (self._open(reference) or {}).get("teamId") == team}

    def load(self, conversation_id: str) -> ConversationReference | None:
        with session_scope(self.engine) as session:
            row = conversations.find_reference(session=session, platform=PLATFORM, conversation_id=conversation_id)
            opened = None if row is None or row.blocked else self._open(row.reference)
            return None if opened is None else ConversationReference().deserialize(opened)

    def block(self, conversation_id: str) -> None:
        with session_scope(self.engine) as session:
            conversations.mark_blocked(session=session, platform=PLATFORM, conversation_id=conversation_id)

    def first_delivery(self, key: str) -> bool:
        """True the first time a delivery key (see inbound.delivery_key) is seen."""
        with session_scope(self.engine) as session:
            return conversations.first_delivery(session=session, platform=PLATFORM, event_id=key)
