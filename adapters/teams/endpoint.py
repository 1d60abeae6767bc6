"""The /api/messages endpoint: authenticate as the Bot Framework requires, then run the bot."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult

from adapters.deadline import store_within
from adapters.owed import HeldReceipts, OwedReceipts
from adapters.teams import inbound
from adapters.teams.bot import SnagTeamsBot
from adapters.teams.connector_token import OffLoopCredentialsFactory
from adapters.teams.messenger import TeamsMessenger
from adapters.teams.owed import HOLD_DELAYS, OWED_DIR, Owed, send_owed
from adapters.teams.receipts import Quoted
from adapters.teams.references import References
from adapters.teams.signing_keys import use_off_loop_keys
from bot.core import Capture, where
from bot.domain import IncomingMessage
from bot.errors import StoreUnavailable

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

    from bot.app import Services
    from bot.config import Settings
    from bot.domain import Reply
    from bot.editing import Edit

__all__ = ["TeamsEndpoint"]

log = logging.getLogger("snag.teams")
TEAMS_CHANNELS = frozenset({"msteams"})
# Seconds a report's commit may take before Teams gets its 201 (it waits 15): past it the report is
# kept in the outbox, as when the database refuses (a database that hangs instead held it for good).
STORE_WITHIN = 5.0


def _auth_config(settings: Settings) -> SimpleNamespace:
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=settings.microsoft_app_password or "",
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
    )


class Refused(Exception):
    """A request answered with a 4xx before the bot sees it."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _parse(body: bytes) -> Activity:
    """The activity in a request body, or Refused(400)."""
    try:
        raw = json.loads(body)
        if not isinstance(raw, dict) or not raw.get("type"):
            raise ValueError("not an activity")
        return Activity().deserialize(raw)
    except (ValueError, TypeError, AttributeError, KeyError):
        raise Refused(400, "The body is not a Bot Framework activity.") from None
    except RecursionError:
        raise Refused(400, "The body is nested too deeply.") from None


def _check_parties(activity: Activity) -> None:
    """Every Bot Framework activity names its sender, conversation and recipient; the bot relies on all three."""
    parties = {"from": activity.from_property, "conversation": activity.conversation, "recipient": activity.recipient}
    missing = [name for name, party in parties.items() if not getattr(party, "id", None)]
    if missing:
        log.warning("teams activity refused: no %s id", ", ".join(missing))
        raise Refused(400, f"The activity has no {', '.join(missing)} id.")


def _check_service_url(activity: Activity) -> None:
    """Every answer goes to the activity's serviceUrl, which the Bot Framework always sends: without
    one (or with one that is no web address) nothing could ever answer, so nothing is stored either
    (a report whose receipt could never be sent would be held and retried for good)."""
    url = str(activity.service_url or "").strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        log.warning("teams activity refused: %s", "no serviceUrl" if not url else "its serviceUrl is no web address")
        raise Refused(400, "The activity has no usable serviceUrl.")


def _tidy(activity: Activity) -> None:
    """Fields of the wrong shape, which Teams never sends, count as absent: channelData that is no
    object, and a message's value that is no object (a card submit's is one); the bot and the SDK
    read both as objects."""
    if activity.channel_data is not None and not isinstance(activity.channel_data, dict):
        activity.channel_data = None
    if activity.type == "message" and inbound.submitted(activity.value) is None:
        activity.value = None


def _check_channel(activity: Activity, *, dev: bool) -> None:
    """Only Teams itself (and, in development, the Emulator) may talk to Snag here.

    The Azure bot may have other channels on (Web Chat is on by default), whose clients, with the
    bot's Direct Line secret, set `from` themselves: they could claim an admin's AAD object id.
    """
    allowed = TEAMS_CHANNELS | ({"emulator"} if dev else set())
    channel = str(activity.channel_id or "")
    if channel not in allowed:
        shown = re.sub(r"[^A-Za-z0-9_-]", "?", channel[:32]) or "no"
        log.warning("teams activity refused: it came from the %s channel, not Microsoft Teams", shown)
        raise Refused(403, "Snag answers Microsoft Teams only.")


