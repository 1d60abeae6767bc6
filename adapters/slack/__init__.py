"""Snag in Slack: slash command, shortcut, DMs, mentions, reactions, App Home and digests.

`mount(app, services)` serves Slack on the aiohttp app: POST /slack/events (HTTP
mode) or, when SLACK_APP_TOKEN is set, a Socket Mode connection opened in the
background with the app (the server does not wait for Slack) and closed with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.health import STATUS

if TYPE_CHECKING:
    from adapters.slack.socket import SocketLink
    from bot.app import Services

__all__ = ["mount", "SOCKET"]

SOCKET: web.AppKey[SocketLink] = web.AppKey("snag_slack_socket")


def mount(app: web.Application, services: Services) -> None:
    """Add Slack to the aiohttp app: the events and OAuth routes, or Socket Mode."""
    from adapters.slack.http import RUNTIME, add_routes
    from adapters.slack.runtime import SlackRuntime

    socket_mode = bool(services.settings.slack_app_token)
    runtime = SlackRuntime(services, socket_mode=socket_mode)
    app[RUNTIME] = runtime
    link: SocketLink | None = None
    if socket_mode:
        from adapters.slack.socket import SocketLink

        link = app[SOCKET] = SocketLink(services, runtime)
    else:
        add_routes(app, runtime)

    def status() -> dict[str, Any]:
        return runtime.status() | ({"connected": link.connected} if link is not None else {})

    app[STATUS]["slack"] = status

    async def start(_app: web.Application) -> None:
        if link is not None:
            link.start()
        runtime.check_token()  # one log line at start says whether Slack takes SLACK_BOT_TOKEN
        runtime.settle_owed()

    async def stop(_app: web.Application) -> None:
        if link is not None:
            await link.close()
        await runtime.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
