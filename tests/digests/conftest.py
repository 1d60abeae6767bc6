"""Digest fixtures: services on SQLite or PostgreSQL, a fixed clock, a recording messenger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain import Reply

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday; the digest week is 16-22 Nov
SUBSCRIBED = datetime(2026, 10, 1, tzinfo=UTC)  # when subscribe_console's subscriptions were made


class RecordingMessenger:
    """A Messenger fake: records every send; destinations in `failing` raise."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.sent: list[tuple[str, str, str, Reply]] = []
        self.failing = failing

    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        if destination in self.failing:
            raise RuntimeError("delivery refused")
        self.sent.append((platform, tenant, destination, reply))


def run_async(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def make_services(tmp_path: Path, url: str | None = None, **overrides):  # type: ignore[no-untyped-def]
    from bot.app import build
    from tests.conftest import FixedClassifier

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=url or f"sqlite:///{tmp_path / 'digests.db'}",
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
        **overrides,
    )
    return build(settings, classifier=FixedClassifier(), migrate=True)


@pytest.fixture
def digest_services(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path)
    yield services
    services.engine.dispose()


@pytest.fixture
def demo_services(digest_services):  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    load_demo(digest_services, now=NOW)
    return digest_services


def check_alerts_now(services, messenger, now: datetime) -> int:  # type: ignore[no-untyped-def]
    """One alert check (threshold 5, k 3) with a recording messenger on the console platform."""
    from digests.alerts import check_alerts

    return check_alerts(
        engine=services.engine,
        taxonomy=services.taxonomy,
        messengers={"console": messenger},
        run_async=run_async,
        now=now,
        threshold=5,
        k=3,
    )


def subscribe_console(  # type: ignore[no-untyped-def]
    services,
    destination: str = "C1",
    timezone: str = "UTC",
    *,
    created: datetime = SUBSCRIBED,
    cron: str = "0 9 * * mon",
) -> int:
    """Subscribe a console destination to the whole organisation's digest (Monday 09:00), made at `created`.

    The scheduler sends a subscription only the digests due after it was made: by default, long
    before the test's clocks, not when the test happens to run."""
    from digests.subscriptions import subscribe
    from store.db import session_scope

    with session_scope(services.engine) as session:
        row = subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="all",
            destination=destination,
            cron=cron,
            timezone=timezone,
        )
        row.created_at = created
        return row.id  # type: ignore[return-value]


def console_scheduler(services, messenger, now: datetime, scheduler=None, **sender_options):  # type: ignore[no-untyped-def]
    """A DigestScheduler whose sender posts to `messenger` and whose clocks say `now`."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.delivery import DigestSender
    from digests.scheduler import DigestScheduler

    sender = DigestSender(
        engine=services.engine,
        digests=services.extras["digests"],
        messengers={"console": messenger},
        runner=run_async,
        **({"charts": False} | sender_options),
        clock=lambda: now,
    )
    return DigestScheduler(services, scheduler or BackgroundScheduler(timezone="UTC"), sender, clock=lambda: now)
