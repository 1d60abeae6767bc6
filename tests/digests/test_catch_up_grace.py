"""A subscription gets its own digests: those whose time falls after it was made, within the
catch-up's grace period too, and not a removed subscription's history.

Monday's 09:00 digest went to C1; at 10:00 an admin unsubscribes C1 and subscribes it again, and
another channel subscribes for the first time. `snag subscriptions` tells both their first digest
is next Monday's; the retry job at 10:10 posted last week's digest to both at once, C1 a second time.
And on SQLite, a subscription made after the newest was removed took its id, and with it its
digest runs: listed as sent a digest it never got, its own that week skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from digests.demo import load_demo
from digests.scheduler import GRACE, RETRY_EVERY
from digests.subscriptions import describe, standings, unsubscribe
from store.db import session_scope
from tests.digests.conftest import NOW, RecordingMessenger, console_scheduler, make_services, subscribe_console

MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
MONDAY_10 = MONDAY_9 + timedelta(hours=1)


@pytest.fixture
def demo_services(db_url: str, tmp_path: Path) -> Iterator[object]:
    """The demo's reports on SQLite and on the real PostgreSQL."""
    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    yield services
    services.engine.dispose()


def _listed(services, now) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What `snag subscriptions` says of each destination's digests."""
    with session_scope(services.engine) as session:
        return {s.subscription.destination: describe(s)[1] for s in standings(session=session, now=now)}


def test_a_channel_subscribed_again_after_its_digest_is_not_sent_it_again(demo_services) -> None:  # type: ignore[no-untyped-def]
    first = subscribe_console(demo_services, "C1")
    messenger = RecordingMessenger()
    assert console_scheduler(demo_services, messenger, MONDAY_9).run_subscription(first) == "sent"
    with session_scope(demo_services.engine) as session:
        assert unsubscribe(session=session, platform="console", tenant="local", destination="C1") == 1
    again = subscribe_console(demo_services, "C1", created=MONDAY_10)
    new = subscribe_console(demo_services, "C-new", created=MONDAY_10)
    listed = _listed(demo_services, MONDAY_10)
    assert all("next: Mon 30 Nov 2026 09:00 UTC" in said and "nothing sent yet" in said for said in listed.values())
    for tick in range(1, int(GRACE / RETRY_EVERY)):  # the retry job, every 10 minutes of the grace period
        assert console_scheduler(demo_services, messenger, MONDAY_10 + tick * RETRY_EVERY).catch_up() == {}
    assert [destination for _, _, destination, _ in messenger.sent] == ["C1"]  # the 09:00 digest, once
    monday = MONDAY_9 + timedelta(weeks=1)
    assert console_scheduler(demo_services, messenger, monday).catch_up() == {again: "sent", new: "sent"}


def test_a_digest_due_before_the_subscription_was_made_is_not_caught_up(demo_services) -> None:  # type: ignore[no-untyped-def]
    """The scheduler was down at 09:00: the channel subscribed at 08:00 gets the digest when it is back,
    the one subscribed at 09:30 does not."""
    before = subscribe_console(demo_services, "C-before", created=MONDAY_9 - timedelta(hours=1))
    subscribe_console(demo_services, "C-after", created=MONDAY_9 + timedelta(minutes=30))
    messenger = RecordingMessenger()
    assert console_scheduler(demo_services, messenger, MONDAY_10).catch_up() == {before: "sent"}
    assert [destination for _, _, destination, _ in messenger.sent] == ["C-before"]


def test_a_new_subscription_does_not_take_over_a_removed_ones_digests(demo_services) -> None:  # type: ignore[no-untyped-def]
    removed = subscribe_console(demo_services, "C1")
    messenger = RecordingMessenger()
    assert console_scheduler(demo_services, messenger, MONDAY_9).run_subscription(removed) == "sent"
    with session_scope(demo_services.engine) as session:
        assert unsubscribe(session=session, platform="console", tenant="local", destination="C1") == 1
    new = subscribe_console(demo_services, "C2", created=MONDAY_10, cron="0 15 * * mon")
    assert new != removed
    assert "nothing sent yet" in _listed(demo_services, MONDAY_10)["C2"]
    assert console_scheduler(demo_services, messenger, MONDAY_9.replace(hour=15)).run_subscription(new) == "sent"
    assert [destination for _, _, destination, _ in messenger.sent] == ["C1", "C2"]
