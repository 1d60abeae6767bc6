"""Events: direct messages, @mentions and the :snag: reaction file reports; App Home; uninstalls."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import dedupe, deliver, inbound, views
from adapters.slack.installations import forget_workspace
from bot.domain import IncomingMessage, Reply
from store.conversations import save_reference
from store.db import session_scope

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["register", "fetch_text"]

log = logging.getLogger("snag.slack")
CANNOT_READ = (
    "I couldn't read that message. Invite me to the channel (`/invite @Snag`) and react again, "
    "or use the message's ⋯ menu → Report as friction."
)


def register(app: AsyncApp, rt: SlackRuntime) -> None:
    @app.event("message")
    async def on_message(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_chat(rt, body, client, context)

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_chat(rt, body, client, context)

    @app.event("reaction_added")
    async def on_reaction(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await on_reaction_added(rt, body, client, context)

    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], client: AsyncWebClient) -> None:
        await on_home_opened(rt, body, client)

    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any]) -> None:
        await forget(rt, body)

    @app.event("tokens_revoked")
    async def on_revoked(body: dict[str, Any]) -> None:
        if (body.get("event", {}).get("tokens") or {}).get("bot"):
            await forget(rt, body)

    @app.event(re.compile(r".*"))
    async def on_other(body: dict[str, Any]) -> None:
        """Any other event is acknowledged, so Slack does not retry it."""


async def _already_answered(rt: SlackRuntime, body: dict[str, Any]) -> bool:
    event_id = body.get("event_id")
    return bool(event_id) and await rt.call(dedupe.seen, rt.engine, event_id)


async def _file_and_answer(
    rt: SlackRuntime,
    body: dict[str, Any],
    client: AsyncWebClient,
    message: IncomingMessage,
    *,
    command: bool,
) -> None:
    """Commit the report before Slack gets its answer; tag, reply and mark the event afterwards."""
    work = await rt.commit_then(message, command=command)
    rt.spawn(_answer(rt, client, work, message, body.get("event_id")))


async def _answer(
    rt: SlackRuntime,
    client: AsyncWebClient,
    work: Any,
    message: IncomingMessage,
    event_id: str | None,
) -> None:
    reply: Reply = await work
    private = None if message.via == "dm" else message.person.user
    await deliver.post(client, channel=message.channel, reply=reply, user=private, metrics=rt.metrics)
    if message.via == "dm":
        await rt.call(_remember_dm, rt, message)
    if event_id:
        await rt.call(dedupe.mark, rt.engine, event_id)


def _remember_dm(rt: SlackRuntime, message: IncomingMessage) -> None:
    """Keep the DM channel so Snag can tell the reporter what became of their report."""
    with session_scope(rt.engine) as session:
        save_reference(
            session=session,
            platform="slack",
            tenant=message.person.tenant,
            conversation_id=message.channel,
            reference={"channel": message.channel},
            reporter_key=rt.snag.key_of(message.person),
        )


async def on_chat(rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """A DM or an @mention: a command or a report, answered in place (privately in channels)."""
    who = inbound.who(body)
    if who is None or await _already_answered(rt, body):
        return
    person = await rt.person(who, client)
    message = inbound.event_message(person, body, context.bot_user_id)
    if message is not None:
        await _file_and_answer(rt, body, client, message, command=True)


async def fetch_text(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    """The text of one message, top-level or in a thread; None when Snag cannot read it."""
    window = {"channel": channel, "latest": ts, "oldest": ts, "inclusive": True, "limit": 1}
    try:
        for method, extra in (
            (client.conversations_history, {}),
            (client.conversations_replies, {"ts": ts}),
        ):
            response = await method(**window, **extra)
            for m in response.get("messages") or []:
                if m.get("ts") == ts:
                    return str(m.get("text") or "")
    except SlackApiError as exc:
        log.info("cannot read a reacted message: %s", exc.response.get("error"))
    return None


async def on_reaction_added(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """:snag: on a message files its text; the person who reacted is the reporter."""
    event = body.get("event") or {}
    target = inbound.reaction_target(event, rt.settings.slack_reaction)
    who = inbound.who(body)
    if target is None or who is None or await _already_answered(rt, body):
        return
    channel, ts = target
    person = await rt.person(who, client)
    text = await fetch_text(client, channel, ts)
    if text is None:
        sorry = Reply(kind="error", title=CANNOT_READ)
        await deliver.post(client, channel=channel, reply=sorry, user=person.user, metrics=rt.metrics)
        return
    key = inbound.item_key("reaction", channel, ts, rt.snag.key_of(person))
    message = inbound.item_message(person, text=text, channel=channel, via="reaction", key=key)
    await _file_and_answer(rt, body, client, message, command=False)


async def on_home_opened(rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient) -> None:
    """Publish the App Home: own reports, and the top patterns for managers."""
    event = body.get("event") or {}
    who = inbound.who(body)
    if event.get("tab") != "home" or who is None:
        return
    person = await rt.person(who, client)

    def ask(text: str) -> Reply:
        return rt.snag.handle_message(IncomingMessage(person=person, text=text, channel="home"))

    mine = await rt.call(ask, "mine")
    top = await rt.call(ask, "top") if person.role.sees_texts else None
    view = views.home_view(mine, top)
    call = client.views_publish(user_id=person.user, view=view)
    rt.spawn(deliver.safely("views.publish", call, rt.metrics))


async def forget(rt: SlackRuntime, body: dict[str, Any]) -> None:
    """Uninstalled or bot token revoked: delete the stored token and conversation references."""
    team_id = str(body.get("team_id") or "")
    if rt.installations is not None:
        await rt.installations.async_delete_bot(enterprise_id=body.get("enterprise_id"), team_id=team_id)
    refs = await rt.call(lambda: forget_workspace(rt.engine, team_id=team_id))
    log.info(
        "Snag was removed from a Slack workspace: token and %d conversation references deleted",
        refs,
    )
