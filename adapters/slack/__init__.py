"""Snag in Slack: slash command, shortcut, DMs, mentions, reactions, App Home and digests.

`mount(app, services)` serves Slack on the aiohttp app: POST /slack/events (HTTP
mode) or, when SLACK_APP_TOKEN is set, a Socket Mode connection opened with the
app and closed with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    from bot.app import Services

__all__ = ["mount", "SOCKET"]

SOCKET: web.AppKey[AsyncSocketModeHandler] = web.AppKey("snag_slack_socket")


def mount(app: web.Application, services: Services) -> None:
    """Add Slack to the aiohttp app: the events and OAuth routes, or Socket Mode."""
    from adapters.slack.http import RUNTIME, add_routes
    from adapters.slack.runtime import SlackRuntime

    socket_mode = bool(services.settings.slack_app_token)
    runtime = SlackRuntime(services, socket_mode=socket_mode)
    app[RUNTIME] = runtime

    if not socket_mode:
        add_routes(app, runtime)

    async def start(_app: web.Application) -> None:
        if socket_mode:
            from adapters.slack.socket import connect

            _app[SOCKET] = await connect(services, runtime)
        runtime.settle_owed()

    async def stop(_app: web.Application) -> None:
        if socket_mode:
            await _app[SOCKET].close_async()
        await runtime.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
