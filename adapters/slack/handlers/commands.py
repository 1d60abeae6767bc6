"""`/snag`: a sentence files a report, a word runs a query, nothing opens the report modal."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import deliver, inbound, owners, views
from adapters.slack.handlers.events import keep_receipt, owe
from bot.domain import Reply

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["register", "COMMAND"]

log = logging.getLogger("snag.slack")
COMMAND = "/snag"
WORKING = "Working on it… I'll post the answer here in a moment."
ANNOUNCE = "Snag will post digests and alerts in this channel."
INVITE = (
    "But Snag is not in this conversation, so nothing can be posted here yet: type `/invite @Snag` "
    "here (a direct message between people cannot get digests)."
)
CANNOT_JOIN = frozenset({"not_in_channel", "channel_not_found"})


def register(app: AsyncApp, rt: SlackRuntime) -> None:
    @app.command(COMMAND)
    async def snag_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await on_command(rt, ack, body, client, context)


async def on_command(
    rt: SlackRuntime,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Answer within Slack's 3 s with the reply itself when the core is quick, else later."""
    from adapters.slack.runtime import STARTED

    started = context.get(STARTED) or time.monotonic()
    who = inbound.who(body)
    if who is None:
        await ack()
        return
    if not str(body.get("text", "")).strip():
        await ack()
        await _open_report_modal(rt, client, body)
        return
    person = await rt.person(who, client)
    message = await owners.named_owner(rt, client, inbound.command_message(person, body), inbound.formatted(body))
    capture = await rt.commit(message, command=True)
    work = rt.finish(message, capture)
    if str(body.get("text", "")).split()[0].lower() == "subscribe":
        work = asyncio.ensure_future(_can_post_here(client, body, work))
    if await rt.within_budget(work, started) and deliver.one_message(work.result()):
        await ack(**deliver.ack_payload(work.result()))
        return
    url = body.get("response_url")
    owed = await owe(rt, message, capture, response_url=url) if url else None  # if this process dies now
    await ack(text=WORKING, response_type="ephemeral")
    rt.spawn(_answer_later(rt, client, work, url, owed, person.tenant, person.user))


async def _open_report_modal(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any]) -> None:
    meta = deliver.webhook_metadata(rt.settings, body.get("response_url"), c=body.get("channel_id"))
    view = views.report_view(rt.taxonomy, metadata=meta)
    call = client.views_open(trigger_id=body["trigger_id"], view=view)
    await deliver.safely("views.open", call, rt.metrics)


async def _answer_later(
    rt: SlackRuntime, client: AsyncWebClient, work: Any, url: str | None, owed: Path | None, team: str, user: str
) -> None:
    reply: Reply = await work
    dmed = await rt.pay(owed, deliver.answer_later(rt.settings, client, url, reply, user=user, metrics=rt.metrics))
    await keep_receipt(rt, team, reply, dmed, None)  # one sent to their DM takes replies in its thread


async def _can_post_here(client: AsyncWebClient, body: dict[str, Any], work: Any) -> Reply:
    """A subscription helps only where Snag can post: announce it there, or say how to invite Snag.

    With chat:write.public any public channel works; a private one needs Snag invited first.
    """
    reply: Reply = await work
    if reply.kind != "saved":
        return reply
    try:
        await client.chat_postMessage(channel=str(body.get("channel_id", "")), text=ANNOUNCE)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "unknown")
        log.info("a subscribed Slack channel cannot be posted to: %s", code)
        note = INVITE if code in CANNOT_JOIN else f"But Snag could not post here ({code}), so no digest would arrive."
        return replace(reply, notices=(*reply.notices, note))
    except Exception as exc:  # Slack unreachable: the subscription stands, the check is skipped
        log.warning("could not check a subscribed Slack channel: %s", type(exc).__name__)
    return reply
