"""The Slack side of one process: settings checks, the Bolt app, and the helpers handlers share."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.deadline import store_within
from adapters.slack.authorize import BotIdentity, StoredInstalls, TokenCheck, note_payload_bot, single_workspace
from adapters.slack.client import UNREACHABLE, quiet_logger, web_client
from adapters.slack.dedupe import HostClaims
from adapters.slack.groups import UserGroups
from adapters.slack.inbound import Who
from adapters.slack.installations import SignedStateStore, SqlInstallationStore
from adapters.slack.owed import HeldReceipts, OwedReceipts
from adapters.slack.owners import DisplayNames
from adapters.slack.receipts import ReceiptMessages
from adapters.slack.reporters import remember as remember_reporter
from bot.capture import Capture
from bot.domain import IncomingMessage, Person, Reply
from bot.errors import ConfigError

if TYPE_CHECKING:
    from adapters.slack.owed import Owed
    from bot.app import Services
    from bot.config import Settings
    from bot.taxonomy import Taxonomy

__all__ = [
    "SlackRuntime",
    "check_settings",
    "log_failure",
    "BOT_SCOPES",
    "STARTED",
    "INSTALL_PATH",
    "REDIRECT_PATH",
]

log = logging.getLogger("snag.slack")
T = TypeVar("T")
STARTED = "snag_started"  # bolt context key: when the request arrived (time.monotonic)
ACK_BUDGET = 0.5  # seconds to wait for the receipt before acking; then it goes by response_url
# Seconds a report's commit may take before Slack's answer: past it the report is kept in the
# outbox, as when the database refuses (a database that hangs instead held the answer for good).
STORE_WITHIN = 2.0
# Tagging and queries wait while requests that arrived are not yet committed (a burst), at most
# this long: the acknowledgements Slack wants within 3 s get the CPU first. A request counts as
# arriving for ARRIVING_FOR at most: one held up by a slow call to Slack (views.open, user
# groups) is no burst, and must not hold every receipt back.
YIELD_AT_MOST = 2.0
ARRIVING_FOR = 1.0
_ARRIVING: ContextVar[list[int] | None] = ContextVar("snag_slack_arriving", default=None)
FIRST_CHECK_WAIT = 0.3  # seconds the first requests wait for Slack to say who the bot token is
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "app_mentions:read",
    "im:history",
    "mpim:history",
    "reactions:read",
    "channels:history",
    "groups:history",
    "files:write",
    "usergroups:read",
    "users:read",
]


def check_settings(settings: Settings, *, socket_mode: bool) -> None:
    """Fail at start, with a sentence naming the setting, rather than serve Slack unsafely."""
    if not socket_mode and not settings.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set, so Snag cannot check that requests come from Slack. "
            "Copy it from your Slack app's Basic Information page into .env."
        )
    if settings.slack_client_id and not settings.slack_client_secret:
        raise ConfigError("SLACK_CLIENT_SECRET is not set; multi-workspace installs need it with SLACK_CLIENT_ID.")
    if not settings.slack_client_id and not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (or set SLACK_CLIENT_ID for multi-workspace installs).")


def _where(error: BaseException) -> str:
    """Code locations of an error, without its message (which might quote a payload)."""
    frames = traceback.extract_tb(error.__traceback__)[-4:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))


def log_failure(error: BaseException, kind: object) -> None:
    """Log a failure with an id, the Slack error code or exception type and where; no payloads."""
    error_id = uuid.uuid4().hex[:8]
    detail = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
    log.error("Slack handler failed (error id %s, %s): %s at %s", error_id, kind, detail, _where(error))


async def _on_error(error: Exception, body: dict[str, Any]) -> None:
    log_failure(error, (body or {}).get("type"))


class SlackRuntime:
    """Everything Slack handlers share: services, the Bolt app, background deliveries."""

    def __init__(self, services: Services, *, socket_mode: bool = False) -> None:
        settings = services.settings
        check_settings(settings, socket_mode=socket_mode)
        self.services = services
        self.settings = settings
        self.snag = services.snag
        self.engine = services.engine
        self.metrics = services.snag.metrics
        self.socket_mode = socket_mode
        self.budget = ACK_BUDGET
        self.store_within = STORE_WITHIN
        # Commits get their own threads so that tagging under load never delays an ack;
        # tagging is CPU-bound, so a small pool serves it best on a small machine.
        self._commit_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="snag-slack-commit")
        self._work_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="snag-slack-work")
        self.tasks: set[asyncio.Future[Any]] = set()
        self._arrivals: dict[int, float] = {}  # requests read and not yet committed (or answered): since when
        self._numbers = itertools.count()
        self.answered = HostClaims(settings.data_dir / "slack" / "answered")
        self.owed = OwedReceipts(settings.data_dir / "slack" / "owed")
        self.groups = UserGroups(services.snag.roles)
        self.names = DisplayNames()
        self.held = HeldReceipts(self.owed, self._send_owed)
        self.receipts = ReceiptMessages(services.engine)  # receipts posted to DMs, for replies in their threads
        self.installations: SqlInstallationStore | None = None
        if settings.slack_client_id:
            self.installations = SqlInstallationStore(services.engine, settings.secret("encryption"))
        # One workspace: its token from the settings, and who it is from Slack once Slack answers.
        self.identity = BotIdentity()
        self.client = web_client(settings, token=settings.slack_bot_token)
        self.token_check: TokenCheck | None = None
        if self.installations is None:  # it tries again by itself: no retries of a refused connection
            checking = web_client(settings, token=settings.slack_bot_token, connection_retries=0)
            self.token_check = TokenCheck(checking, self.identity)
        self.bolt = self._make_bolt()

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy in use now (an admin's `reload` swaps it on the services)."""
        return self.services.taxonomy

    def _make_bolt(self) -> AsyncApp:
        from adapters.slack.handlers import register_all

        s = self.settings
        oauth = None
        if self.installations is not None:
            oauth = AsyncOAuthSettings(
                client_id=s.slack_client_id,
                client_secret=s.slack_client_secret,
                scopes=BOT_SCOPES,
                installation_store=self.installations,
                installation_store_bot_only=True,
                state_store=SignedStateStore(s.secret("encryption")),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
            )
        # Bolt's own authorize asks Slack (auth.test) before any handler: with Slack unreachable no
        # report was stored. These ask nothing (see adapters.slack.authorize).
        authorize: Any
        if self.installations is not None:
            authorize = StoredInstalls(self.installations)
        else:
            authorize = single_workspace(s.slack_bot_token or "", self.identity)
        app = AsyncApp(
            logger=quiet_logger("snag.slack.bolt"),
            name="snag",
            process_before_response=True,  # durable work happens before Slack gets its answer
            signing_secret=s.slack_signing_secret or "",
            client=web_client(s),  # each request's client gets the token authorize found
            before_authorize=note_payload_bot,
            authorize=authorize,
            oauth_settings=oauth,
            installation_store_bot_only=True if oauth else None,
            ssl_check_enabled=False,  # answered by our HTTP handler, after the signature check
        )
        app.error(_on_error)
        register_all(app, self)
        return app

    # ---- shared helpers ----

    async def person(self, who: Who, client: AsyncWebClient) -> Person:
        """The Person behind a payload, with the role their ids or user groups give them."""
        groups = await self.groups.of(client, who.team, who.user)
        return self.snag.person("slack", who.team, who.user, groups=groups, tenant_name=who.team_name)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous core or store call off the event loop."""
        return await asyncio.to_thread(fn, *args)

    async def commit(self, message: IncomingMessage, *, command: bool) -> Capture | None:
        """Commit a report before Slack gets its answer; None for a query, which commits nothing.

        Once stored, where to reach its reporter is kept too, whatever the entry point, so they
        hear when the report's pattern changes.

        With `command`, the text may be a query (help, top, …). Without it, the text is a report
        whatever it says (shortcuts, reactions).
        """
        snag = self.snag
        if command:
            report = snag.as_report(message)
            if report is None:
                return None
            message = report
        if message.event_id is None:  # a key, so that a commit outliving its deadline files it once
            message = replace(message, event_id=f"slack:{uuid.uuid4().hex}")
        capture = await self._store(message)
        self._arrived(_ARRIVING.get())
        if capture.stored:  # after the commit, never before: no reference without a report
            self.spawn(self.call(remember_reporter, self.engine, snag, message))
        return capture

    async def _store(self, message: IncomingMessage) -> Capture:
        """The report committed within `store_within` seconds, else kept in the outbox; a commit
        that stores it past the deadline remembers its reporter and tags it, in a worker."""
        return await store_within(
            self._commit_pool, self.snag, message, self.store_within, on_late=self._stored_late, log=log
        )

    def _stored_late(self, message: IncomingMessage, capture: Capture) -> None:
        with suppress(RuntimeError):  # shutting down: the recovery loop's sweep tags it
            self._work_pool.submit(self._after_late_commit, message, capture)

    def _after_late_commit(self, message: IncomingMessage, capture: Capture) -> None:
        remember_reporter(self.engine, self.snag, message)  # never raises
        self.snag.finish_report(capture)  # never raises; the answer given was the outbox's

    def finish(self, message: IncomingMessage, capture: Capture | None) -> asyncio.Future[Reply]:
        """Start the slow half in a thread: tag a committed report and build its receipt, or answer a query."""
        if capture is None:
            return self.start(self.snag.handle_message, message)
        return self.start(self.snag.finish_report, capture)

    def start(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Start a synchronous core call in a bounded worker pool and return its future.

        It begins once no request that arrived is still to be committed (for YIELD_AT_MOST at
        most): in a burst, tagging in these threads took the CPU (Python's one lock) from the event
        loop and the commits, and acknowledgements came past Slack's 3 s. The request starting it
        has done its own fast part: it no longer counts as arriving."""
        self._arrived(_ARRIVING.get())
        return asyncio.get_running_loop().run_in_executor(self._work_pool, self._after_arrivals, fn, *args)

    @property
    def arriving(self) -> int:
        """Requests that arrived in the last ARRIVING_FOR seconds and are still to be committed."""
        since = time.monotonic() - ARRIVING_FOR
        return sum(1 for at in list(self._arrivals.values()) if at > since)  # list(): one step under the GIL

    def _after_arrivals(self, fn: Callable[..., T], *args: Any) -> T:
        until = time.monotonic() + YIELD_AT_MOST
        while self.arriving > 0 and time.monotonic() < until:
            time.sleep(0.005)
        return fn(*args)

    @contextmanager
    def arrived(self) -> Iterator[None]:
        """Around one HTTP request: counted as arriving until its report is committed, its slow part
        started, or it is answered."""
        mark = [next(self._numbers)]
        self._arrivals[mark[0]] = time.monotonic()
        token = _ARRIVING.set(mark)
        try:
            yield
        finally:
            self._arrived(mark)
            _ARRIVING.reset(token)

    def _arrived(self, mark: list[int] | None) -> None:
        if mark:
            self._arrivals.pop(mark[0], None)

    async def within_budget(self, work: asyncio.Future[Any], started: float | None) -> bool:
        """Wait for work until the answer to Slack is due; True when it finished in time."""
        left = self.budget - (time.monotonic() - (started or time.monotonic()))
        if left > 0 and not work.done():
            await asyncio.wait({work}, timeout=left)
        return work.done()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a delivery after Slack has its answer; failures are logged, never raised."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self.tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log_failure(error, "background delivery")

    async def drain(self) -> None:
        """Wait for every background delivery (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def pay(self, owed: Path | None, sending: Awaitable[T]) -> T | None:
        """Send a receipt owed: paid once Slack took it, or refused it (a later start would fare no
        better); held and posted again by this process while Slack cannot be reached at all.
        Returns what the sending returned; None when it waits."""
        try:
            sent = await sending
        except UNREACHABLE as exc:
            if owed is None:  # a query's answer, or a receipt the disk could not keep
                log.warning("an answer was not posted, Slack cannot be reached: %s", type(exc).__name__)
                return None
            log.warning("Slack cannot be reached (%s): the receipt waits until it answers", type(exc).__name__)
            self.held.hold(owed)
            return None
        except Exception:  # refused in a way Slack's error handling did not expect: logged by the caller
            self.owed.paid(owed)
            raise
        self.owed.paid(owed)
        return sent

    async def _send_owed(self, owed: Owed) -> None:
        from adapters.slack.handlers.events import send_owed

        await send_owed(self, owed)

    def status(self) -> dict[str, Any]:
        """For /readyz: what Slack said of the bot token ("unchecked" until the check begun at start
        first tried; for OAuth installs "installs", each with its own token) and how many receipts wait."""
        token = self.identity.state if self.token_check is not None else "installs"
        return {
            "mode": "socket" if self.socket_mode else "http",
            "token": token,
            "receipts_held": len(self.held.waiting),
        }

    # ---- start and stop ----

    def check_token(self) -> None:
        """Ask Slack who the bot token is, in the background (once; again while Slack is unreachable)."""
        if self.token_check is not None:
            self.token_check.start()

    async def token_checked(self) -> None:
        """Before the first request: ask Slack who the bot token is, and wait for its answer a
        moment (FIRST_CHECK_WAIT at most, and only until the first try ended, answered or not):
        so the first event already knows the bot's own user id."""
        if self.token_check is not None:
            await self.token_check.first_try(FIRST_CHECK_WAIT)

    def settle_owed(self) -> None:
        """At start, in the background: send the receipts that processes now gone still owed."""
        from adapters.slack.handlers.events import send_owed

        async def settle() -> None:
            try:
                sent = await self.owed.settle(lambda owed: send_owed(self, owed))
            except Exception as exc:  # the database or Slack unreachable: the next start tries again
                log.warning("receipts owed by a stopped process are kept for the next start: %s", type(exc).__name__)
                return
            if sent:
                log.info("sent %d receipts owed by a process that stopped before posting them", sent)

        self.spawn(settle())

    async def close(self) -> None:
        """Finish every background delivery, then give up this process's claim on what it owes
        (receipts still held for Slack stay written down, for the next process to start)."""
        await self.drain()
        await self.held.close()
        if self.token_check is not None:
            await self.token_check.close()
        self.owed.close()

    async def client_for(self, team: str) -> AsyncWebClient | None:
        """A Web API client with the bot token of a workspace; None once Snag is removed from it."""
        installations = self.installations
        if installations is None:
            return self.client
        token = await self.call(lambda: installations.bot_token(team_id=team))
        return web_client(self.settings, token=token) if token else None
