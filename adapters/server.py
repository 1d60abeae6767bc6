"""One aiohttp server for Slack (HTTP mode), Teams and the health endpoints."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from adapters.health import PLATFORMS, add_health_routes, add_recovery, request_id_middleware
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app import Services
    from bot.config import Settings

__all__ = [
    "make_web_app",
    "serve",
    "check_platforms",
    "platforms_of",
    "listen_host",
    "MAX_BODY",
    "PathOnlyAccessLogger",
]

log = logging.getLogger("snag.server")
MAX_BODY = 1024 * 1024  # Slack and Teams payloads are far smaller; larger bodies get 413
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
NOTHING_TO_SERVE = (
    "No platform is configured, so `snag serve` would answer nothing: set SLACK_BOT_TOKEN with "
    "SLACK_SIGNING_SECRET (Slack over HTTP) or with SLACK_APP_TOKEN (Socket Mode), MicrosoftAppId with "
    "MicrosoftAppPassword (Teams), or SNAG_ENV=dev with SNAG_TEAMS=true (Bot Framework Emulator)."
)


def platforms_of(settings: Settings) -> list[str]:
    """The platforms these settings serve: "slack", "teams" or both."""
    found = ["slack"] if settings.slack_enabled else []
    return found + (["teams"] if settings.teams or settings.microsoft_app_id else [])


def check_platforms(settings: Settings) -> None:
    """Refuse to serve nothing, or half a platform, with one line naming the setting to set."""
    slack_given = _given(
        SLACK_SIGNING_SECRET=settings.slack_signing_secret,
        SLACK_APP_TOKEN=settings.slack_app_token,
        SLACK_CLIENT_SECRET=settings.slack_client_secret,
    )
    if slack_given and not settings.slack_enabled:
        raise ConfigError(
            f"{slack_given} but SLACK_BOT_TOKEN is not: set it (or SLACK_CLIENT_ID for multi-workspace "
            "installs) to serve Slack, or remove the Slack settings."
        )
    teams_given = _given(
        MicrosoftAppPassword=settings.microsoft_app_password, MicrosoftAppTenantId=settings.microsoft_app_tenant_id
    )
    if teams_given and "teams" not in platforms_of(settings):
        raise ConfigError(
            f"{teams_given} but MicrosoftAppId is not: set it (your Azure bot's app id) to serve Teams, "
            "or remove the Teams settings."
        )
    platforms = platforms_of(settings)
    if not platforms:
        raise ConfigError(NOTHING_TO_SERVE)
    # Each platform's own checks too, before migrations and the model rather than at mount.
    if "slack" in platforms:
        from adapters.slack.runtime import check_settings as check_slack

        check_slack(settings, socket_mode=bool(settings.slack_app_token))
    if "teams" in platforms:
        from adapters.teams import check_settings as check_teams

        check_teams(settings)


def _given(**settings: str | None) -> str:
    """Which of these settings have a value, as a phrase ("A is set", "A and B are set"); empty if none."""
    names = [name for name, value in settings.items() if value]
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} set" if names else ""


def make_web_app(services: Services) -> web.Application:
    """The aiohttp application with every enabled platform mounted."""
    from adapters.metrics import PrometheusMetrics

    app = web.Application(client_max_size=MAX_BODY, middlewares=[request_id_middleware])
    app["services"] = services
    if "metrics" not in services.extras:
        services.extras["metrics"] = PrometheusMetrics()
        services.snag.metrics = services.extras["metrics"]
    add_health_routes(app)
    add_recovery(app)
    app.on_startup.append(_warm_grouping)
    app[PLATFORMS] = platforms_of(services.settings)
    if "slack" in app[PLATFORMS]:
        from adapters.slack import mount as mount_slack

        mount_slack(app, services)
    if "teams" in app[PLATFORMS]:
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


def listen_host(settings: Settings) -> str:
    """Where `snag serve` listens: SNAG_HOST, else every address, except when Teams is unauthenticated.

    In development without MicrosoftAppId, /api/messages believes whatever `from` an activity
    names, admins included: only this machine (the Bot Framework Emulator) may reach it then.
    """
    unauthenticated = settings.env == "dev" and "teams" in platforms_of(settings) and not settings.microsoft_app_id
    if settings.host:
        if unauthenticated and settings.host not in LOCAL_HOSTS:
            log.warning(
                "Teams is unauthenticated (SNAG_ENV=dev, no MicrosoftAppId) and SNAG_HOST=%s is set", settings.host
            )
        return settings.host
    if unauthenticated:
        log.info(
            "development mode without Teams credentials: listening on 127.0.0.1 only, since anyone reaching "
            "/api/messages could act as any Teams user (set SNAG_HOST to listen elsewhere)"
        )
        return "127.0.0.1"
    return "0.0.0.0"


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log lines with the path, never the query string.

    Slack's OAuth redirect carries the authorization code and the signed state in its query, and
    the code with the client secret is a workspace's bot token: aiohttp's default line (`%r`)
    would write both to the log.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s" %s %.3fs', request.remote, request.method, request.path, response.status, time)


def serve(services: Services) -> None:
    """Run the server until interrupted; refuses to start with no platform, or half of one, configured."""
    settings = services.settings
    check_platforms(settings)
    app = make_web_app(services)
    platforms: list[str] = app[PLATFORMS]
    host = listen_host(settings)

    stage: list[str] = []

    async def started(_app: web.Application) -> None:  # the last startup hook: the port is opened next
        stage.append("binding")

    def listening(*_printed: object) -> None:  # called once the port is open
        stage.append("listening")
        log.info("listening on %s:%s for %s", host, settings.port, " and ".join(platforms))

    app.on_startup.append(started)
    try:
        web.run_app(app, host=host, port=settings.port, print=listening, access_log_class=PathOnlyAccessLogger)
    except OSError as exc:
        if stage != ["binding"]:  # a startup hook's, or the running server's: not about where to listen
            raise
        raise ConfigError(_cannot_listen(host, settings.port, exc)) from exc


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    """Why `snag serve` could not open its port, and the setting that would let it."""
    # asyncio's own message repeats the address: the system's words for the errno say it shorter.
    why = exc.strerror if isinstance(exc, socket.gaierror) else os.strerror(exc.errno) if exc.errno else None
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        fix = (
            "set SNAG_HOST to an address of this machine (0.0.0.0 for every address, 127.0.0.1 for this "
            "machine alone), or leave it unset"
        )
    elif exc.errno == errno.EACCES:
        fix = "set SNAG_PORT to 1024 or above (lower ports need root)"
    else:
        fix = "set SNAG_PORT to a free port, or stop what listens on this one"
    return f"snag serve cannot listen on {host}:{port} ({(why or type(exc).__name__).lower()}): {fix}."
