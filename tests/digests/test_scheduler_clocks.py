"""Schedules across the clocks changing, and a subscription's time zone changed while the scheduler runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from digests.scheduler import previous_fire_time
from digests.subscriptions import subscribe
from store.db import session_scope
from tests.digests.conftest import RecordingMessenger, console_scheduler


@pytest.mark.parametrize(
    ("cron", "zone", "now", "latest"),
    [
        # London goes back at 02:00 BST on 25 Oct 2026: 01:30 happens at 00:30Z and again at 01:30Z
        (
            "30 1 * * *",
            "Europe/London",
            datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ),
        (
            "30 1 * * sun",
            "Europe/London",
            datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        # New York goes back at 02:00 EDT on 1 Nov 2026; an hourly cron fires at 01:00 twice
        (
            "0 * * * *",
            "America/New_York",
            datetime(2026, 11, 1, 7, 0, tzinfo=UTC),
            datetime(2026, 11, 1, 7, 0, tzinfo=UTC),
        ),
        # clocks forward (London 29 Mar 2026, 01:00 GMT -> 02:00 BST): 01:30 does not exist that night, and
        # APScheduler fires at 02:30 BST instead, as catch-up must find
        (
            "30 1 * * *",
            "Europe/London",
            datetime(2026, 3, 29, 3, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
        (
            "0 9 * * mon",
            "Europe/London",
            datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
            datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_latest_fire_time_is_found_across_the_clocks_changing(
    cron: str, zone: str, now: datetime, latest: datetime | None
) -> None:
    found: list[datetime | None] = []
    worker = threading.Thread(
        target=lambda: found.append(previous_fire_time(CronTrigger.from_crontab(cron, timezone=zone), now)),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "previous_fire_time did not return"  # it looped forever on the repeated hour
    [fire] = found
    assert (fire.astimezone(UTC) if fire else None) == latest


def _subscribe(services, timezone: str, cron: str = "0 9 * * mon") -> int:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="all",
            destination="C-zone",
            cron=cron,
            timezone=timezone,
        ).id


def test_catch_up_on_the_night_the_clocks_go_back_returns(demo_services) -> None:  # type: ignore[no-untyped-def]
    _subscribe(demo_services, "Europe/London", cron="30 1 * * *")
    scheduler = console_scheduler(demo_services, RecordingMessenger(), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    worker = threading.Thread(target=scheduler.catch_up, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive()


def test_a_new_time_zone_alone_moves_the_job(demo_services) -> None:  # type: ignore[no-untyped-def]
    background = BackgroundScheduler(timezone="UTC")
    scheduler = console_scheduler(demo_services, RecordingMessenger(), datetime(2026, 11, 25, tzinfo=UTC), background)
    sub_id = _subscribe(demo_services, "UTC")
    background.start(paused=True)
    try:
        scheduler.sync()
        assert str(background.get_job(f"digest:{sub_id}").trigger.timezone) == "UTC"
        assert _subscribe(demo_services, "America/Los_Angeles") == sub_id  # the same subscription, another zone
        scheduler.sync()
        job = background.get_job(f"digest:{sub_id}")
        assert str(job.trigger.timezone) == "America/Los_Angeles"
        assert job.next_run_time.astimezone(UTC).hour == 17  # 09:00 in Los Angeles, not 09:00 UTC
    finally:
        background.shutdown(wait=False)
