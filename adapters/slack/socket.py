"""Socket Mode: Slack over a WebSocket (no public URL needed) when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from adapters.slack.client import quiet_logger, web_client
from adapters.slack.runtime import SlackRuntime

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["connect", "run"]

log = logging.getLogger("snag.slack")


async def connect(services: Services, runtime: SlackRuntime | None = None) -> AsyncSocketModeHandler:
    """Open the Socket Mode connection in the running loop (close with `handler.close_async()`)."""
    settings = services.settings
    runtime = runtime or SlackRuntime(services, socket_mode=True)
    handler = AsyncSocketModeHandler(
        runtime.bolt,
        app_token=settings.slack_app_token,
        logger=quiet_logger("snag.slack.socket"),
        web_client=web_client(settings),
    )
    await handler.connect_async()
    log.info("connected to Slack in Socket Mode")
    return handler


def run(services: Services) -> None:
    """Serve Slack in Socket Mode until interrupted (no HTTP server)."""

    async def forever() -> None:
        runtime = SlackRuntime(services, socket_mode=True)
        handler = await connect(services, runtime)
        runtime.settle_owed()
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()
            await runtime.close()

    asyncio.run(forever())
