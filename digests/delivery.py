"""Sending digests exactly once per (tenant, audience, period), each failure isolated and recorded."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.core import where
from bot.domain import Reply, Section
from bot.errors import InputError, SnagError
from bot.metrics import Metrics, NullMetrics
from bot.ports import Messenger
from digests.digest import Digest, period_of
from digests.render import to_reply
from digests.service import Digests
from digests.snapshot import digest_week
from digests.subscriptions import claim_run, finish_run, record_pages, run_key
from store.db import session_scope
from store.models import Subscription, Tenant

__all__ = [
    "AsyncRunner",
    "DigestSender",
    "ConsoleMessenger",
    "digest_pages",
    "is_permanent",
    "APP_WIDE",
    "NotConfigured",
    "safe_error",
    "PAGE_CHARS",
    "MAX_PAGES",
]

log = logging.getLogger("snag.digests")
SAFE_ERRORS = ("DeliveryFailed", "SlackApiError", "TimeoutError", "ConnectionError")
PAGE_CHARS = 20_000  # text per message of a long digest: one Slack message (40,000) and one Teams card (28 KB)
MAX_PAGES = 5  # messages per digest at most; the last one carries the rest (the messenger shortens it)
Upload = Callable[..., Coroutine[Any, Any, Any]]  # a messenger's upload_chart(tenant=, destination=, png=, ...)


def safe_error(exc: BaseException) -> str:
    """Error text for the run row and logs: known delivery errors say why, others only where."""
    name = exc.__class__.__name__
    if isinstance(exc, SnagError):
        return f"{name}: {exc.message}"[:500]
    if name in SAFE_ERRORS:
        return f"{name}: {str(exc)[:300]}"
    return where(exc)


class AsyncRunner:
    """One event loop in a daemon thread: platform clients keep using the same loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="snag-async", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 120) -> Any:
        """The coroutine's result; past `timeout` it is cancelled, then TimeoutError. Left running, a
        slow send went on to post after it was recorded failed, and each retry posted it again."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"gave up waiting after {timeout:g} s") from None

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
        engine: Engine,
        digests: Digests,
        messengers: Mapping[str, Messenger],
        runner: AsyncRunner | Callable[[Coroutine[Any, Any, Any]], Any],
        metrics: Metrics | None = None,
        charts: bool = True,
        clock: Callable[[], datetime] | None = None,
        page_chars: int = PAGE_CHARS,
    ) -> None:
        self.engine = engine
        self.digests = digests
        self.messengers = messengers
        self.run_async = runner.run if isinstance(runner, AsyncRunner) else runner
        self.metrics = metrics or NullMetrics()
        self.charts = charts
        self.clock = clock or utcnow  # when runs are claimed and finished (their leases), not the digest's week
        self.page_chars = page_chars

    def send(self, subscription_id: int, now: datetime) -> str:
        """'sent', 'skipped' (sent, being sent, given up, or the subscription is gone) or 'failed'.

        The run is sent once its last page is posted; charts follow, and their failure is only logged."""
        with session_scope(self.engine) as session:
            sub = session.get(Subscription, subscription_id)
            tenant = session.get(Tenant, sub.tenant_id) if sub else None
            if sub is None or tenant is None or tenant.id is None:
                return "skipped"
            now = now.astimezone(ZoneInfo(sub.timezone))  # the week is the one that ended where they are
            period = period_of(digest_week(now)[0])
            run = claim_run(
                session=session,
                tenant_id=tenant.id,
                audience=run_key(sub),
                period=period,
                now=self.clock(),
            )
            if run is None or run.id is None:
                return "skipped"
            run_id, attempt, posted = run.id, run.attempts, run.pages_sent
        try:
            digest = self._post(sub, tenant, now, run_id, attempt, posted)
        except Superseded as exc:  # another sender owns the run now: it posts the rest
            log.warning("digest run %s: %s; this sender stops", run_id, exc)
            return "skipped"
        except Exception as exc:
            error = safe_error(exc)
            with session_scope(self.engine) as session:
                status = finish_run(
                    session=session,
                    run_id=run_id,
                    attempt=attempt,
                    now=self.clock(),
                    error=error,
                    permanent=is_permanent(exc),
                )
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
            finish_run(session=session, run_id=run_id, attempt=attempt, now=self.clock())
        self.metrics.count("snag_digests_sent_total", platform=sub.platform)
        log.info("digest run %s sent for subscription %s (%s)", run_id, subscription_id, period)
        self._send_charts(sub, tenant, digest, run_id)
        return "sent"

    def _post(self, sub: Subscription, tenant: Tenant, now: datetime, run_id: int, attempt: int, posted: int) -> Digest:
        """Post the digest's pages after the first `posted` (an earlier attempt's), recording each."""
        messenger = self.messengers.get(sub.platform)
        if messenger is None:
            raise NotConfigured(
                f"No messenger is configured for {sub.platform}: digests go to slack, teams or console, "
                "and Slack or Teams only once their settings are set where the scheduler runs."
            )
        digest = self.digests.build(platform=tenant.platform, tenant=tenant.external_id, audience=sub.audience, now=now)
        pages = digest_pages(to_reply(digest, self.digests.taxonomy), max_chars=self.page_chars)
        for number, page in enumerate(pages[posted:], start=posted + 1):
            self.run_async(
                messenger.send(
                    platform=sub.platform, tenant=tenant.external_id, destination=sub.destination, reply=page
                )
            )
            with session_scope(self.engine) as session:
                if not record_pages(session=session, run_id=run_id, attempt=attempt, pages=number):
                    raise Superseded(f"run {run_id} was taken over after page {number}")  # its lease ran out
        return digest

    def _send_charts(self, sub: Subscription, tenant: Tenant, digest: Digest, run_id: int) -> None:
        """Upload the charts of a sent digest; a failure is logged, never a reason to send it again."""
        upload = getattr(self.messengers[sub.platform], "upload_chart", None)  # Teams cards don't carry files
        if not self.charts or upload is None or digest.suppressed:
            return
        try:
            self._charts(upload, sub, tenant, digest)
        except Exception as exc:
            log.warning("digest run %s was sent without its charts: %s", run_id, safe_error(exc))
            self.metrics.count("snag_digest_charts_failed_total", platform=sub.platform)
            if getattr(exc, "reason", None) == "not_in_channel":  # text may post to a public channel; files may not
                self._say_why_no_charts(sub, tenant, run_id)

    def _say_why_no_charts(self, sub: Subscription, tenant: Tenant, run_id: int) -> None:
        """Tell the channel, once a digest, why its charts are missing and what makes them come."""
        note = Reply(
            kind="text",
            title="This digest's charts could not be posted here: I'm not a member of this channel. "
            "Invite me (/invite @Snag) and the next digest comes with its charts.",
        )
        try:
            self.run_async(
                self.messengers[sub.platform].send(
                    platform=sub.platform, tenant=tenant.external_id, destination=sub.destination, reply=note
                )
            )
        except Exception as exc:
            log.warning("digest run %s: the note about its charts was not posted: %s", run_id, safe_error(exc))

    def _charts(self, upload: Upload, sub: Subscription, tenant: Tenant, digest: Digest) -> None:
        """Upload the digest's charts, as the HTML page shows them; one with nothing to draw is left out."""
        from digests.charts import handoff_png, heat_png, trend_png

        for name, png in (
            ("trend.png", trend_png(digest)),
            ("handoffs.png", handoff_png(digest, self.digests.taxonomy)),
            ("heat.png", heat_png(digest, self.digests.taxonomy)),
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


def _size(section: Section) -> int:
    return len(section.heading or "") + len(section.text or "") + sum(len(k) + len(v) for k, v in section.fields)


def digest_pages(reply: Reply, *, max_chars: int = PAGE_CHARS, max_pages: int = MAX_PAGES) -> list[Reply]:
    """A digest as one message, or, when long, several: each page is sent and recorded on its own."""
    pages: list[list[Section]] = [[]]
    used = 0
    for section in reply.sections:
        if pages[-1] and used + _size(section) > max_chars:
            pages.append([])
            used = 0
        pages[-1].append(section)
        used += _size(section)
    if len(pages) > max_pages:
        pages[max_pages - 1 :] = [[s for page in pages[max_pages - 1 :] for s in page]]
    return [
        replace(reply, title=reply.title if n == 0 else f"{reply.title} (continued)", sections=tuple(page))
        for n, page in enumerate(pages)
    ]


PERMANENT_STATUSES = frozenset({403, 404})  # HTTP answers a retry cannot change
# Refusals of the app as a whole, not of a conversation: an admin regenerating a token or fixing the
# app's credentials puts them right, so a digest, alert or update is retried, not given up at once.
APP_WIDE = frozenset({"invalid_auth", "token_revoked", "not_authed", "missing_scope", "no_token"})


class NotConfigured(SnagError):
    """A digest's platform has no messenger in this process; retrying cannot help until it is configured."""

    permanent = True  # is_permanent: the run is given up at once, one record per period


class Superseded(Exception):
    """This attempt no longer owns its digest run (it outlived its lease and was taken over)."""


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying a failed send cannot help: the messengers' DeliveryFailed says so.

    Slack's carries `permanent` (channel_not_found, not_in_channel, is_archived...); Teams' carries
    the HTTP `status`: 403 when the bot was blocked or removed from the conversation, 404 when the
    conversation is gone (ConversationNotFound, BotNotInConversationRoster); and `permanent` when
    Snag has no reference to the conversation at all (removed from its team, or never added), so
    nothing was asked of Teams and its error says how to bring it back.

    The app's own credentials refused (Teams' 401, Slack's invalid_auth or revoked token: APP_WIDE)
    are not permanent, whatever the messenger says: an admin fixing them within the retries gets
    the week's digest out (a token regenerated near Monday 09:00 gave up every digest of the week).

    An InputError is too: the digest of an audience the taxonomy no longer has (`stage:follow_up`
    after the stage was removed) cannot be built by retrying; its run is given up with that message."""
    if isinstance(exc, InputError):
        return True
    if getattr(exc, "status", None) == 401 or getattr(exc, "reason", None) in APP_WIDE:
        return False
    return getattr(exc, "permanent", False) is True or getattr(exc, "status", None) in PERMANENT_STATUSES
