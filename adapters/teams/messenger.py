"""Proactive Teams messages with bounded retries; a 403 marks the conversation blocked.

A `user:<id>` destination is a person, not a chat: Snag opens its 1:1 chat with them first.
"""

from __future__ import annotations

import asyncio
import logging
import random
import shlex

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference

from adapters.teams.receipts import ReceiptMessages, is_receipt
from adapters.teams.references import USER_PREFIX, References
from adapters.teams.render import card_for
from bot.domain import Reply
from bot.metrics import Metrics

__all__ = ["TeamsMessenger", "DeliveryFailed", "RETRY_STATUSES", "status_of", "retry_delay"]

log = logging.getLogger("snag.teams")
RETRY_STATUSES = {429, 412, 502, 503, 504}  # busy or briefly down: asked again
MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After would hold a receipt or a digest for as long


class DeliveryFailed(Exception):
    """A message Teams did not take: `status` is its HTTP answer (None: none was asked), `permanent`
    that no retry can deliver it (digests.delivery.is_permanent also reads 401, 403 and 404 so)."""

    def __init__(self, status: int | None, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.permanent = permanent


def status_of(exc: BaseException) -> int | None:
    """The HTTP status Teams answered with, when the error carries one."""
    response = getattr(exc, "response", None)
    for attr in ("status_code", "status"):
        value = getattr(response, attr, None) or getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return None


class TeamsMessenger:
    def __init__(
        self,
        adapter: CloudAdapter,
        references: References,
        app_id: str,
        metrics: Metrics,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
    ) -> None:
        self.adapter = adapter
        self.references = references
        self.app_id = app_id
        self.metrics = metrics
        self.attempts = attempts
        self.base_delay = base_delay
        self.pause = asyncio.sleep  # between tries (a test counts the waits instead)
        self.receipts = ReceiptMessages(references.engine)

    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        """Send a card to a stored conversation; raises DeliveryFailed when it cannot."""
        reference = await asyncio.to_thread(self.references.load, destination)
        if reference is None:
            raise DeliveryFailed(None, _unreachable(tenant, destination), permanent=True)
        await self.send_over(reference, destination=destination, reply=reply)

    async def send_over(
        self, reference: ConversationReference, *, destination: str, reply: Reply, tenant: str | None = None
    ) -> None:
        """Send a card over a reference at hand (a `user:` destination opens that person's 1:1 chat).

        A report's receipt (always sent to the reporter's 1:1 chat), given their `tenant`, is kept by
        the id Teams gave it: a quote-reply to it is added to the report."""
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card_for(reply)))
        for attempt in range(1, self.attempts + 1):
            try:
                conversation_id, activity_id = await self._deliver(destination, reference, activity)
            except Exception as exc:
                status = status_of(exc)
                self.metrics.count("snag_platform_api_errors_total", platform="teams", code=str(status))
                if status == 403:
                    await asyncio.to_thread(self.references.block, destination)
                    raise DeliveryFailed(403, "the bot was blocked or removed from this conversation") from exc
                if status not in RETRY_STATUSES or attempt == self.attempts:
                    reason = f"Teams answered {status}" if status else f"{exc.__class__.__name__} reaching Teams"
                    raise DeliveryFailed(status, reason) from exc
                delay = retry_delay(exc, attempt, self.base_delay)
                log.info("teams answered %s; retry %d in %.2fs", status, attempt, delay)
                await self.pause(delay)
                continue
            if tenant and is_receipt(reply):
                await asyncio.to_thread(
                    self.receipts.keep,
                    tenant=tenant,
                    conversation_id=conversation_id,
                    activity_id=activity_id,
                    reply=reply,
                )
            return

    async def _deliver(
        self, destination: str, reference: ConversationReference, activity: Activity
    ) -> tuple[str, str | None]:
        """Send one activity; the conversation it went to, and the id Teams gave it."""
        sent: list[tuple[str, str | None]] = []

        async def deliver(turn: TurnContext) -> None:
            response = await turn.send_activity(activity)
            conversation = turn.activity.conversation
            sent.append((str(conversation.id if conversation else ""), response.id if response else None))

        if not destination.startswith(USER_PREFIX):
            await self.adapter.continue_conversation(reference, deliver, self.app_id)
        else:
            await self.adapter.create_conversation(
                self.app_id,
                deliver,
                personal_chat_with(reference),
                reference.channel_id or "msteams",
                reference.service_url,
            )
        return sent[-1] if sent else ("", None)


def _unreachable(tenant: str, destination: str) -> str:
    """Why a conversation with no usable reference cannot be sent to, and what brings it back.

    Its reference goes when Snag is removed from the team or chat, is never kept where Snag was
    never added, and is unusable once Teams refused Snag there (blocked): no retry changes that.
    A person's id is left out: this is logged and kept with the failed digest or alert."""
    if destination.startswith(USER_PREFIX):
        return "Snag cannot reach this person (it was removed from their team, or they blocked it)"
    stop = f"snag unsubscribe --platform teams --tenant {shlex.quote(tenant)} --destination {shlex.quote(destination)}"
    gone = "Snag is not in this Teams channel or chat (removed, blocked or never added)"
    return f"{gone}: add Snag to it again, or run `{stop}`"


def personal_chat_with(reference: ConversationReference) -> ConversationParameters:
    """The Bot Connector request that opens (or finds) the bot's 1:1 chat with one person."""
    tenant = reference.conversation.tenant_id
    return ConversationParameters(
        is_group=False,
        bot=reference.bot,
        members=[ChannelAccount(id=reference.user.id)],
        tenant_id=tenant,
        channel_data={"tenant": {"id": tenant}},
    )


def retry_delay(exc: BaseException, attempt: int, base_delay: float) -> float:
    """How long to wait before trying again: Teams' Retry-After in seconds when it says (up to
    MAX_RETRY_AFTER), else a doubling delay from `base_delay` (up to 8 s), jittered so that many
    senders do not come back together."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        asked = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):  # absent, or an HTTP date: wait as if not told
        asked = -1.0
    if asked >= 0:
        return min(asked, MAX_RETRY_AFTER)
    return min(8.0, base_delay * 2 ** (attempt - 1)) * (0.5 + random.random())
