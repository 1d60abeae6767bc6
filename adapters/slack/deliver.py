"""Sending replies back to Slack: messages, ephemeral messages, response_urls and views."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.client import post_to_response_url, response_url_allowed
from bot.domain import Reply

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.metrics import Metrics

__all__ = [
    "Posted",
    "safely",
    "post",
    "respond",
    "answer_later",
    "ack_payload",
    "one_message",
    "webhook_metadata",
    "update_view",
    "same_modal",
]

log = logging.getLogger("snag.slack")
T = TypeVar("T")


@dataclass(frozen=True)
class Posted:
    """A message Snag posted (not an ephemeral one): its channel, as Slack names it, and its ts."""

    channel: str
    ts: str


async def safely(what: str, call: Awaitable[T], metrics: Metrics | None = None) -> T | None:
    """Await a Web API call; a Slack error is logged and counted by its code, and gives None."""
    try:
        return await call
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "unknown")
        log.warning("Slack %s failed: %s", what, code)
        if metrics is not None:
            metrics.count("snag_platform_api_errors_total", platform="slack", code=code)
        return None


def ack_payload(reply: Reply) -> dict[str, Any]:
    """A reply as the answer to a slash command, now or by its response_url: seen by the asker alone.

    Whatever the reply's own `ephemeral` says: a digest is meant for a channel when the scheduler
    posts it to a subscribed one, but a preview asked for with `/snag digest` quotes reports for a
    manager, and no answer to a command (receipts, `mine`, `pattern`, `own`...) is the channel's.
    """
    return {**render.message(reply), "response_type": "ephemeral"}


def one_message(reply: Reply) -> bool:
    """Whether the reply fits one message: a slash command's answer can be one message only, so a
    longer one (an organisation's many subscriptions) goes by its response_url, page by page."""
    return len(render.pages(reply)) == 1


async def post(
    client: AsyncWebClient,
    *,
    channel: str,
    reply: Reply,
    user: str | None = None,
    thread_ts: str | None = None,
    metrics: Metrics | None = None,
) -> list[Posted]:
    """Post a reply: ephemeral to `user` in `channel`, or a message when no user is given.

    With `thread_ts` it goes into that thread, where the person wrote, not the channel's main view.
    Returns the messages Slack took (none for an ephemeral reply: nobody can reply in its thread).
    """
    posted: list[Posted] = []
    for page in render.pages(reply):  # a long reply over several messages, as digests are
        sent = await _post_page(client, page, channel=channel, user=user, thread_ts=thread_ts, metrics=metrics)
        posted += [sent] if sent is not None else []
    return posted


async def _post_page(
    client: AsyncWebClient,
    page: dict[str, Any],
    *,
    channel: str,
    user: str | None = None,
    thread_ts: str | None = None,
    metrics: Metrics | None = None,
) -> Posted | None:
    payload = {**page, "thread_ts": thread_ts} if thread_ts else page
    if user:
        call = client.chat_postEphemeral(channel=channel, user=user, **payload)
        await safely("chat.postEphemeral", call, metrics)
        return None
    call = client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **payload)
    response = await safely("chat.postMessage", call, metrics)
    if response is None or not response.get("ts"):
        return None
    # posted to a user id, the message is in their DM with Snag: Slack answers with the DM's id
    return Posted(str(response.get("channel") or channel), str(response["ts"]))


async def respond(settings: Settings, url: str | None, payload: dict[str, Any]) -> bool:
    """Post to an interaction's response_url (Slack hosts only)."""
    return await post_to_response_url(url, payload, settings)


async def answer_later(
    settings: Settings, client: AsyncWebClient, url: str | None, reply: Reply, *, user: str, metrics: Metrics | None
) -> list[Posted]:
    """A slash command's answer by its response_url, in place of "Working on it…"; in the person's
    DM with Snag when Slack will not take it there (the url expired after 30 minutes, or failed).
    Returns the messages posted to the DM (none when the response_url took it all).

    A long answer follows as more messages, as many as render.pages makes (Slack takes 5 by one url)."""
    pages = render.pages(reply)
    for n, page in enumerate(pages):
        if not await respond(settings, url, {**page, "response_type": "ephemeral", "replace_original": n == 0}):
            log.warning("a slash command's response_url did not take its answer: sent to the person's DM instead")
            posted = [await _post_page(client, rest, channel=user, metrics=metrics) for rest in pages[n:]]
            return [p for p in posted if p is not None]
    return []


def webhook_metadata(settings: Settings, url: str | None, **extra: Any) -> dict[str, Any]:
    """Private metadata for a modal: where to update the original message, if anywhere safe."""
    meta = {k: v for k, v in extra.items() if v}
    if response_url_allowed(url, settings):
        meta["u"] = url
    return meta


async def update_view(
    client: AsyncWebClient,
    view_id: str,
    view: dict[str, Any],
    view_hash: str | None = None,
    metrics: Metrics | None = None,
) -> None:
    kwargs: dict[str, Any] = {"view_id": view_id, "view": view}
    if view_hash:
        kwargs["hash"] = view_hash
    await safely("views.update", client.views_update(**kwargs), metrics)


def same_modal(view: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A view as Slack sent it in a payload, with new blocks (for views.update)."""
    out = {k: view[k] for k in ("type", "callback_id", "title", "close", "submit", "private_metadata") if view.get(k)}
    return {**out, "blocks": blocks[: render.MAX_VIEW_BLOCKS]}
