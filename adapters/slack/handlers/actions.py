"""Button presses and menu choices on receipts, in messages and in modals."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import deliver, inbound, render, views
from adapters.slack.handlers import outsiders
from adapters.slack.inbound import ParsedAction
from bot.domain import ActionEvent, Reply

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["register", "on_block_action"]


def register(app: AsyncApp, rt: SlackRuntime) -> None:
    @app.action(re.compile(r"^snag:"))
    async def on_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_block_action(rt, ack, body, client, context)


async def on_block_action(
    rt: SlackRuntime,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Ack, hand the action to the core, and show its answer where the button was."""
    from adapters.slack.runtime import STARTED

    await ack()
    if (member := inbound.membership(body)) != inbound.MEMBER:  # another organisation's: say so, as elsewhere
        sorry = render.message(outsiders.refusal(member, "button"))
        payload = {**sorry, "response_type": "ephemeral", "replace_original": False}
        await deliver.respond(rt.settings, body.get("response_url"), payload)
        return
    parsed, who = inbound.block_action(body), inbound.who(body)
    if parsed is None or who is None:
        return
    if parsed.name == "new_report":
        view = views.report_view(rt.taxonomy)
        call = client.views_open(trigger_id=body["trigger_id"], view=view)
        await deliver.safely("views.open", call, rt.metrics)
        return
    if parsed.name == "suggest":
        await suggest(rt, body, client)
        return
    person = await rt.person(who, client)
    work = rt.start(rt.snag.handle_action, ActionEvent(person, parsed.report_id, parsed.name, parsed.value))
    await rt.within_budget(work, context.get(STARTED) or time.monotonic())
    rt.spawn(_show(rt, client, body, parsed, work))


async def _show(
    rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any], parsed: ParsedAction, work: Any
) -> None:
    reply: Reply = await work
    if reply.kind == "form":
        await _open_form(rt, client, body, reply)
    elif (body.get("container") or {}).get("type") == "view" and body.get("view"):
        await _show_in_view(rt, client, body["view"], parsed, reply)
    else:
        await _show_in_message(rt, body, parsed, reply)


async def _open_form(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any], reply: Reply) -> None:
    view = views.form_view(reply, metadata=deliver.webhook_metadata(rt.settings, body.get("response_url")))
    if (body.get("container") or {}).get("type") == "view" and body.get("view"):
        await deliver.update_view(client, body["view"]["id"], view, metrics=rt.metrics)
    else:
        call = client.views_open(trigger_id=body["trigger_id"], view=view)
        await deliver.safely("views.open", call, rt.metrics)


async def _show_in_view(
    rt: SlackRuntime,
    client: AsyncWebClient,
    view: dict[str, Any],
    parsed: ParsedAction,
    reply: Reply,
) -> None:
    if reply.kind in ("saved", "error"):
        mark = "✓" if reply.kind == "saved" else ":warning:"
        blocks = render.answered(view.get("blocks") or [], parsed.block_id, reply.title, mark)
        new = deliver.same_modal(view, blocks)
    else:
        new = views.reply_view(reply)
    await deliver.update_view(client, view["id"], new, view.get("hash"), rt.metrics)


async def _show_in_message(rt: SlackRuntime, body: dict[str, Any], parsed: ParsedAction, reply: Reply) -> None:
    url = body.get("response_url")
    blocks = (body.get("message") or {}).get("blocks")
    if reply.kind == "receipt":
        payload = {**render.message(reply), "replace_original": True}
    elif blocks and reply.kind == "saved":
        new_blocks = render.answered(blocks, parsed.block_id, reply.title)
        payload = {
            "text": render.fallback_text(reply),
            "blocks": new_blocks,
            "replace_original": True,
        }
    else:  # an ephemeral receipt cannot be read back: answer beside it
        payload = {**render.message(reply), "response_type": "ephemeral", "replace_original": False}
    await deliver.respond(rt.settings, url, payload)


async def suggest(rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient) -> None:
    """Enter in the report modal: pre-fill stage and teams, keeping the person's own picks."""
    view = body.get("view") or {}
    form, meta = inbound.report_form(view), inbound.metadata(view)
    tags = await rt.call(rt.snag.suggest, form.text) if form.text.strip() else None
    last = meta.get("s") or {}
    picks = {k: v for k, v in form.picks.items() if last.get(k) != v}
    new_meta = {k: v for k, v in meta.items() if k not in ("v", "s")}
    if tags is not None:
        new_meta["s"] = {"stage": tags.stage, "teams": list(tags.teams)}
    new = views.report_view(
        rt.taxonomy,
        text=form.text,
        tags=tags,
        picks=picks,
        version=int(meta.get("v") or 0) + 1,
        metadata=new_meta,
    )
    await deliver.update_view(client, view["id"], new, view.get("hash"), rt.metrics)
