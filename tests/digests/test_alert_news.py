"""Alerts are news: a pattern that stays above the count with no new report is not alerted again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from digests.alerts import alert_reason
from store.db import session_scope
from store.models import Alert, Pattern, PatternWeek, Report, Tenant
from tests.digests.conftest import RecordingMessenger, check_alerts_now, make_services, subscribe_console

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # week of Monday 16 Nov; threshold 5, k 3
DAY = timedelta(days=1)


@pytest.fixture
def digest_services(db_url: str, tmp_path: Path) -> Iterator[object]:
    """Services on SQLite and on the real PostgreSQL."""
    services = make_services(tmp_path, db_url)
    yield services
    services.engine.dispose()


def _pattern(services) -> int:  # type: ignore[no-untyped-def]
    """A pattern of the console tenant with three reporters in each week the tests alert in (those of
    16 and 23 Nov), so the anonymity threshold lets its weeks' counts be told."""
    with session_scope(services.engine) as session:
        tenant = session.exec(select(Tenant).where(Tenant.platform == "console", Tenant.external_id == "local")).one()
        seen = datetime(2026, 10, 1, tzinfo=UTC)  # long before the weeks alerted: not new in them
        pattern = Pattern(tenant_id=tenant.id, title="refunds wait in the finance inbox", first_seen=seen)  # type: ignore[arg-type]
        session.add(pattern)
        session.flush()
        for who in ("a", "b", "c"):
            for when in (WEDNESDAY - timedelta(hours=1), datetime(2026, 11, 23, 9, 0, tzinfo=UTC)):
                text = "refunds wait in the finance inbox"
                session.add(
                    Report(
                        tenant_id=tenant.id,  # type: ignore[arg-type]
                        pattern_id=pattern.id,
                        platform="console",
                        reporter_key=who,
                        text=text,
                        created_at=when,
                    )
                )
        return pattern.id  # type: ignore[return-value]


def _week_counts(services, pattern_id: int, **weeks: int) -> None:  # type: ignore[no-untyped-def]
    """Set the pattern's report count of each week, given as w2026_11_16=6 (the week's Monday)."""
    with session_scope(services.engine) as session:
        tenant_id = session.get(Pattern, pattern_id).tenant_id  # type: ignore[union-attr]
        for name, reports in weeks.items():
            monday = name.removeprefix("w").replace("_", "-")
            row = session.exec(
                select(PatternWeek).where(PatternWeek.pattern_id == pattern_id, PatternWeek.week == monday)
            ).first() or PatternWeek(tenant_id=tenant_id, pattern_id=pattern_id, week=monday)
            row.reports = reports
            session.add(row)


def _said(messenger: RecordingMessenger) -> list[str]:
    return [reply.sections[0].text for _, _, _, reply in messenger.sent]


def test_a_pattern_that_stays_above_the_count_is_alerted_once_then_only_when_it_grows(digest_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(digest_services, "C-alerts")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=6)
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY) == 1
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY) == 0  # still 6: nothing new
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + 2 * DAY) == 0
    _week_counts(digest_services, pid, w2026_11_16=8)  # two new reports
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + 3 * DAY) == 1
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + 4 * DAY) == 0
    assert _said(messenger) == [
        "6 reports this week (alert threshold 5)",
        "8 reports this week (alert threshold 5), 2 more since the last alert",
    ]


def test_growth_on_the_day_of_an_alert_is_told_the_next_day_once(digest_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(digest_services, "C-alerts")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=5)
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY) == 1
    _week_counts(digest_services, pid, w2026_11_16=7)
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + timedelta(hours=3)) == 0  # one a day
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY) == 1
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY + timedelta(hours=3)) == 0
    assert _said(messenger)[-1] == "7 reports this week (alert threshold 5), 2 more since the last alert"


def test_crossing_the_count_again_in_a_later_week_is_alerted(digest_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(digest_services, "C-alerts")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=9)
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY) == 1
    next_monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    _week_counts(digest_services, pid, w2026_11_23=2)
    assert check_alerts_now(digest_services, messenger, next_monday) == 0  # below the count this week
    _week_counts(digest_services, pid, w2026_11_23=5)
    assert check_alerts_now(digest_services, messenger, next_monday + DAY) == 1
    assert check_alerts_now(digest_services, messenger, next_monday + 2 * DAY) == 0
    assert _said(messenger)[-1] == "5 reports this week (alert threshold 5)"


