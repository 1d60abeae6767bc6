"""One aiohttp server for Slack (HTTP mode), Teams and the health endpoints."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["make_web_app", "serve", "MAX_BODY"]

log = logging.getLogger("snag.server")
MAX_BODY = 1024 * 1024  # Slack and Teams payloads are far smaller; larger bodies get 413


def make_web_app(services: Services) -> web.Application:
    """The aiohttp application with every enabled platform mounted."""
    from adapters.health import add_health_routes, add_recovery, request_id_middleware
    from adapters.metrics import PrometheusMetrics

    app = web.Application(client_max_size=MAX_BODY, middlewares=[request_id_middleware])
    app["services"] = services
    if "metrics" not in services.extras:
        services.extras["metrics"] = PrometheusMetrics()
        services.snag.metrics = services.extras["metrics"]
    add_health_routes(app)
    add_recovery(app)
    app.on_startup.append(_warm_grouping)
    settings = services.settings
    if settings.slack_enabled:
        from adapters.slack import mount as mount_slack

        mount_slack(app, services)
    if settings.teams or settings.microsoft_app_id:
        from adapters.teams import mount as mount_teams

        mount_teams(app, services)
    for hook in services.extras.get("web_hooks", ()):
        hook(app, services)
    return app


async def _warm_grouping(app: web.Application) -> None:
    """Index the patterns in the background while the server starts answering."""

    def warm() -> None:
        try:
            log.info("grouping index ready: %d pattern(s)", grouper.warm())
        except Exception as exc:  # the first report builds it instead
            from bot.core import where

            log.warning("grouping index not built at start: %s", where(exc))

    grouper = app["services"].extras.get("grouper")
    if grouper is not None and hasattr(grouper, "warm"):
        app["warming"] = asyncio.create_task(asyncio.to_thread(warm))


def serve(services: Services) -> None:
    """Run the server until interrupted."""
    app = make_web_app(services)
    settings = services.settings
    log.info("listening on %s:%s", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
