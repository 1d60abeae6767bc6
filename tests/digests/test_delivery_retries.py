"""Retries: failed digests and alerts go out on a later tick, dead senders are taken over, weeks follow the zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from digests.alerts import BACKOFF
from digests.scheduler import RETRY_EVERY
from digests.snapshot import digest_week
from digests.subscriptions import LEASE, MAX_ATTEMPTS, claim_run, finish_run, subscribe
from store.db import session_scope
from store.models import Alert, DigestRun, Subscription
from tests.digests.conftest import (
    NOW,
    RecordingMessenger,
    check_alerts_now,
    console_scheduler,
    make_services,
    subscribe_console,
)

MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
AUCKLAND = ZoneInfo("Pacific/Auckland")


class FlakyMessenger(RecordingMessenger):
    """Fails the first `failures` sends, then records like RecordingMessenger."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, **kwargs) -> None:  # type: ignore[no-untyped-def,override]
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform down")
        await super().send(**kwargs)


def _runs(services) -> list[DigestRun]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(DigestRun)).all())


def test_a_digest_that_failed_once_goes_out_on_a_later_tick(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C1")
    messenger = FlakyMessenger(failures=1)
    assert console_scheduler(demo_services, messenger, MONDAY_9).run_subscription(sub) == "failed"
    later = console_scheduler(demo_services, messenger, MONDAY_9 + RETRY_EVERY)
    assert later.catch_up() == {sub: "sent"}
    assert later.catch_up() == {sub: "skipped"}
    assert len(messenger.sent) == 1
    assert [(r.status, r.attempts, r.period) for r in _runs(demo_services)] == [("sent", 2, "2026-W47")]


def test_a_digest_that_keeps_failing_is_given_up_and_recorded(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C1")
    messenger = FlakyMessenger(failures=MAX_ATTEMPTS + 1)
    for tick in range(MAX_ATTEMPTS):
        assert console_scheduler(demo_services, messenger, MONDAY_9 + tick * RETRY_EVERY).catch_up() == {sub: "failed"}
    assert console_scheduler(demo_services, messenger, MONDAY_9 + 5 * RETRY_EVERY).catch_up() == {sub: "skipped"}
    [run] = _runs(demo_services)
    assert (run.status, run.attempts) == ("gave_up", MAX_ATTEMPTS) and "ConnectionError" in (run.error or "")
    assert messenger.sent == []


def test_a_run_whose_sender_died_is_taken_over_after_the_lease(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    services = make_services(tmp_path, db_url)
    with session_scope(services.engine) as session:
        tenant_id = subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="all",
            destination="C1",
            cron="0 9 * * mon",
            timezone="UTC",
        ).tenant_id
    claim = dict(tenant_id=tenant_id, audience="all#1", period="2026-W47")
    with session_scope(services.engine) as session:
        first = claim_run(session=session, now=MONDAY_9, **claim)  # type: ignore[arg-type]
        assert first is not None and first.attempts == 1
    with session_scope(services.engine) as session:  # still within the lease: the sender may be alive
        assert claim_run(session=session, now=MONDAY_9 + LEASE - timedelta(minutes=1), **claim) is None  # type: ignore[arg-type]
    with session_scope(services.engine) as session:
        second = claim_run(session=session, now=MONDAY_9 + LEASE + timedelta(minutes=1), **claim)  # type: ignore[arg-type]
        assert second is not None and second.attempts == 2 and second.id == first.id
    with session_scope(services.engine) as session:  # the dead sender wakes up late: its word no longer counts
        finish_run(session=session, run_id=first.id, attempt=1, now=MONDAY_9, error="late")  # type: ignore[arg-type]
    assert [(r.status, r.error) for r in _runs(services)] == [("running", None)]
    with session_scope(services.engine) as session:
        finish_run(session=session, run_id=second.id, attempt=2, now=MONDAY_9)  # type: ignore[arg-type]
    assert [r.status for r in _runs(services)] == ["sent"]
    services.engine.dispose()


def test_a_stale_running_digest_is_sent_by_the_next_tick(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C1")
    with session_scope(demo_services.engine) as session:  # a sender claimed it at 09:00, then died
        tenant_id = session.get(Subscription, sub).tenant_id  # type: ignore[union-attr]
        session.add(DigestRun(tenant_id=tenant_id, audience=f"all#{sub}", period="2026-W47", started_at=MONDAY_9))
    messenger = RecordingMessenger()
    assert console_scheduler(demo_services, messenger, MONDAY_9 + RETRY_EVERY).catch_up() == {sub: "skipped"}
    assert console_scheduler(demo_services, messenger, MONDAY_9 + LEASE + RETRY_EVERY).catch_up() == {sub: "sent"}
    assert len(messenger.sent) == 1


def test_the_scheduler_has_a_stable_coalesced_retry_job(demo_services) -> None:  # type: ignore[no-untyped-def]
    scheduler = console_scheduler(demo_services, RecordingMessenger(), MONDAY_9)
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job("snag:retry")
        assert job is not None and job.coalesce and job.max_instances == 1
        assert job.trigger.interval == RETRY_EVERY and RETRY_EVERY < LEASE
    finally:
        scheduler.scheduler.shutdown(wait=False)


def test_a_failed_alert_is_sent_on_the_nextcheck_alerts_now(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C-ok")
    subscribe_console(demo_services, "C-flaky")
    sunday = NOW - timedelta(days=3)  # inside the demo's last, busiest week
    messenger = RecordingMessenger(failing=("C-flaky",))
    first = check_alerts_now(demo_services, messenger, sunday)
    assert first >= 1 and {m[2] for m in messenger.sent} == {"C-ok"}
    messenger.failing = ()
    assert check_alerts_now(demo_services, messenger, sunday + timedelta(minutes=1)) == 0  # backing off
    assert check_alerts_now(demo_services, messenger, sunday + BACKOFF * 2) == first  # only C-flaky's, now
    assert check_alerts_now(demo_services, messenger, sunday + timedelta(hours=3)) == 0
    by_destination = [m[2] for m in messenger.sent]
    assert by_destination.count("C-ok") == by_destination.count("C-flaky") == first
    with session_scope(demo_services.engine) as session:
        assert {a.status for a in session.exec(select(Alert)).all()} == {"sent"}


def test_two_replicas_checking_alerts_send_each_once(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    subscribe_console(services, "C-alerts")
    replicas = [services, make_services(tmp_path, db_url)]
    messenger = RecordingMessenger()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def check(replica) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        results.append(check_alerts_now(replica, messenger, NOW - timedelta(days=3)))

    threads = [threading.Thread(target=check, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and sum(results) == len(messenger.sent) >= 1
    assert len({m[3].title for m in messenger.sent}) == len(messenger.sent)
    for replica in replicas:
        replica.engine.dispose()


def test_the_digest_week_is_decided_in_the_zone_of_now() -> None:
    start, end = digest_week(datetime(2026, 11, 23, 9, tzinfo=AUCKLAND))
    assert (start, end) == (datetime(2026, 11, 16, tzinfo=AUCKLAND), datetime(2026, 11, 23, tzinfo=AUCKLAND))
    assert digest_week(datetime(2026, 11, 22, 20, tzinfo=UTC))[0] == datetime(2026, 11, 9, tzinfo=UTC)


def test_an_auckland_digest_covers_the_week_that_ended_in_auckland(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C-nz", timezone="Pacific/Auckland")
    fires = datetime(2026, 11, 22, 20, tzinfo=UTC)  # Monday 23 Nov 09:00 in Auckland
    messenger = RecordingMessenger()
    assert console_scheduler(demo_services, messenger, fires).run_subscription(sub) == "sent"
    assert [r.period for r in _runs(demo_services)] == ["2026-W47"]
    assert "2026-W47" in messenger.sent[0][3].title
    assert console_scheduler(demo_services, messenger, fires + timedelta(hours=1)).catch_up() == {sub: "skipped"}
