"""Alerts count the audience's own week, as its digest does: an Auckland subscription's week starts
on Monday 00:00 in Auckland (Sunday 11:00 UTC), not on the UTC Monday.

A pattern with three reports on Thursday and two on Monday 08:00 in Auckland has two reports in
Auckland's new week; counted by the UTC week (which that Monday morning still is) it had five,
and the alert said "5 reports this week" fifty minutes before the digest showed three that week.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tests.digests import world
from tests.digests.conftest import RecordingMessenger, check_alerts_now, make_services, subscribe_console

AUCKLAND = ZoneInfo("Pacific/Auckland")
THURSDAY = datetime(2026, 11, 26, 12, 0, tzinfo=AUCKLAND)
MONDAY_8 = datetime(2026, 11, 30, 8, 0, tzinfo=AUCKLAND)  # Sunday 19:00 UTC: still the UTC week of 23 Nov


@pytest.fixture
def digest_services(db_url: str, tmp_path: Path) -> Iterator[object]:
    """Services on SQLite and on the real PostgreSQL: the counts are read in SQL."""
    services = make_services(tmp_path, db_url)
    yield services
    services.engine.dispose()


def _refunds(services) -> int:  # type: ignore[no-untyped-def]
    """The pattern "Refunds stuck", first seen on Thursday."""
    with Session(services.engine) as session:
        return world.pattern(session, world.tenant(session), "Refunds stuck", THURSDAY)


def _reported(services, pattern: int, *filed: tuple[datetime, str]) -> None:  # type: ignore[no-untyped-def]
    """Reports of the pattern, filed as grouping files them (weekly counts by UTC week)."""
    with Session(services.engine) as session:
        world.reports(session, world.tenant(session), pattern, filed)


def _said(messenger: RecordingMessenger) -> list[str]:
    return [reply.sections[0].text for _, _, _, reply in messenger.sent]


def test_reports_of_the_last_auckland_week_do_not_count_in_this_ones_alert(digest_services) -> None:  # type: ignore[no-untyped-def]
    refunds = _refunds(digest_services)
    _reported(digest_services, refunds, *[(THURSDAY, f"u{i}") for i in range(3)], (MONDAY_8, "u3"), (MONDAY_8, "u4"))
    subscribe_console(digest_services, "C-nz", timezone="Pacific/Auckland")
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, MONDAY_8 + timedelta(minutes=10)) == 0
    assert _said(messenger) == []
    digest = digest_services.extras["digests"].build(
        platform="console", tenant="local", audience="all", now=MONDAY_8 + timedelta(hours=1)
    )
    assert digest.period == "2026-W48" and [(p.title, p.this_week) for p in digest.top] == [("Refunds stuck", 3)]


def test_reports_of_an_auckland_monday_morning_count_in_its_new_week(digest_services) -> None:  # type: ignore[no-untyped-def]
    """Five reports on Monday 08:00 in Auckland: five this week there, not the UTC week's eight."""
    refunds = _refunds(digest_services)
    _reported(
        digest_services, refunds, *[(THURSDAY, f"u{i}") for i in range(3)], *[(MONDAY_8, f"m{i}") for i in range(5)]
    )
    subscribe_console(digest_services, "C-nz", timezone="Pacific/Auckland")
    subscribe_console(digest_services, "C-utc")
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, MONDAY_8 + timedelta(minutes=10)) == 2
    said = {destination: reply.sections[0].text for _, _, destination, reply in messenger.sent}
    assert said == {
        "C-nz": "5 reports this week (alert threshold 5)",
        "C-utc": "8 reports this week (alert threshold 5)",  # Sunday 19:10 in UTC: Thursday's are this week
    }


def test_an_alert_of_last_auckland_week_is_not_what_this_week_was_told(digest_services) -> None:  # type: ignore[no-untyped-def]
    """Told on Sunday evening in Auckland, the same UTC day and week as Monday 08:10 there: Monday's
    alert is a new week's, not "5 more" of eleven."""
    sunday = datetime(2026, 11, 29, 18, 0, tzinfo=AUCKLAND)
    refunds = _refunds(digest_services)
    _reported(digest_services, refunds, *[(sunday, f"u{i}") for i in range(6)])
    subscribe_console(digest_services, "C-nz", timezone="Pacific/Auckland")
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, sunday + timedelta(minutes=10)) == 1
    _reported(digest_services, refunds, *[(MONDAY_8, f"m{i}") for i in range(5)])
    assert check_alerts_now(digest_services, messenger, MONDAY_8 + timedelta(minutes=10)) == 1
    assert _said(messenger) == [
        "6 reports this week (alert threshold 5)",
        "5 reports this week (alert threshold 5)",
    ]