def _is_edit(activity: Activity) -> bool:
    """A person edited a message in Teams (what the SDK hands to on_teams_message_edit)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    edited = activity.type == "messageUpdate" and data.get("eventType") == "editMessage"
    return edited and activity.channel_id in TEAMS_CHANNELS and bool(activity.id)


class TeamsEndpoint:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.app_id = settings.microsoft_app_id or ""
        self.dev = settings.env == "dev"
        use_off_loop_keys()  # the SDK would fetch Microsoft's signing keys on the event loop
        config = _auth_config(settings)
        self.credentials = OffLoopCredentialsFactory(config, login_url=settings.login_url)  # and its token
        self.adapter = CloudAdapter(
            ConfigurationBotFrameworkAuthentication(config, credentials_factory=self.credentials)
        )
        self.services = services
        self.references = References(services.engine, settings.encryption_key)
        self.messenger = TeamsMessenger(self.adapter, self.references, self.app_id, services.snag.metrics)
        self.bot = SnagTeamsBot(services, self.references, messenger=self.messenger)
        services.snag.on_replayed.append(self.bot.waiting.replayed)  # in `snag scheduler` too
        self._tasks: set[asyncio.Task] = set()
        self._finishing = asyncio.Semaphore(2)
        # The ack path gets its own threads so slow tagging never queues ahead of a commit.
        self._store_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="snag-teams-store")
        self.store_within = STORE_WITHIN
        # Receipts this process owes, and those the live turn could not send, from start (a scheduler
        # that only sends owes none).
        self.owed: OwedReceipts[Owed] | None = None
        self.held: HeldReceipts[Owed] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """Parse, authenticate, check and process one activity; bad requests get a 4xx, never a trace."""
        try:
            activity = _parse(await request.read())
            auth = await self._authenticate(activity, request.headers.get("Authorization", ""))
            _check_parties(activity)
            _check_channel(activity, dev=self.dev)
            _check_service_url(activity)
        except Refused as refused:
            return web.json_response({"error": refused.error}, status=refused.status)
        _tidy(activity)
        try:
            under = _reply_under(activity)
            if under is not None:
                added = await self._add_then_ack(auth, activity, under)
                if added is not None:
                    return added
            quoted, unquoted = await self._quoted_or_down(activity)
            if quoted is not None and quoted.message_id:
                added = await self._add_then_ack(auth, activity, quoted.message_id, channel=quoted.channel)
                if added is not None:
                    return added
            report = self._as_report(activity)
            if report is not None:
                return await self._store_then_ack(auth, activity, report, unquoted=unquoted)
            if _is_edit(activity):
                return await self._edit_then_ack(auth, activity)
            invoke = await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        except Exception as exc:  # the handler's last resort: a logged place, never a trace
            log.error("teams activity failed: %s", where(exc))
            return web.json_response({"error": "Something went wrong on our side."}, status=500)
        if invoke:
            return web.json_response(data=_serialize(invoke.body), status=invoke.status)
        return web.Response(status=201)

    async def _authenticate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """Check the Bot Framework's token (or, in development, its absence) before anything else."""
        try:
            return await self.adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
        except Exception as exc:  # the SDK raises PermissionError, jwt errors and bare Exceptions alike
            log.warning("teams request not authenticated: %s", where(exc))
            raise Refused(401, "Unauthorized.") from None

    def _as_report(self, activity: Activity) -> IncomingMessage | None:
        """A typed message that files a report (not a command, not a card submit), else None."""
        if activity.type != "message" or inbound.submitted(activity.value) or not activity.id:
            return None
        return self.bot.snag.as_report(self.bot.incoming(activity))

    async def _store_then_ack(
        self, auth: AuthenticateRequestResult, activity: Activity, report: IncomingMessage, *, unquoted: bool = False
    ) -> web.Response:
        """Commit the report of an authenticated request, acknowledge; tag and reply in the background.

        The receipt is written down as owed before Teams gets its 201: if the process dies before
        sending it, the next one to start sends it (and keeps how to reach the reporter).
        `unquoted`: a quote-reply whose receipt could not be read, its answer says it is a report of its own."""
        capture = await self._store(report)
        key = self.bot.delivery_key(activity) or ""
        self.bot.prestored[key] = capture
        if unquoted:
            self.bot.unquoted.add(key)
        owed = self._owe(activity, report, capture)
        self._track(asyncio.create_task(self._finish(auth, activity, owed)))
        return web.Response(status=201)

    async def _store(self, report: IncomingMessage) -> Capture:
        """The report committed within `store_within` seconds, else kept in the outbox (a commit
        that stores it past the deadline: the outbox's replay finds it filed and keeps how to reach
        its reporter; the recovery loop's sweep tags it)."""
        return await store_within(self._store_pool, self.bot.snag, report, self.store_within, log=log)

    def _owe(self, activity: Activity, report: IncomingMessage, capture: Capture) -> Path | None:
        """Write down the receipt of a stored report; None for anything else, or when the disk fails."""
        receipt = self.bot.owed_receipt(activity, report.person, capture)
        if receipt is None or self.owed is None:
            return None
        return self.owed.try_owe(receipt)

    async def _finish(self, auth: AuthenticateRequestResult, activity: Activity, owed: Path | None) -> None:
        """Tag and answer a report acknowledged already; a receipt the turn could not send is held,
        and sent (the report as stored then) once Teams takes it, without waiting for a restart."""
        key = self.bot.delivery_key(activity) or ""
        try:
            async with self._finishing:  # bounded, so tagging never starves the ack path
                await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        except Exception as exc:  # not answered, not even with the apology
            log.error("teams reply after ack failed: %s", where(exc))
        self.bot.prestored.pop(key, None)  # the turn took it, unless it failed before
        self.bot.unquoted.discard(key)
        answered = key in self.bot.receipted  # the receipt reached Teams, even if a note after it failed
        self.bot.receipted.discard(key)
        if owed is None or self.owed is None or self.held is None:
            return
        if answered:
            self.owed.paid(owed)
            return
        log.info("a Teams receipt the live turn could not send is held for a later try")
        self.held.hold(owed)

    async def _edit_then_ack(self, auth: AuthenticateRequestResult, activity: Activity) -> web.Response:
        """Store an edited report's new words, acknowledge; tag them again and answer in the background.

        As on Slack: a slow classifier or a busy database must not keep Teams waiting for its
        answer (it expects one within 15 seconds), and the new words replace only the message's own
        part of the report: what replies added to it stays (`SnagTeamsBot.store_edit`). An edit of
        a message that filed nothing, whose new words are a report, files it as the message sent
        now would (`SnagTeamsBot.files_when_edited` says where)."""
        loop = asyncio.get_running_loop()
        done = await loop.run_in_executor(self._store_pool, self.bot.store_edit, activity)
        if done is not None and done.report is not None:
            if not self.bot.files_when_edited(activity):
                return web.Response(status=201)  # Snag was not addressed: as if it never saw it
            if await self._quoted_edit(activity):
                return web.Response(status=201)  # a quote-reply added to a report: filed, its words would count twice
            return await self._store_then_ack(auth, _as_sent(activity), done.report)
        if done is not None:  # None: it filed no report of theirs, or Teams sent the same words again
            self._track(asyncio.create_task(self._finish_edit(auth, activity, done)))
        return web.Response(status=201)

    async def _quoted_edit(self, activity: Activity) -> bool:
        """Whether an edited message is a quote-reply to a receipt of theirs (its words were added to
        that report). The database down: not known, so it is filed (kept in the outbox), as a
        quote-reply then is: a report twice can be erased, words lost cannot be found again."""
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                self._store_pool, self.bot.quoted_receipt, activity
            )
        except StoreUnavailable as exc:
            log.warning("the receipt an edited Teams quote-reply is to cannot be read, it is filed: %s", where(exc))
            return False
        return found is not None

    async def _quoted_or_down(self, activity: Activity) -> tuple[Quoted | None, bool]:
        """`_quoted`, and whether the database was down while reading it: the quote-reply's words
        cannot be added to the report then (which one is not known), so they are filed as a report
        of their own (kept in the outbox), and the answer says so; nothing they wrote is lost."""
        try:
            return await self._quoted(activity), False
        except StoreUnavailable as exc:
            log.warning("the receipt a Teams quote-reply is to cannot be read, it is filed as a report: %s", where(exc))
            return None, True

    async def _quoted(self, activity: Activity) -> Quoted | None:
        """The report of theirs whose receipt a typed message in the 1:1 chat quote-replies to."""
        if activity.type != "message" or inbound.submitted(activity.value) or not activity.id:
            return None
        if inbound.quoted_id(activity.serialize()) is None:  # no quote: no need to ask the database
            return None
        return await asyncio.get_running_loop().run_in_executor(self._store_pool, self.bot.quoted_receipt, activity)

    async def _add_then_ack(
        self, auth: AuthenticateRequestResult, activity: Activity, under: str, *, channel: str | None = None
    ) -> web.Response | None:
        """A reply in the channel thread of a post that filed a report of theirs, or a quote-reply in
        the 1:1 chat to its receipt (`channel`: where the report was filed): its words are added to
        that report (as a reply in a Slack report's thread is), and the answer, tagging again first,
        comes after the acknowledgement. None for any other reply, and for a command or
        `report <text>` in the thread: answered or filed as any message is."""
        loop = asyncio.get_running_loop()
        message = self.bot.incoming(activity)
        if channel is not None:
            message = replace(message, channel=channel)
        done = await loop.run_in_executor(self._store_pool, self.bot.snag.add_to_report, message, under)
        if done is None or done.query is not None:
            return None
        if not await self._first_addition(activity):
            return web.Response(status=201)  # Teams sent it again: added once (add_to sees it), answered once
        self._track(asyncio.create_task(self._finish_edit(auth, activity, done)))
        return web.Response(status=201)

    async def _first_addition(self, activity: Activity) -> bool:
        """Whether this reply's answer is the first: Teams may send it again. The database down,
        it is answered (the core's answer says what became of the words): twice beats never."""
        key = self.bot.delivery_key(activity)
        if not key:
            return True
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._store_pool, self.references.first_delivery, f"added:{key}"
            )
        except StoreUnavailable as exc:
            log.warning("cannot check a Teams reply for repeats, the database is down: answering it: %s", where(exc))
            return True

    async def _finish_edit(self, auth: AuthenticateRequestResult, activity: Activity, done: Edit) -> None:
        """Tag and regroup the edited report, then tell the person; the tags follow even if Teams cannot be reached."""
        async with self._finishing:
            reply: Reply = await asyncio.to_thread(self.bot.snag.finish_edit, done)  # never raises

        command = await asyncio.to_thread(self.bot.edit_command, done)

        async def answer(turn: TurnContext) -> None:
            await self.bot.answer_edit(turn, reply, command)

        try:
            await self.adapter.process_activity(auth, activity, answer)
        except Exception as exc:  # the words and tags are stored: only the answer is lost
            log.error("teams answer to an edit failed: %s", where(exc))

    async def start(self, _app: web.Application) -> None:
        """At start-up: rewrite references stored by older versions, then settle those of reports the
        outbox filed before Teams was mounted; send the receipts processes now gone still owed."""

        def tidy() -> None:
            self.references.reseal_quietly()
            self.bot.waiting.settle_quietly()

        self._track(asyncio.create_task(asyncio.to_thread(tidy)))
        self.owed = OwedReceipts(self.services.settings.data_dir / OWED_DIR, Owed, platform="Teams")
        # Any failure waits: send_owed drops what Teams refuses for good itself.
        self.held = HeldReceipts(self.owed, self._send_owed, delays=HOLD_DELAYS, wait_for=(Exception,))
        self._track(asyncio.create_task(self._settle_owed(self.owed)))

    async def stop(self, _app: web.Application) -> None:
        """At shutdown: finish the replies under way; what is still owed, held receipts included, goes
        at the next start."""
        await self.drain()
        if self.held is not None:
            await self.held.close()
        if self.owed is not None:
            self.owed.close()

    async def _send_owed(self, owed: Owed) -> None:
        await send_owed(self.bot.snag, self.messenger, self.references, owed)

    async def _settle_owed(self, owed: OwedReceipts[Owed]) -> None:
        """Send the receipts of processes that stopped before sending them; a failure waits for the next start."""
        try:
            sent = await owed.settle(self._send_owed)
        except Exception as exc:  # the database or Teams unreachable
            log.warning("receipts owed by a stopped process are kept for the next start: %s", where(exc))
            return
        if sent:
            log.info("sent %d receipts owed by a process that stopped before sending them", sent)

    def _track(self, task: asyncio.Task) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for replies still being sent (shutdown, tests); not for the receipts held."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _reply_under(activity: Activity) -> str | None:
    """The root post's id of a typed reply in a channel thread; None for anything else."""
    if activity.type != "message" or inbound.submitted(activity.value) or not activity.id:
        return None
    return inbound.thread_root(activity.serialize())


def _as_sent(edited: Activity) -> Activity:
    """An edited message as a message sent now: its turn files it and answers as any message's."""
    raw = edited.serialize()
    raw["type"] = "message"
    if isinstance(raw.get("channelData"), dict):
        raw["channelData"] = {k: v for k, v in raw["channelData"].items() if k != "eventType"}
    return Activity().deserialize(raw)


def _serialize(body: object) -> object:
    if hasattr(body, "serialize"):
        return body.serialize()
    return body
