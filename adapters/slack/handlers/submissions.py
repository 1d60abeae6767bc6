"""Modal submissions (the report modal, fix tags) and the "Report as friction" message shortcut."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import deliver, inbound, render, views
from adapters.slack.client import UNREACHABLE
from adapters.slack.handlers import outsiders
from adapters.slack.handlers.events import owe
from bot.domain import ActionEvent, IncomingMessage, Person, Reply

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime
    from bot.app import Services

__all__ = ["register", "SHORTCUT", "apply_picks"]

log = logging.getLogger("snag.slack")
SHORTCUT = "snag_report_message"
EMPTY = "Tell me in a sentence what got in the way."


def register(app: AsyncApp, rt: SlackRuntime) -> None:
    @app.view(views.REPORT_VIEW)
    async def on_report(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_report_submitted(rt, ack, body, client, context)

    @app.view(re.compile(rf"^{views.FORM_VIEW}:"))
    async def on_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_form_submitted(rt, ack, body, client, context)

    @app.shortcut(SHORTCUT)
    async def on_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await on_message_shortcut(rt, ack, body, client, context)


def _started(context: AsyncBoltContext) -> float:
    from adapters.slack.runtime import STARTED

    return context.get(STARTED) or time.monotonic()


def apply_picks(services: Services, person: Person, reply: Reply, picks: dict[str, object]) -> Reply:
    """Where the person picked a stage or teams unlike the classifier, record what they picked
    (only those axes: the model's other tags are not their answer).

    The answer is still the receipt of a new report: where it was saved and its notices (text cut
    short, who can see it) stay; only the tags shown and the questions left come from the picks.
    """
    wanted = {k: picks[k] for k in ("stage", "teams") if picks.get(k)}
    if reply.kind != "receipt" or not reply.report_id or not wanted:
        return reply
    record = services.repository.get_report(person=person, report_id=reply.report_id)
    tags = record.tags if record else None
    teams = wanted.get("teams")
    if tags is not None and wanted.get("stage", tags.stage) == tags.stage:
        if teams is None or (isinstance(teams, list) and teams == list(tags.teams)):
            return reply
    answered = services.snag.handle_action(ActionEvent(person, reply.report_id, "answer", values=wanted))
    if answered.kind != "receipt":  # the picks could not be stored: the report is, say both
        return replace(reply, notices=(*reply.notices, answered.title))
    return replace(reply, sections=answered.sections, choices=answered.choices)


async def _with_picks(rt: SlackRuntime, work: Any, person: Person, picks: dict[str, object]) -> Reply:
    reply: Reply = await work
    return await rt.call(apply_picks, rt.services, person, reply, picks)


async def _update_later(
    rt: SlackRuntime, client: AsyncWebClient, view_id: str, work: Any, owed: Path | None = None
) -> None:
    reply: Reply = await work
    await rt.pay(owed, deliver.update_view(client, view_id, views.reply_view(reply), metrics=rt.metrics))


async def on_report_submitted(
    rt: SlackRuntime,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The `/snag` modal: file the sentence with its answers, show the receipt in the modal.

    When tagging takes longer than Slack waits, the modal says "Filing…" and the receipt is owed
    until the modal shows it: if this process dies first, the next one DMs it to the reporter."""
    view, who = body["view"], inbound.who(body)
    form = inbound.report_form(view)
    if (member := inbound.membership(body)) != inbound.MEMBER:
        await ack(response_action="update", view=views.reply_view(outsiders.refusal(member, "report form")))
        return
    if who is None or not form.text.strip():
        await ack(response_action="errors", errors={"text": EMPTY})
        return
    person = await rt.person(who, client)
    message = IncomingMessage(
        person=person,
        text=form.text,
        channel=str(inbound.metadata(view).get("c") or ""),
        via="modal",
        event_id=f"modal:{view['id']}",  # a double submit files once
        frequency=form.frequency,
        customer_facing=form.customer_facing,
    )
    capture = await rt.commit(message, command=False)
    work = asyncio.ensure_future(_with_picks(rt, rt.finish(message, capture), person, form.picks))
    if await rt.within_budget(work, _started(context)):
        await ack(response_action="update", view=views.reply_view(work.result()))
        return
    owed = await owe(rt, message, capture, direct=True)  # if this process dies before the modal shows it
    await ack(response_action="update", view=views.filing_view())
    rt.spawn(_update_later(rt, client, view["id"], work, owed))


def _first_input(view: dict[str, Any]) -> str:
    return next((b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input"), "stage")


async def on_form_submitted(
    rt: SlackRuntime,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """A core form (fix tags): an ActionEvent with the form's values; errors stay on the form."""
    view, who = body["view"], inbound.who(body)
    meta = inbound.metadata(view)
    action = str(view.get("callback_id", "")).split(":", 1)[-1]
    if (member := inbound.membership(body)) != inbound.MEMBER:
        await ack(response_action="update", view=views.reply_view(outsiders.refusal(member, "form")))
        return
    if who is None:
        await ack()
        return
    person = await rt.person(who, client)
    event = ActionEvent(person, int(meta.get("r") or 0), action, values=inbound.form_values(view))
    work = rt.start(rt.snag.handle_action, event)
    if not await rt.within_budget(work, _started(context)):
        await ack(response_action="update", view=views.filing_view())
        rt.spawn(_update_later(rt, client, view["id"], work))
        return
    reply: Reply = work.result()
    if reply.kind == "error":
        await ack(response_action="errors", errors={_first_input(view): reply.title[:150]})
        return
    await ack(response_action="update", view=views.reply_view(reply))
    if reply.kind == "receipt" and meta.get("u"):
        payload = {**render.message(reply), "replace_original": True}
        rt.spawn(deliver.respond(rt.settings, meta["u"], payload))


async def on_message_shortcut(
    rt: SlackRuntime,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Open "Filing…" at once (a trigger id lives 3 s), then file the message, show the receipt.

    The receipt is owed until shown: if this process dies first, the next one DMs it to the reporter."""
    await ack()
    if (member := inbound.membership(body)) != inbound.MEMBER:
        sorry = render.message(outsiders.refusal(member, "shortcut"))
        await deliver.respond(rt.settings, body.get("response_url"), {**sorry, "response_type": "ephemeral"})
        return
    call = client.views_open(trigger_id=body["trigger_id"], view=views.filing_view())
    try:
        opened = await deliver.safely("views.open", call, rt.metrics)
    except UNREACHABLE as exc:  # the message is filed all the same; its receipt waits for Slack
        log.warning("cannot open the shortcut's modal, Slack cannot be reached: %s", type(exc).__name__)
        opened = None
    who = inbound.who(body)
    if who is None:
        return
    person = await rt.person(who, client)
    source, channel = body.get("message") or {}, str((body.get("channel") or {}).get("id", ""))
    key = inbound.item_key("shortcut", channel, str(source.get("ts", "")), rt.snag.key_of(person))
    message = inbound.item_message(person, text=inbound.visible_text(source), channel=channel, via="shortcut", key=key)
    capture = await rt.commit(message, command=False)
    owed = await owe(rt, message, capture, direct=True)
    work = rt.finish(message, capture)
    if opened is not None:
        rt.spawn(_update_later(rt, client, opened["view"]["id"], work, owed))
    else:  # the modal could not open: answer privately where the message is
        rt.spawn(_respond_later(rt, body.get("response_url"), work, owed))


async def _respond_later(rt: SlackRuntime, url: str | None, work: Any, owed: Path | None) -> None:
    reply: Reply = await work
    await rt.pay(owed, deliver.respond(rt.settings, url, {**render.message(reply), "response_type": "ephemeral"}))
