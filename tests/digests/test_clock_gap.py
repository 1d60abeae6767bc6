"""A schedule whose time the clocks skip: where they go forward at midnight (Asia/Tehran went from
00:00 to 01:00 on Monday 22 March 2021), APScheduler 3 alone gave Monday 00:30's next time as a week
later; the job did not fire, the catch-up found nothing due and that week's digest was never sent,
while `subscriptions` named the week after. Now the skipped time fires just after the change (as
long after it as 00:30 is after midnight), and the listing, the job and the catch-up agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from digests.scheduler import GRACE, build_scheduler, previous_fire_time
from digests.subscriptions import describe, standings
from digests.week import digest_week
from store.db import session_scope
from tests.conftest import run_snag

SATURDAY = datetime(2021, 3, 20, 12, 0, tzinfo=UTC)  # two days before Tehran's clocks went forward
AFTER_THE_CHANGE = datetime(2021, 3, 21, 21, 5, tzinfo=UTC)  # Monday 22 March 01:35 in Tehran


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def _listed(services, now: datetime) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return [describe(s)[1] for s in standings(session=session, now=now)]


def test_the_listing_shows_the_time_just_after_the_change(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    assert snag("subscribe", "all", "--destination", "C1", "--cron", "30 0 * * mon", "--tz", "Asia/Tehran")[0] == 0
    [line] = _listed(digest_services, SATURDAY)
    # was "next: Mon 29 Mar 2021 00:30 +0430 (the week of Mon 22 Mar 2021)": the week of 15 March never went
    assert line.startswith("next: Mon 22 Mar 2021 01:30 +0430 (the week of Mon 15 Mar 2021)"), line


def test_the_job_and_the_catch_up_send_when_the_listing_says(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    assert snag("subscribe", "all", "--destination", "C1", "--cron", "30 0 * * mon", "--tz", "Asia/Tehran")[0] == 0
    runner = build_scheduler(digest_services, BackgroundScheduler(timezone="UTC"))
    runner.sync()
    [job] = [job for job in runner.scheduler.get_jobs() if job.id.startswith("digest:")]
    fires = job.trigger.get_next_fire_time(None, SATURDAY)
    assert fires == datetime(2021, 3, 21, 21, 0, tzinfo=UTC)  # 01:30 +0430
    missed = previous_fire_time(job.trigger, AFTER_THE_CHANGE, GRACE)  # what the catch-up sends
    assert missed == fires and digest_week(missed)[0].date().isoformat() == "2021-03-15"
    after = job.trigger.get_next_fire_time(fires, AFTER_THE_CHANGE)
    assert after is not None and after.strftime("%a %d %b %H:%M %z") == "Mon 29 Mar 00:30 +0430"


def test_a_time_skipped_in_the_night_shows_as_the_clock_reads_then(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    """Europe/London skips 01:00-02:00 on the last Sunday of March: the digest went at 02:30 BST
    already, but was listed as 01:30 GMT, a time no clock showed that night."""
    assert snag("subscribe", "all", "--destination", "C1", "--cron", "30 1 * * sun", "--tz", "Europe/London")[0] == 0
    [line] = _listed(digest_services, datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    assert line.startswith("next: Sun 28 Mar 2027 02:30 BST"), line
