"""Socket Mode: Slack over a WebSocket (no public URL needed) when SLACK_APP_TOKEN is set.

The connection is opened in the background: while Slack cannot be reached the health, metrics
and Teams endpoints are served all the same, each failed try is one log line (no traceback),
and the next waits a little longer. Once connected, the SDK reconnects by itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from adapters.slack.client import one_line_logger, web_client
from adapters.slack.runtime import SlackRuntime

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["SocketLink", "CONNECT_DELAYS"]

log = logging.getLogger("snag.slack")
# Seconds between tries to connect while Slack cannot be reached; the last one repeats.
CONNECT_DELAYS: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
CONNECT_TIMEOUT = 30.0  # seconds one try may take, WebSocket included, before a fresh one
# Slack's answers that say the app-level token itself is wrong: trying again would not help.
REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type"})


class SocketLink:
    """The Socket Mode connection of one process: `start()` in the running loop, `close()` at stop."""

    def __init__(self, services: Services, runtime: SlackRuntime, *, delays: Sequence[float] = CONNECT_DELAYS):
        self.settings = services.settings
        self.runtime = runtime
        self.delays = tuple(delays)
        self.handler: AsyncSocketModeHandler | None = None
        self.refused: str | None = None  # Slack's error code when it refused SLACK_APP_TOKEN
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode session is open now."""
        session = self.handler.client.current_session if self.handler is not None else None
        return session is not None and not session.closed

    def start(self) -> None:
        """Connect in the background, trying again while Slack cannot be reached."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._open()
            except SlackApiError as exc:
                code = str(exc.response.get("error") or "unknown")
                if code in REFUSED:
                    self.refused = code
                    log.error(
                        "Slack refused SLACK_APP_TOKEN (%s): create an app-level token with connections:write "
                        "under Basic Information → App-Level Tokens and set it in .env",
                        code,
                    )
                    return
                why = code
            except Exception as exc:  # refused, reset, DNS, timed out: Slack cannot be reached
                why = type(exc).__name__
            else:
                log.info("connected to Slack in Socket Mode")
                return
            delay = self.delays[min(attempt, len(self.delays) - 1)]
            log.warning("cannot connect to Slack in Socket Mode (%s); trying again in %.0f s", why, delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def _open(self) -> None:
        if self.handler is None:  # made in the running loop: its client starts a task of its own
            self.handler = AsyncSocketModeHandler(
                self.runtime.bolt,
                app_token=self.settings.slack_app_token,
                logger=one_line_logger("snag.slack.socket"),
                web_client=web_client(self.settings, connection_retries=0),  # this loop tries again
            )
        client = self.handler.client
        # A fresh URL each try: the SDK's connect() would try a stale one again for ever.
        client.wss_uri = await client.issue_new_wss_url()
        await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT)

    async def close(self) -> None:
        """Stop trying, and close the connection if open."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.handler is not None:
            await self.handler.close_async()
