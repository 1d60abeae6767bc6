"""Events: direct messages, @mentions and the :snag: reaction file reports; App Home; uninstalls."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack import dedupe, deliver, inbound, owners, views
from adapters.slack.handlers import outsiders
from adapters.slack.installations import forget_workspace
from adapters.slack.owed import Owed
from adapters.slack.reporters import private_channel
from bot import cards
from bot.domain import IncomingMessage, Person, Reply
from bot.editing import Edit
from bot.errors import StoreUnavailable

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime
    from bot.core import Capture

__all__ = ["register", "fetch_text", "send_owed", "owe", "keep_receipt"]

log = logging.getLogger("snag.slack")
# Seconds the database's retry check on an event may take: the report's commit before it may have
# taken its 2 s (adapters.deadline), and Slack retries a delivery not answered within 3 s.
CLAIM_WITHIN = 0.5
CANNOT_READ = (
    "I couldn't read that message. Invite me to the channel (`/invite @Snag`) and react again, "
    "or use the message's ⋯ menu → Report as friction."
)
# Slack's answer when Snag's install lacks the scope to read there (a group DM before mpim:history).
NOT_ALLOWED_TO_READ = (
    "I'm not allowed to read messages in this conversation yet: a Slack admin can reinstall Snag to "
    "give it the permission. Meanwhile, use the message's ⋯ menu → Report as friction."
)
UNREADABLE = (
    "I couldn't read that message (it may be gone). Use the message's ⋯ menu → Report as friction, "
    "or send me the words in a direct message."
)
NOT_IN = frozenset({"not_in_channel", "channel_not_found"})  # invited, Snag could read there


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


async def _claim(rt: SlackRuntime, body: dict[str, Any]) -> bool:
    """Take the delivery: True, or False for a retry of one already taken.

    The database's claim holds across replicas; this host's claim, taken after it, holds through
    a database outage too, when the report went to the outbox (its event id keeps the replay to
    one report) and the database cannot say whether the event was answered already.
    """
    event_id = body.get("event_id")
    if not event_id:
        return True
    claiming = asyncio.ensure_future(rt.call(dedupe.claim, rt.engine, event_id))
    done, _ = await asyncio.wait({claiming}, timeout=CLAIM_WITHIN)
    if not done:  # a database that hangs: Slack wants its answer within 3 s of the delivery
        claiming.add_done_callback(_ended_quietly)
        log.warning("the database did not answer a Slack event's retry check in time: claiming it on this host")
    else:
        try:
            if not claiming.result():
                return False
        except StoreUnavailable:
            log.warning("cannot check a Slack event for retries, the database is down: claiming it on this host")
    return rt.answered.take(event_id)  # one file created: quicker than a hop to a thread


def _ended_quietly(claiming: asyncio.Future[bool]) -> None:
    """A claim given up on has ended: its outcome (a late row, or the outage's error) changes nothing."""
    if not claiming.cancelled():
        claiming.exception()  # read, so asyncio does not log it as never retrieved


async def _file_and_answer(
    rt: SlackRuntime,
    body: dict[str, Any],
    client: AsyncWebClient,
    message: IncomingMessage,
    *,
    command: bool,
) -> None:
    """Commit the report, then claim the event before Slack gets its answer; tag and reply afterwards.

    The claim comes after the commit: a process dying before its commit (kill, OOM, lost node)
    leaves no claim, so Slack's retry, on any replica, files the report. Every delivery may
    commit, since the report's unique event key keeps them to one report; only the delivery
    that claims tags and answers, so a retry racing its original is never answered twice.
    The receipt is written down as owed before Slack gets its answer: if the process dies
    before posting it, the next one to start posts it.
    """
    capture = await rt.commit(message, command=command)
    if not await _claim(rt, body):
        return  # a retry: the delivery that claimed answers
    thread = inbound.thread_of(body)
    owed = await owe(rt, message, capture, thread)
    work = rt.finish(message, capture)
    rt.spawn(_answer(rt, client, work, message, thread, owed))


async def owe(
    rt: SlackRuntime,
    message: IncomingMessage,
    capture: Capture | None,
    thread: str | None = None,
    *,
    response_url: str | None = None,
    direct: bool = False,
) -> Path | None:
    """Write down the receipt of a stored report; None for anything else, or when the disk fails.

    With `direct` it goes to the reporter's DM with Snag: a modal's or a shortcut's own answer
    (the modal, its response_url) is not there for the next process, but their DM is."""
    if capture is None or capture.record is None:
        return None  # a query or a report kept in the outbox: answered at once, nothing to tag first
    person = message.person
    owed = Owed(
        team=person.tenant,
        user=person.user,
        channel=private_channel(message) if direct else message.channel,
        report_id=capture.record.id,
        private=not direct and message.via != "dm",
        thread=None if direct else thread,
        notices=capture.notices,
        response_url=response_url,
    )
    return rt.owed.try_owe(owed)


async def _answer(
    rt: SlackRuntime,
    client: AsyncWebClient,
    work: asyncio.Future[Reply],
    message: IncomingMessage,
    thread: str | None,
    owed: Path | None,
) -> None:
    reply = await work
    posted = await rt.pay(owed, _say(rt, client, message, reply, thread))
    await keep_receipt(rt, message.person.tenant, reply, posted, thread)


async def send_owed(rt: SlackRuntime, owed: Owed) -> None:
    """Post the receipt a process that stopped still owed: the report as it is stored now."""
    person = rt.snag.person("slack", owed.team, owed.user)
    record = await rt.call(lambda: rt.snag.repository.get_report(person=person, report_id=owed.report_id))
    client = await rt.client_for(owed.team)
    if record is None or client is None:
        return  # erased meanwhile, or Snag was removed from the workspace
    reply = cards.receipt(record, rt.taxonomy, notices=owed.notices)
    if owed.response_url:  # a slash command's: replaces its "Working on it…", or goes to their DM
        dmed = await deliver.answer_later(
            rt.settings, client, owed.response_url, reply, user=owed.user, metrics=rt.metrics
        )
        await keep_receipt(rt, owed.team, reply, dmed, None)
        return
    user = owed.user if owed.private else None
    posted = await deliver.post(
        client, channel=owed.channel, reply=reply, user=user, thread_ts=owed.thread, metrics=rt.metrics
    )
    await keep_receipt(rt, owed.team, reply, posted, owed.thread)


async def keep_receipt(
    rt: SlackRuntime, team: str, reply: Reply, posted: list[deliver.Posted] | None, thread: str | None
) -> None:
    """Keep the ts of a receipt posted as a message of its own, so that a reply in its thread is
    added to its report; one posted in a thread starts none (a reply there is under the thread's
    first message)."""
    if posted and thread is None:
        await rt.call(lambda: rt.receipts.keep(tenant=team, posted=posted, reply=reply))


async def _say(
    rt: SlackRuntime, client: AsyncWebClient, message: IncomingMessage, reply: Reply, thread: str | None
) -> list[deliver.Posted]:
    """Answer in place: in the DM, or privately to the person in the channel (and thread)."""
    private = None if message.via == "dm" else message.person.user
    return await deliver.post(
        client, channel=message.channel, reply=reply, user=private, thread_ts=thread, metrics=rt.metrics
    )


async def on_chat(rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """A DM or an @mention: a command or a report, answered in place (privately in channels)."""
    if inbound.membership(body) != inbound.MEMBER:
        await _refuse_chat(rt, body, client, context)
        return
    change = inbound.changed(body)
    if change is not None:
        await on_changed(rt, body, client, context, change)
        return
    who = inbound.who(body)
    if who is None:
        return
    person = await rt.person(who, client)
    message = inbound.event_message(person, body, context.bot_user_id)
    if message is None:
        return
    message = await owners.named_owner(rt, client, message, inbound.formatted(body, context.bot_user_id))
    if inbound.only_files(message, body):
        if await _claim(rt, body):
            await _say(rt, client, message, cards.only_files(), inbound.thread_of(body))
        return
    under = inbound.thread_parent(body)
    if under is not None and await _added_to_report(rt, body, client, message, under):
        return
    await _file_and_answer(rt, body, client, message, command=True)


async def _added_to_report(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, message: IncomingMessage, under: str
) -> bool:
    """A reply in the thread of a message that filed a report, or of that report's receipt: added
    to that report (or answered, as a command), and the answer goes in the thread. False when the
    thread is no report's.

    The words are stored before the claim, as a new report is; a retry finds them added already.
    Tagging again, or answering a command, goes on after Slack has its answer.
    """
    channel, filed_from = await _filed_from(rt, message.person, message.channel, under)
    done = await rt.call(rt.snag.add_to_report, replace(message, channel=channel), filed_from)
    if done is None:
        return False
    if await _claim(rt, body):
        rt.spawn(_finish_edit(rt, client, done, channel=message.channel, thread=under, message=message))
    return True


async def _filed_from(rt: SlackRuntime, person: Person, channel: str, thread: str) -> tuple[str, str]:
    """The channel and ts of the message a reply in `thread` may be about: the thread's own first
    message, or, for the thread of one of Snag's receipts, the message that filed its report."""
    key = rt.snag.key_of(person)
    origin = await rt.call(lambda: rt.receipts.origin(person=person, reporter_key=key, channel=channel, ts=thread))
    return (origin.channel, origin.message_id) if origin is not None else (channel, thread)


async def on_changed(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, change: inbound.Changed
) -> None:
    """The person edited or deleted a DM: if it filed a report, or was a reply added to one, the
    report follows and they are told. An edited DM that filed nothing, whose new words are a
    report, files it as if sent now; not a reply in a thread (it may have been added to a report:
    filed, its words would count twice).

    The new words are stored before Slack gets its answer; tagging them again and the answer after."""
    person = await rt.person(inbound.Who(str(body.get("team_id") or ""), change.user), client)
    message = inbound.edited_message(person, change, context.bot_user_id, body.get("event_id"))
    before = inbound.typed(change.before, context.bot_user_id) if change.before is not None else None
    if change.text is None:
        await _on_deleted(rt, body, client, change, replace(message, text=before or ""))
        return
    under = str(change.thread) if change.thread not in (None, change.ts) else None  # a reply's edit, in an outage
    done = await rt.call(lambda: rt.snag.store_edit(message, before=before, under=under))
    if done is not None and done.report is not None:
        if change.thread == change.ts:  # a message of its own, not a reply under another
            await _file_and_answer(rt, body, client, done.report, command=False)
        return
    if done is None and change.thread not in (None, change.ts) and before is not None:
        channel, filed_from = await _filed_from(rt, person, change.channel, str(change.thread))
        reply = replace(message, channel=channel)
        done = await rt.call(lambda: rt.snag.edit_added_reply(reply, filed_from, before=before))
    if done is not None and await _claim(rt, body):
        rt.spawn(_finish_edit(rt, client, done, channel=change.channel, thread=change.thread))


async def _on_deleted(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, change: inbound.Changed, gone: IncomingMessage
) -> None:
    """A deleted DM, or a deleted reply added to a report: the report stays, the person is told how
    to erase it (bot.editing: a deletion may be tidying up, and erasing cannot be undone)."""
    reply = await rt.call(rt.snag.report_deleted, gone.person, change.channel, change.ts)
    if reply is None and change.thread is not None and change.before is not None:
        channel, filed_from = await _filed_from(rt, gone.person, change.channel, change.thread)
        reply = await rt.call(rt.snag.added_reply_deleted, replace(gone, channel=channel), filed_from)
    if reply is not None and await _claim(rt, body):
        rt.spawn(deliver.post(client, channel=change.channel, reply=reply, thread_ts=change.thread, metrics=rt.metrics))


async def _finish_edit(
    rt: SlackRuntime,
    client: AsyncWebClient,
    done: Edit,
    *,
    channel: str,
    thread: str | None,
    message: IncomingMessage | None = None,
) -> None:
    """After the ack: tag the edited report again (or answer the command), then say so."""
    reply = await rt.start(rt.snag.finish_edit, done)
    if message is not None:
        await _say(rt, client, message, reply, thread)
    else:
        await deliver.post(client, channel=channel, reply=reply, thread_ts=thread, metrics=rt.metrics)


async def _refuse_chat(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Someone from another organisation wrote to Snag: one answer to them alone, nothing stored."""
    who = inbound.sender(body)
    if who is None:
        return
    stranger = rt.snag.person("slack", who.team, who.user)  # only to see whether Snag was addressed
    message = inbound.event_message(stranger, body, context.bot_user_id)
    if message is None or not await _claim(rt, body):
        return  # not addressed to Snag (their other messages in a shared channel), or a retry
    reply = outsiders.refusal(inbound.membership(body), message.via)
    await _say(rt, client, message, reply, inbound.thread_of(body))


async def fetch_text(client: AsyncWebClient, channel: str, ts: str) -> str | Reply:
    """The text of one message, top-level or in a thread; else what to tell the person who reacted:
    Slack's error says whether inviting Snag would help (a group DM cannot take an invitation)."""
    try:
        response = await client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1)
        text = _text_at(response, ts)
        if text is None:  # not a top-level message: a reply in a thread
            response = await client.conversations_replies(
                channel=channel, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=1
            )
            text = _text_at(response, ts)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "unknown")
        log.info("cannot read a reacted message: %s", code)
        if code == "missing_scope":
            return Reply(kind="error", title=NOT_ALLOWED_TO_READ)
        return Reply(kind="error", title=CANNOT_READ if code in NOT_IN else UNREADABLE)
    return Reply(kind="error", title=UNREADABLE) if text is None else text


def _text_at(response: AsyncSlackResponse, ts: str) -> str | None:
    for m in response.get("messages") or []:
        if m.get("ts") == ts:
            return inbound.visible_text(m)
    return None


async def on_reaction_added(
    rt: SlackRuntime, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """:snag: on a message files its text; the person who reacted is the reporter."""
    event = body.get("event") or {}
    target = inbound.reaction_target(event, rt.settings.slack_reaction)
    if target is None:
        return
    channel, ts = target
    member = inbound.membership(body)
    if member != inbound.MEMBER:
        stranger = inbound.sender(body)
        if stranger is not None and await _claim(rt, body):
            sorry = outsiders.refusal(member, "reaction")
            await deliver.post(client, channel=channel, reply=sorry, user=stranger.user, metrics=rt.metrics)
        return
    who = inbound.who(body)
    if who is None:
        return
    person = await rt.person(who, client)
    text = await fetch_text(client, channel, ts)
    if isinstance(text, Reply):
        await deliver.post(client, channel=channel, reply=text, user=person.user, metrics=rt.metrics)
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
