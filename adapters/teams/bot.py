"""The Teams activity handler: thin, it translates and calls the core off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ConversationReference,
    InvokeResponse,
)
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TeamInfo,
    TeamsChannelAccount,
)

from adapters.teams import extension, inbound, private
from adapters.teams.groups import AadGroups
from adapters.teams.messenger import RETRY_STATUSES, TeamsMessenger, retry_delay, status_of
from adapters.teams.owed import Owed, owed_for
from adapters.teams.receipts import Quoted, ReceiptMessages, is_receipt
from adapters.teams.references import Reach, References, chat_of, reporter_of
from adapters.teams.render import card_for
from adapters.teams.waiting import WAITING_DIR, WaitingReferences
from bot import cards
from bot.core import Capture, where
from bot.domain import IncomingMessage, Person, Reply
from bot.editing import Edit
from bot.errors import SnagError, StoreUnavailable
from bot.files import nothing_to_file
from bot.own_words import said_before

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from bot.app import Services

__all__ = ["SnagTeamsBot"]

log = logging.getLogger("snag.teams")
EXPIRED = Reply(kind="error", title="That button has expired. Send a new report.")
UNANSWERED = Reply(kind="text", title="Pick an answer first, then press Send answers.")
SORRY = "Sorry, something went wrong on my side"
TRY_AGAIN = Reply(kind="error", title=f"{SORRY}. Please try again in a minute.")
# A report stored, its receipt owed: typed again, it would be filed twice.
RECEIPT_FOLLOWS = Reply(kind="error", title=f"{SORRY}, but your report is saved: its receipt will follow.")
SAVED = Reply(kind="error", title=f"{SORRY}, but your report is saved: no need to send it again.")
# A quote-reply whose receipt could not be read (the database down): its words are kept as a report.
UNQUOTED = "I could not look up the report you replied to just now, so I kept these words as a report of their own."
KEPT = "snag.kept"  # turn_state: this turn stored a report (or the outbox keeps it)
SEND_ATTEMPTS = 3
SEND_WAIT = 10.0  # seconds of waiting in all between the tries of one reply
SEND_DELAY = 0.5  # the first wait when Teams does not say how long (Retry-After); doubled after


class SnagTeamsBot(TeamsActivityHandler):
    def __init__(
        self,
        services: Services,
        references: References,
        waiting: WaitingReferences | None = None,
        *,
        messenger: TeamsMessenger | None = None,
    ) -> None:
        self.services = services
        self.snag = services.snag
        self.references = references
        self.messenger = messenger  # opens a person's 1:1 chat for what a channel must not read
        self.waiting = waiting or WaitingReferences(
            services.settings.data_dir / WAITING_DIR, references, services.snag.outbox
        )
        # Reports the endpoint committed before acknowledging Teams, by delivery key.
        self.prestored: dict[str, Capture] = {}
        # Their delivery keys once the turn's answer reached Teams: the endpoint then owes no receipt.
        self.receipted: set[str] = set()
        # Delivery keys of quote-replies filed as reports of their own: their receipt could not be read.
        self.unquoted: set[str] = set()
        self.groups = AadGroups.from_settings(services.settings, services.snag.roles)
        self.receipts = ReceiptMessages(services.engine)  # receipts sent to 1:1 chats, for quote-replies
        self.pause = asyncio.sleep  # between tries of a reply (a test counts the waits instead)

    def person_of(self, activity: Activity) -> Person:
        """The Person behind an activity, with the role their id or AAD groups give them."""
        raw = activity.serialize()
        tenant, user = inbound.tenant_of(raw), inbound.user_of(raw)
        return self.snag.person("teams", tenant, user, groups=self.groups.known(tenant, user))

    async def resolve_groups(self, activity: Activity) -> None:
        """Look up the sender's AAD groups (cached) before the turn builds its Person."""
        if not self.groups.enabled:
            return
        raw = activity.serialize()
        aad_id = (raw.get("from") or {}).get("aadObjectId")
        await self.groups.of(inbound.tenant_of(raw), aad_id)

    def _person(self, turn: TurnContext) -> Person:
        return self.person_of(turn.activity)

    def incoming(self, activity: Activity) -> IncomingMessage:
        """The core message for a typed Teams message, without the bot's @mention; a manager's
        `own` line names the people it mentions (inbound.named_owner), every other line says "@someone".
        In the 1:1 chat, a quote-reply is its new words (the quote is one of Snag's messages, or
        their own); elsewhere a quote may be a colleague's words, the substance of what is reported."""
        # The SDK's remove_recipient_mention would also cut "Snag" out of the words, and keep other mentions.
        entities, bot, person = _entities(activity), _bot_of(activity), self.person_of(activity)
        raw = activity.text or ""
        if _personal(activity):
            raw = inbound.said_after_quote(raw, activity.serialize())
        text = inbound.typed_text(raw, entities, bot)
        sender = (activity.from_property.name if activity.from_property else None) or ""
        text = inbound.named_owner(text, raw, entities, bot, role=person.role, sender=sender)
        return IncomingMessage(
            person=person,
            text=text,
            channel=inbound.conversation_of(activity.serialize()),
            via="dm" if _personal(activity) else "mention",
            event_id=self.delivery_key(activity),
            mentions=inbound.mentioned(entities, bot),
            message_id=activity.id or None,
            files=_files(activity),
        )

    @staticmethod
    def delivery_key(activity: Activity) -> str | None:
        """Message ids are per conversation, so the key holds both."""
        if not activity.id:
            return None
        return inbound.delivery_key(activity.conversation.id if activity.conversation else "", activity.id)

    def quoted_receipt(self, activity: Activity) -> Quoted | None:
        """The report of theirs whose receipt a message in the 1:1 chat quote-replies to; None for
        any other message, someone else's report, or a receipt Snag did not keep. Reads the
        database: call it off the event loop."""
        if not _personal(activity):
            return None
        raw = activity.serialize()
        quoted = inbound.quoted_id(raw)
        if quoted is None:
            return None
        person = self.person_of(activity)
        return self.receipts.quoted(
            tenant=person.tenant,
            conversation_id=inbound.conversation_of(raw),
            activity_id=quoted,
            reporter_key=self.snag.key_of(person),
        )

    async def _send(self, turn: TurnContext, reply: Reply) -> str | None:
        """Answer in this turn; a busy or failing Bot Connector is asked again, as proactive messages
        are. Returns the id Teams gave the message (None if it gave none).

        The report is stored by now: one 429 or 502 must not lose the receipt that says so. At most
        SEND_ATTEMPTS tries and SEND_WAIT seconds of waiting, so the answer still comes while the person looks.
        """
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card_for(reply)))
        waited = 0.0
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                sent = await turn.send_activity(activity)  # the turn sends a copy: the same activity can go again
                return sent.id if sent else None
            except Exception as exc:
                status, left = status_of(exc), SEND_WAIT - waited
                if status not in RETRY_STATUSES or attempt == SEND_ATTEMPTS or left <= 0:
                    raise
                delay = min(retry_delay(exc, attempt, SEND_DELAY), left)  # a longer Retry-After: one last try
                log.info("teams answered %s to a reply; retry %d in %.2fs", status, attempt, delay)
                waited += delay
                await self.pause(delay)
        return None  # not reached: the last try returns or raises

    async def _answer(
        self, turn: TurnContext, person: Person, replies: list[Reply], command: str | None, *, receipt: str = ""
    ) -> None:
        """Answer where asked; in a channel or group chat, what is personal goes to the asker's 1:1 chat.

        `receipt`: the delivery key of a report stored before the ack, kept in `receipted` as soon as
        its answer reached Teams (before a note after it, which may still fail)."""
        personal = _personal(turn.activity)
        hidden = [not personal and private.goes_private(r, command, person) for r in replies]
        for reply in (r for r, hide in zip(replies, hidden, strict=True) if not hide):
            sent = await self._send(turn, reply)
            self._receipted(receipt)
            if personal and is_receipt(reply):  # a quote-reply to it adds to the report
                chat = inbound.conversation_of(turn.activity.serialize())
                await asyncio.to_thread(
                    self.receipts.keep, tenant=person.tenant, conversation_id=chat, activity_id=sent, reply=reply
                )
        kept = [r for r, hide in zip(replies, hidden, strict=True) if hide]
        if kept:
            delivered = await self._tell_privately(turn, person, kept)
            if delivered:
                self._receipted(receipt)
            await self._send(turn, private.note(kept, command, delivered=delivered))

    def _receipted(self, key: str) -> None:
        if key:
            self.receipted.add(key)

    async def _tell_privately(self, turn: TurnContext, person: Person, replies: list[Reply]) -> bool:
        """Send replies to the asker's 1:1 chat with Snag, opened as closing the loop opens it."""
        if self.messenger is None:
            return False
        reach = reporter_of(turn.activity, self.snag.key_of(person))
        reference = ConversationReference().deserialize(reach.reference)
        try:
            for reply in replies:
                await self.messenger.send_over(
                    reference, destination=reach.destination, reply=reply, tenant=person.tenant
                )
        except Exception as exc:  # DeliveryFailed, or the database while marking a blocked chat
            log.warning("teams 1:1 chat not reached for a private answer: %s", where(exc))
            return False
        return True

    def _command_of(self, message: IncomingMessage) -> str | None:
        """The command a message asks for ("report" for a report); None for a slip."""
        try:
            return self.snag.read(message).name
        except SnagError:
            return None

    def _reaches(self, activity: Activity, person: Person, *, reported: bool) -> list[Reach]:
        """How to reach this chat, and a reporter outside a 1:1 chat.

        A 1:1 chat is kept as the person's only once a report of theirs is stored (as on Slack): a
        "hello", or the answer to `erase mine confirm`, does not link them to it again."""
        personal = _personal(activity)
        key = self.snag.key_of(person)
        reaches: list[Reach] = []
        if activity.type != "invoke":  # a message extension may run in a chat without Snag
            reaches.append(chat_of(activity, key if personal and reported else None))
        if reported and (not personal or activity.type == "invoke"):
            reaches.append(reporter_of(activity, key))
        return reaches

    def owed_receipt(self, activity: Activity, person: Person, capture: Capture) -> Owed | None:
        """The receipt of a report just stored, to write down before Teams is answered; None when
        nothing was stored (kept in the outbox, or answered at once)."""
        record = capture.record
        if record is None:
            return None
        reaches = self._reaches(activity, person, reported=True)  # what _remember keeps after the receipt
        return owed_for(person, record.id, personal=_personal(activity), reaches=reaches, capture=capture)

    async def _remember(
        self, turn: TurnContext, person: Person, *, reported: bool = False, waiting: str | None = None
    ) -> None:
        """Keep how to reach this chat, and a reporter outside a 1:1 chat; a failure only logs.

        `waiting` is the delivery key of a report the outbox keeps: its references wait beside it."""
        try:
            reaches = self._reaches(turn.activity, person, reported=reported or waiting is not None)
            if waiting is not None:
                await asyncio.to_thread(self.waiting.keep, waiting, reaches)
                return
            for reach in reaches:
                await asyncio.to_thread(self.references.put, reach)
        except Exception as exc:
            log.error("teams conversation reference not saved: %s", where(exc))

    # ---- messages ----

    async def on_message_activity(self, turn: TurnContext) -> None:
        person = self._person(turn)
        value = inbound.submitted(turn.activity.value)  # a value that is no object: read as typed
        if value is not None:
            await self._on_submit(turn, person, dict(value))
            await self._remember(turn, person)
            return
        key = self.delivery_key(turn.activity)
        capture = self.prestored.pop(key or "", None)
        if not (capture and capture.stored) and await self._only_files(turn, person):
            return
        command: str | None = "report"
        if capture is not None:
            turn.turn_state[KEPT] = capture.stored or (
                capture.reply is not None and cards.kept_for_later(capture.reply)
            )
            reply = await asyncio.to_thread(self.snag.finish_report, capture)
            reported = capture.stored
        else:
            message = self.incoming(turn.activity)
            command = self._command_of(message)  # before: "yes" confirms `erase mine` only until it is done
            if command == "erase" and any(m.startswith("29:") for m in message.mentions):
                message = replace(message, mentions=await self._aad_ids(turn, message.mentions))
            reply = await asyncio.to_thread(self.snag.handle_message, message)
            reported = reply.kind == "receipt"
            turn.turn_state[KEPT] = reported or _waiting(reply, key) is not None
        shown = self._said_unquoted(reply, key)
        await self._answer(turn, person, [shown], command, receipt=(key or "") if capture is not None else "")
        if command == "erase":
            return  # nothing to keep: what reaches them went with their reports (answered in this turn)
        # after the report is stored (or kept in the outbox), never before
        await self._remember(turn, person, reported=reported, waiting=_waiting(reply, key))

    def _said_unquoted(self, reply: Reply, key: str | None) -> Reply:
        """A report kept from a quote-reply whose receipt could not be read says so: its words were
        meant for the report quoted, and are a report of their own now."""
        if key not in self.unquoted or reply.kind not in ("receipt", "saved"):
            return reply
        return replace(reply, notices=(*reply.notices, UNQUOTED))

    async def _aad_ids(self, turn: TurnContext, mentioned: tuple[str, ...]) -> tuple[str, ...]:
        """The AAD object ids of people a mention names by their Teams id alone (Teams often sends no
        aadObjectId in a mention, and reports are kept by it): asked of the conversation's roster.
        One Teams could not tell keeps its Teams id, and `erase` says what to give instead."""
        found = []
        for who in mentioned:
            if who.startswith("29:"):
                try:
                    member = await TeamsInfo.get_member(turn, who)
                    who = member.aad_object_id or who
                except Exception as exc:  # an answer it cannot give: the id typed stays
                    log.warning("teams roster lookup for an erase failed: %s", where(exc))
            found.append(who)
        return tuple(found)

    async def _only_files(self, turn: TurnContext, person: Person) -> bool:
        """A photo or file with no words to file beside it: say the file came, as Slack does."""
        if not _files(turn.activity) or not nothing_to_file(self.incoming(turn.activity)):
            return False
        await self._answer(turn, person, [cards.only_files()], "report")
        await self._remember(turn, person)
        return True

    # ---- edits and deletions of a message that filed a report ----

    async def on_teams_message_edit(self, turn: TurnContext) -> None:
        """The person edited a message they sent Snag: the report it filed takes the new words; one
        that filed nothing, whose new words are a report, files it (`files_when_edited`).

        Teams names the edited message by its own id and conversation, as when it was sent. The
        endpoint stores and tags an edit itself (before and after Teams has its answer) and calls
        `answer_edit`, and files a new report as any message; this turn does both halves for a bot
        driven without the endpoint."""
        person = self._person(turn)
        done = await asyncio.to_thread(self.store_edit, turn.activity)
        if done is None or (done.report is not None and not self.files_when_edited(turn.activity)):
            return  # it filed no report (a command, small talk), a retry, or Snag was not addressed
        reply = await asyncio.to_thread(self.snag.finish_edit, done)
        await self._answer(turn, person, [reply], self.edit_command(done))
        if done.report is not None:
            await self._remember(
                turn, person, reported=reply.kind == "receipt", waiting=_waiting(reply, done.report.event_id)
            )

    def store_edit(self, activity: Activity) -> Edit | None:
        """The core's `store_edit` for an edited message, told what the message said before as its
        report shows it (`said_before`): an edit replaces the message's own words, and what replies
        added to the report stays, as on Slack. Reads the database: call it off the event loop.

        With the database down the report cannot be read: the edit is kept in the outbox, after its
        report, and its part of the report read when it is applied (as Slack's edits are kept). Not
        a reply in a channel thread or a quote-reply in the 1:1 chat: its words may have gone into
        another report, which no edit of theirs changes (they are asked to try again)."""
        message = self.incoming(activity)
        try:
            before = said_before(self.snag, message)
        except StoreUnavailable as exc:
            raw = activity.serialize()
            quoted = _personal(activity) and inbound.quoted_id(raw) is not None
            if quoted or inbound.thread_root(raw) is not None:
                return Edit(cards.problem(exc))
            return self.snag.store_edit(message)
        return self.snag.store_edit(message, before=before)

    @staticmethod
    def files_when_edited(activity: Activity) -> bool:
        """Whether an edited message that filed nothing may file its new words: one in the 1:1
        chat, or a post of its own in a channel or group chat that @mentions Snag (as a message
        there files only then). Never a reply in a channel thread: it may have been added to a
        report, whose words would then count twice."""
        if _personal(activity):
            return True
        if inbound.thread_root(activity.serialize()) is not None:
            return False
        return inbound.names_snag(activity.text or "", _entities(activity), _bot_of(activity))

    def edit_command(self, done: Edit) -> str | None:
        """The command an edit's answer is to ("report" for one it files): a command it runs (a reply
        under a report that reads as one, or a did-you-mean edited into one) is answered as that
        command, so `search` or `mine` asked in a channel goes to the 1:1 chat as when sent."""
        if done.report is not None:
            return "report"
        return self._command_of(done.query) if done.query is not None else None

    async def answer_edit(self, turn: TurnContext, reply: Reply, command: str | None = None) -> None:
        """Tell the person their edit is stored and tagged again, or answer the command it runs
        (`command`: edit_command's), as the endpoint's turn for it."""

        async def answer(turn: TurnContext) -> None:
            await self._answer(turn, self._person(turn), [reply], command)

        await self._guarded(turn, answer)

    async def on_teams_message_soft_delete(self, turn: TurnContext) -> None:
        """The person deleted a message that filed a report: it is still stored; say how to erase it."""
        person, activity = self._person(turn), turn.activity
        channel = inbound.conversation_of(activity.serialize())
        reply = await asyncio.to_thread(self.snag.report_deleted, person, channel, activity.id or "")
        key = self.delivery_key(activity)
        if reply is None or (key and not await asyncio.to_thread(self.references.first_delivery, f"deleted:{key}")):
            return  # it filed no report, or Teams sent the deletion again
        await self._answer(turn, person, [reply], None)

    async def _on_submit(self, turn: TurnContext, person: Person, value: dict) -> None:
        key = self.delivery_key(turn.activity)
        if key and not await asyncio.to_thread(self.references.first_delivery, key):
            return
        await self._answer(turn, person, await self._act(person, value), None)

    async def _act(self, person: Person, value: dict) -> list[Reply]:
        """Run a card submit; the replies to show: each answer's for "Send answers", else the button's."""
        events = inbound.action_events(person, value)
        if not events:
            return [UNANSWERED if inbound.unanswered(value) else EXPIRED]
        replies = [await asyncio.to_thread(self.snag.handle_action, event) for event in events]
        if value.get("snag") == "answers":
            return replies
        return [r for r in replies[:-1] if r.kind == "error"] + replies[-1:]

    async def on_adaptive_card_invoke(
        self, turn: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        """Universal Actions (Action.Execute): answer with the updated card in place."""
        person = self._person(turn)
        action = invoke_value.action
        if not isinstance(action, dict):  # the SDK hands over a model or a plain dict
            action = {"verb": getattr(action, "verb", None), "data": getattr(action, "data", None)}
        data = dict(action.get("data") or {}) if isinstance(action.get("data"), dict) else {}
        data.setdefault("snag", action.get("verb") or "")
        reply = (await self._act(person, data))[-1]
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=card_for(reply)
        )

    # ---- installation and membership ----

    async def on_installation_update_add(self, turn: TurnContext) -> None:
        await self._remember(turn, self._person(turn))
        await self._send(
            turn,
            Reply(kind="text", title="Hi, I'm Snag. Tell me in a sentence what got in the way today, or type help."),
        )

    async def on_installation_update_remove(self, turn: TurnContext) -> None:
        if (turn.activity.action or "") == "remove-upgrade":
            return  # an upgrade in progress keeps its references
        raw = turn.activity.serialize()
        tenant, conversation = inbound.tenant_of(raw), inbound.conversation_of(raw)
        await asyncio.to_thread(self.references.forget, tenant, conversation, inbound.team_of(raw))

    async def on_teams_members_added(
        self, members_added: list[TeamsChannelAccount], team_info: TeamInfo, turn: TurnContext
    ) -> None:
        if any(m.id == turn.activity.recipient.id for m in members_added):
            await self._remember(turn, self._person(turn))

    # ---- message extension: "Report as friction" ----

    async def on_teams_messaging_extension_submit_action(
        self, turn: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        person = self._person(turn)
        data = dict(extension.data_of(action))
        if data.get("snag"):  # a button on the receipt shown in the dialog
            return extension.dialog_for((await self._act(person, data))[-1])
        raw = turn.activity.serialize()
        channel, source = inbound.conversation_of(raw), extension.message_id(action)
        key = inbound.item_key(channel, source, self.snag.key_of(person)) if source else None
        message = IncomingMessage(
            person=person,
            text=extension.reported_text(raw),
            channel=channel,
            via="shortcut",
            event_id=key or self.delivery_key(turn.activity),
        )
        reply = await asyncio.to_thread(self.snag.file_report, message)
        await self._remember(turn, person, reported=reply.kind == "receipt", waiting=_waiting(reply, message.event_id))
        return extension.dialog_for(reply)

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._guarded(turn_context, super().on_turn)

    async def _guarded(self, turn_context: TurnContext, handler: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run a turn's handler; a failure is logged and the person gets an apology, never a trace."""
        key = self.delivery_key(turn_context.activity) or ""
        capture = self.prestored.get(key)  # stored before the ack: the turn may fail before taking it
        try:
            await self.resolve_groups(turn_context.activity)  # the request is authenticated by now
            await handler(turn_context)
        except Exception as exc:
            log.error("teams turn failed: %s", where(exc))
            if turn_context.activity.type == "invoke":
                await turn_context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(status=500)))
                return
            await self._send(turn_context, self._apology(turn_context, key, capture))

    def _apology(self, turn: TurnContext, key: str, capture: Capture | None) -> Reply:
        """What a failed turn says: a report it stored is saved (typed again, it would be filed twice),
        and the receipt the endpoint wrote down as owed follows unless it reached Teams already."""
        if capture is not None and capture.stored and key not in self.receipted:
            return RECEIPT_FOLLOWS
        if turn.turn_state.get(KEPT) or (capture is not None and capture.stored):
            return SAVED
        return TRY_AGAIN


def _personal(activity: Activity) -> bool:
    """A 1:1 chat with Snag, where an answer is read by the person who asked and nobody else."""
    conversation = activity.conversation
    return ((conversation.conversation_type if conversation else None) or "personal") == "personal"


def _files(activity: Activity) -> int:
    """How many photos or files came with the message (not the HTML copy Teams adds of formatted
    text, nor a card)."""
    kinds = [a.content_type or "" for a in activity.attachments or []]
    return sum(k != "text/html" and not k.startswith("application/vnd.microsoft.card.") for k in kinds)


def _entities(activity: Activity) -> list[dict]:
    """The activity's entities as Teams sent them (the SDK keeps a mention's details aside)."""
    return [{"type": e.type, **(e.additional_properties or {})} for e in activity.entities or []]


def _bot_of(activity: Activity) -> dict:
    recipient = activity.recipient
    return {"id": recipient.id, "name": recipient.name} if recipient else {}


def _waiting(reply: Reply, event_key: str | None) -> str | None:
    """The delivery key of a report that went to the outbox (the database is down), else None."""
    return event_key if cards.kept_for_later(reply) else None
