"""GET /healthz (process up), /readyz (database, model, outbox; platforms served, and how each is
connected) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Engine, text

from adapters.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics
from bot.logs import request_id

__all__ = ["add_health_routes", "request_id_middleware", "PLATFORMS", "STATUS"]

PLATFORMS = web.AppKey("snag_platforms", list[str])  # the platforms mounted on this server, for /readyz
# How each platform is connected, for /readyz: shown, never a reason to be unready. A platform
# cut off from its own service (Slack down) still stores what reaches it, and the others serve on.
STATUS = web.AppKey("snag_platform_status", dict[str, Callable[[], dict[str, Any]]])


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers, a model is loaded and the outbox is not backed up; names the
    platforms, and says how each is connected (Slack: its token checked, Socket Mode connected)."""
    services = request.app["services"]
    depth = services.snag.outbox.depth() if services.snag.outbox else 0
    checks = {
        "database": await asyncio.to_thread(_database_ok, services.engine),
        "model": bool(getattr(services.classifier, "version", None)),
        "outbox": depth < services.settings.outbox_max,
    }
    body = {
        "ready": all(checks.values()),
        "checks": checks,
        "outbox_depth": depth,
        "platforms": request.app.get(PLATFORMS, []),
    }
    for platform, status in request.app.get(STATUS, {}).items():
        body[platform] = status()
    return web.json_response(body, status=200 if body["ready"] else 503)


async def metrics(request: web.Request) -> web.Response:
    services = request.app["services"]
    collector: PrometheusMetrics = services.extras["metrics"]
    if services.snag.outbox is not None:
        collector.set("snag_outbox_depth", services.snag.outbox.depth())
    return web.Response(body=collector.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


_PLATFORM_PATHS = {"/slack/events": "slack", "/api/messages": "teams"}


@web.middleware
async def request_id_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every request gets an id, in the logs and in the X-Request-Id header.

    The id is not reset here: aiohttp handles each request in a task of its own (a copy of the
    context), and writes the access log line in that task after this returns, so the line
    carries the id the caller got. Resetting it wrote "-" there."""
    rid = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
    request_id.set(rid)
    started = time.perf_counter()
    try:
        response = await handler(request)
        platform = _PLATFORM_PATHS.get(request.path)
        if platform:
            request.app["services"].snag.metrics.observe(
                "snag_ack_seconds", time.perf_counter() - started, platform=platform
            )
    except web.HTTPRequestEntityTooLarge:
        response = web.json_response({"error": "Request body is larger than 1 MB."}, status=413)
    except web.HTTPException as exc:  # a 404, 401... raised: the caller gets the id too
        exc.headers["X-Request-Id"] = rid
        raise
    response.headers["X-Request-Id"] = rid
    return response


def add_health_routes(app: web.Application) -> None:
    app[STATUS] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


RETENTION_EVERY = 3600.0  # seconds between retention passes of a server (one UPDATE each)
# The backlog leaves reports stored this recently to the process tagging them (a burst queues
# hundreds for seconds); a report a crash left untagged waits this long at most, plus one loop.
BACKLOG_SETTLED = timedelta(minutes=1)


async def _recovery_loop(app: web.Application, every: float, retention_every: float = RETENTION_EVERY) -> None:
    """Replay the outbox and tag the backlog while the process runs (the database may come back),
    and apply SNAG_RETENTION_DAYS hourly: a deployment running `snag serve` without `snag scheduler`
    kept every text for ever."""
    from bot.app import recover, schema_checked

    services = app["services"]
    days = services.settings.retention_days
    retained_at = float("-inf")
    while True:
        await asyncio.sleep(every)
        try:
            if not await asyncio.to_thread(schema_checked, services):
                continue  # unreachable since the start: nothing to replay into yet
            await asyncio.to_thread(lambda: recover(services, settled=BACKLOG_SETTLED))
            retry_updates = services.extras.get("retry_updates")  # reporters' updates owed (digests)
            if retry_updates is not None:
                await asyncio.to_thread(retry_updates, datetime.now(UTC))
            now = time.monotonic()
            if days and now - retained_at >= retention_every:
                retained_at = now
                reduced = await asyncio.to_thread(services.snag.apply_retention, days)
                if reduced:
                    logging.getLogger("snag.server").info("retention: reduced %d report(s) to their tags", reduced)
        except Exception as exc:  # keep the loop alive whatever happens
            from bot.core import where

            logging.getLogger("snag.server").error("recovery loop: %s", where(exc))


def add_recovery(app: web.Application, every: float = 15.0, retention_every: float = RETENTION_EVERY) -> None:
    """Start the recovery loop with the server and stop it with the server."""

    async def start(app: web.Application) -> None:
        app["recovery"] = asyncio.create_task(_recovery_loop(app, every, retention_every))

    async def stop(app: web.Application) -> None:
        app["recovery"].cancel()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