def test_a_spike_is_alerted_once_until_it_grows_or_spikes_anew(digest_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(digest_services, "C-alerts")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_09=1, w2026_11_16=3)  # under the count of 5, but spiking
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY) == 1
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY) == 0
    _week_counts(digest_services, pid, w2026_11_16=4)
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + 2 * DAY) == 1
    assert _said(messenger)[0].startswith("Spiking: 3 reports this week. Spiking means")
    assert _said(messenger)[1].startswith("Spiking: 4 reports this week, 1 more since the last alert. Spiking means")
    _week_counts(digest_services, pid, w2026_11_23=4)  # the next week spikes again
    assert check_alerts_now(digest_services, messenger, datetime(2026, 11, 25, 10, 0, tzinfo=UTC)) == 1


def test_each_audience_is_told_once_and_an_alert_never_sent_tells_no_one(digest_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(digest_services, "C-leaders")
    subscribe_console(digest_services, "C-flaky")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=6)
    flaky = RecordingMessenger(failing=("C-flaky",))
    assert check_alerts_now(digest_services, flaky, WEDNESDAY) == 1  # C-leaders only
    with session_scope(digest_services.engine) as session:
        for alert in session.exec(select(Alert).where(Alert.status == "failed")).all():
            alert.status = "gave_up"  # the day's retries ran out
            session.add(alert)
    subscribe_console(digest_services, "C-new")
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY) == 2
    assert sorted(destination for _, _, destination, _ in messenger.sent) == ["C-flaky", "C-new"]
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + 2 * DAY) == 0


def test_alert_reason_without_news_is_none() -> None:
    week = {"people": 3, "k": 3, "new": False}
    assert alert_reason([0, 0, 0, 0, 6], 5, **week) == "6 reports this week (alert threshold 5)"  # type: ignore[arg-type]
    assert alert_reason([0, 0, 0, 0, 6], 5, told=6, **week) is None  # type: ignore[arg-type]
    assert (
        alert_reason([0, 0, 0, 0, 7], 5, told=6, **week)  # type: ignore[arg-type]
        == "7 reports this week (alert threshold 5), 1 more since the last alert"
    )


def test_migration_0009_reads_the_count_told_from_the_reasons_of_older_alerts(digest_services) -> None:  # type: ignore[no-untyped-def]
    """Alerts sent before the count had a column of its own still stop a repeat of the same count."""
    from alembic import command

    from store.db import alembic_config

    subscribe_console(digest_services, "C-alerts")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=6)
    messenger = RecordingMessenger()
    assert check_alerts_now(digest_services, messenger, WEDNESDAY) == 1
    with session_scope(digest_services.engine) as session:
        session.add(
            Alert(
                tenant_id=session.get(Pattern, pid).tenant_id,  # type: ignore[union-attr]
                pattern_id=pid,
                audience="other",
                day="2026-11-17",
                reason="spiking: 4 reports this week. rule",
            )
        )
    url = digest_services.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0008_delivery_limits")
    command.upgrade(alembic_config(url), "head")
    with session_scope(digest_services.engine) as session:
        told = {a.reason.split(" (")[0]: a.reports for a in session.exec(select(Alert)).all()}
    assert told == {"6 reports this week": 6, "spiking: 4 reports this week. rule": 4}
    assert check_alerts_now(digest_services, messenger, WEDNESDAY + DAY) == 0  # 6 was told before the upgrade


def test_one_alert_a_day_is_the_day_where_the_audience_is(digest_services) -> None:  # type: ignore[no-untyped-def]
    """Auckland is UTC+13 in November: its day turns at 11:00 UTC, not at midnight UTC."""
    subscribe_console(digest_services, "C-auckland", timezone="Pacific/Auckland")
    pid = _pattern(digest_services)
    _week_counts(digest_services, pid, w2026_11_16=6)
    messenger = RecordingMessenger()
    wednesday_noon_there = datetime(2026, 11, 17, 23, 30, tzinfo=UTC)  # Wed 18 Nov 12:30 in Auckland
    assert check_alerts_now(digest_services, messenger, wednesday_noon_there) == 1
    _week_counts(digest_services, pid, w2026_11_16=8)
    # A new UTC day, the same afternoon in Auckland: the day's alert was told already.
    assert check_alerts_now(digest_services, messenger, wednesday_noon_there + timedelta(hours=2)) == 0
    # Thursday 01:00 in Auckland, still Wednesday 18 Nov in UTC: a new day there, and two more reports.
    assert check_alerts_now(digest_services, messenger, datetime(2026, 11, 18, 12, 0, tzinfo=UTC)) == 1
    assert _said(messenger)[-1] == "8 reports this week (alert threshold 5), 2 more since the last alert"
    with session_scope(digest_services.engine) as session:
        assert sorted(a.day for a in session.exec(select(Alert)).all()) == ["2026-11-18", "2026-11-19"]
