"""Sending digests exactly once per (tenant, audience, period), each failure isolated and recorded."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import where
from bot.domain import Reply
from bot.errors import SnagError
from bot.metrics import Metrics, NullMetrics
from bot.ports import Messenger
from digests.digest import period_of
from digests.render import to_reply
from digests.service import Digests
from digests.snapshot import digest_week
from digests.subscriptions import claim_run, finish_run
from store.db import session_scope
from store.models import Subscription, Tenant

__all__ = ["AsyncRunner", "DigestSender", "ConsoleMessenger", "safe_error", "run_key"]

log = logging.getLogger("snag.digests")
SAFE_ERRORS = ("DeliveryFailed", "SlackApiError", "TimeoutError", "ConnectionError")


def safe_error(exc: BaseException) -> str:
    """Error text for the run row and logs: known delivery errors say why, others only where."""
    name = exc.__class__.__name__
    if isinstance(exc, SnagError):
        return f"{name}: {exc.message}"[:500]
    if name in SAFE_ERRORS:
        return f"{name}: {str(exc)[:300]}"
    return where(exc)


def run_key(subscription: Subscription) -> str:
    """The DigestRun audience key: the audience, per subscription, so each destination gets one."""
    return f"{subscription.audience}#{subscription.id}"[:120]


class AsyncRunner:
    """One event loop in a daemon thread: platform clients keep using the same loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="snag-async", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class ConsoleMessenger:
    """The console 'platform': digests land as text files under the data directory."""

    def __init__(self, directory: Path, echo: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self.echo = echo

    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in destination) or "console"
        path = self.directory / f"{name}.txt"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(reply.plain_text() + "\n\n")
        if self.echo:
            self.echo(reply.plain_text())


class DigestSender:
    """Builds and sends one subscription's digest; the digest-run row makes it exactly-once."""

    def __init__(
        self,
        *,
        engine,  # type: ignore[no-untyped-def]
        digests: Digests,
        messengers: Mapping[str, Messenger],
        runner: AsyncRunner | Callable[[Coroutine[Any, Any, Any]], Any],
        metrics: Metrics | None = None,
        charts: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.digests = digests
        self.messengers = messengers
        self.run_async = runner.run if isinstance(runner, AsyncRunner) else runner
        self.metrics = metrics or NullMetrics()
        self.charts = charts
        self.clock = clock or utcnow  # when runs are claimed and finished (their leases), not the digest's week

    def send(self, subscription_id: int, now: datetime) -> str:
        """'sent', 'skipped' (sent, being sent, given up, or the subscription is gone) or 'failed'."""
        with session_scope(self.engine) as session:
            sub = session.get(Subscription, subscription_id)
            tenant = session.get(Tenant, sub.tenant_id) if sub else None
            if sub is None or tenant is None:
                return "skipped"
            now = now.astimezone(ZoneInfo(sub.timezone))  # the week is the one that ended where they are
            period = period_of(digest_week(now)[0])
            run = claim_run(
                session=session,
                tenant_id=tenant.id,  # type: ignore[arg-type]
                audience=run_key(sub),
                period=period,
                now=self.clock(),
            )
            if run is None:
                return "skipped"
            run_id, attempt = run.id, run.attempts
        try:
            self._deliver(sub, tenant, now)
        except Exception as exc:
            error = safe_error(exc)
            with session_scope(self.engine) as session:
                status = finish_run(session=session, run_id=run_id, attempt=attempt, now=self.clock(), error=error)  # type: ignore[arg-type]
            log.error(
                "digest run %s (subscription %s, %s) attempt %s %s: %s",
                run_id,
                subscription_id,
                period,
                attempt,
                "gave up" if status == "gave_up" else "failed",
                error,
            )
            self.metrics.count("snag_digests_failed_total", platform=sub.platform)
            return "failed"
        with session_scope(self.engine) as session:
            finish_run(session=session, run_id=run_id, attempt=attempt, now=self.clock())  # type: ignore[arg-type]
        self.metrics.count("snag_digests_sent_total", platform=sub.platform)
        log.info("digest run %s sent for subscription %s (%s)", run_id, subscription_id, period)
        return "sent"

    def _deliver(self, sub: Subscription, tenant: Tenant, now: datetime) -> None:
        messenger = self.messengers.get(sub.platform)
        if messenger is None:
            raise SnagError(f"No messenger is configured for {sub.platform}.")
        digest = self.digests.build(platform=tenant.platform, tenant=tenant.external_id, audience=sub.audience, now=now)
        reply = to_reply(digest, self.digests.taxonomy)
        self.run_async(
            messenger.send(platform=sub.platform, tenant=tenant.external_id, destination=sub.destination, reply=reply)
        )
        upload = getattr(messenger, "upload_chart", None)  # Slack's messenger has it; Teams cards don't carry files
        if self.charts and upload is not None and not digest.suppressed:
            self._charts(upload, sub, tenant, digest)

    def _charts(self, upload, sub: Subscription, tenant: Tenant, digest) -> None:  # type: ignore[no-untyped-def]
        from digests.charts import handoff_png, trend_png

        for name, png in (
            ("trend.png", trend_png(digest)),
            ("handoffs.png", handoff_png(digest, self.digests.taxonomy)),
        ):
            if png:
                self.run_async(
                    upload(
                        tenant=tenant.external_id,
                        destination=sub.destination,
                        png=png,
                        title=f"{digest.period} {name[:-4]}",
                        filename=name,
                    )
                )


def utcnow() -> datetime:
    return datetime.now(UTC)
