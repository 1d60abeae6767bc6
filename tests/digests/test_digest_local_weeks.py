"""A digest for a subscription not on UTC counts each pattern in the same week as the week's totals.

The weekly counts are kept by UTC week; a New York digest's week runs from Monday 05:00 UTC. A
refund problem reported on Wednesday and again late on Sunday evening in New York (Monday in
UTC) is six reports of the digest's week, not three, and a problem reported only on that
Sunday evening is in the digest at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.taxonomy import load_taxonomy
from digests import signals
from digests.service import Digests
from digests.week import digest_week, week_moves, week_windows
from tests.digests import world
from tests.digests.conftest import RecordingMessenger, run_async, subscribe_console

NEW_YORK = ZoneInfo("America/New_York")
SENT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York: the week of 16-22 Nov
TX = load_taxonomy()


def _refunds_and_a_late_problem(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """r1-r3 on Wednesday noon and r4-r6 on Sunday 23:30 in New York; a problem seen in October, reported
    three times on Sunday 22:00 in New York."""
    wednesday = datetime(2026, 11, 18, 12, 0, tzinfo=NEW_YORK)
    sunday_night = datetime(2026, 11, 22, 23, 30, tzinfo=NEW_YORK)  # Monday 04:30 UTC
    handoff = {"handoff_from": "support", "handoff_to": "finance", "kinds": ["waiting"]}
    with Session(engine) as s:
        tenant = world.tenant(s)
        refund = world.pattern(s, tenant, "Refund requests wait for finance", wednesday)
        world.reports(s, tenant, refund, [(wednesday, "u1"), (wednesday, "u2"), (wednesday, "u3")], **handoff)
        world.reports(s, tenant, refund, [(sunday_night, "u4"), (sunday_night, "u5"), (sunday_night, "u6")], **handoff)
        october = datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
        late = world.pattern(s, tenant, "Couriers arrive after closing", october)
        world.reports(s, tenant, late, [(october, "u7")])
        sunday = datetime(2026, 11, 22, 22, 0, tzinfo=NEW_YORK)  # Monday 03:00 UTC
        world.reports(s, tenant, late, [(sunday, "u7"), (sunday, "u8"), (sunday, "u9")])
    return refund, late


def test_a_new_york_digest_counts_patterns_in_new_york_weeks(digest_services) -> None:  # type: ignore[no-untyped-def]
    """The repro: sent through the scheduler's sender to a New York subscription."""
    from digests.delivery import DigestSender

    refund, late = _refunds_and_a_late_problem(digest_services.engine)
    subscription = subscribe_console(digest_services, timezone="America/New_York")
    messenger = RecordingMessenger()
    sender = DigestSender(
        engine=digest_services.engine,
        digests=digest_services.extras["digests"],
        messengers={"console": messenger},
        runner=run_async,
        charts=False,
        clock=lambda: SENT,
    )
    assert sender.send(subscription, SENT) == "sent"
    (_, _, _, reply), *_ = messenger.sent
    sections = {s.heading: s for s in reply.sections}
    assert dict(sections["Week 2026-W47 (16 Nov to 22 Nov 2026)"].fields)["Reports"] == "9 (none the week before)"
    top = sections["Most reported"].text.split("\n")
    # nobody the week before reads as fewer than 3 people (digests.render._few)
    assert top[0].startswith(
        f"#{refund} Refund requests wait for finance · 6 (from fewer than 3 people the week before)"
    )
    assert top[1].startswith(f"#{late} Couriers arrive after closing · 3 (from fewer than 3 people the week before)")
    assert sections["Spiking"].text.startswith(f"#{late} ")
    assert sections["New this week"].text.startswith(f"#{refund} ")
    assert dict(sections["Handoff hotspots (reports)"].fields) == {"Support → Finance": "6"}
    assert not any("Not listed" in s.text for s in reply.sections)  # all nine are listed
    assert signals.UTC_WEEKS in sections["Spiking"].text  # the baseline's weeks are said to be UTC weeks


def test_each_pattern_counts_the_same_week_as_the_totals(engine) -> None:  # type: ignore[no-untyped-def]
    """On both databases: the patterns' this-week counts add up to the week's reports, last week's
    to the week before, and a UTC digest of the same data still sees UTC weeks."""
    refund, late = _refunds_and_a_late_problem(engine)
    digests = Digests(engine, TX, k=3)
    d = digests.build(platform="console", tenant="local", audience="all", now=SENT.astimezone(NEW_YORK))
    assert {x.id: x.this_week for x in d.top} == {refund: 6, late: 3} and d.total == 9 and d.other_reports == 0
    assert [x.id for x in d.spiking] == [late] and d.hotspots == {("support", "finance"): 6}
    a_week_later = (SENT + timedelta(weeks=1)).astimezone(NEW_YORK)
    week_after = digests.build(platform="console", tenant="local", audience="all", now=a_week_later)
    assert week_after.total == 0 and week_after.total_prev == 9  # New York: all nine were last week's
    utc = digests.build(platform="console", tenant="local", audience="all", now=SENT)
    assert {x.id: x.this_week for x in utc.top} == {refund: 3} and utc.total == 3
    assert utc.spike_rule == signals.spike_rule(3)  # UTC weeks throughout: nothing to say


def test_the_digest_weeks_follow_on_without_gaps() -> None:
    """This week and last week are local; the weeks before are UTC weeks, the last of them ending where
    last week starts; the moves are the hours between local and UTC Mondays."""
    for zone in ("UTC", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"):
        start, end = digest_week(SENT.astimezone(ZoneInfo(zone)))
        weeks = week_windows(start, end)
        assert [lo for _, lo, _ in weeks[1:]] == [hi for _, _, hi in weeks[:-1]]
        assert weeks[-1][1:] == (start, end) and weeks[-2][1:] == (start - timedelta(days=7), start)
        moved = week_moves(start, end)
        assert bool(moved) is (zone != "UTC")
        assert all(hi - lo < timedelta(hours=15) for lo, hi, _, _ in moved)


def test_a_preview_shows_the_week_the_audiences_subscription_is_sent(demo_services) -> None:  # type: ignore[no-untyped-def]
    """At Monday 09:30 in Sydney the preview showed the week before the one Sydney's digest had just sent."""
    from dataclasses import replace

    from bot.domain import Role

    snag = demo_services.snag
    manager = replace(snag.person("console", "local", "lead"), role=Role.MANAGER)
    monday_sydney = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Australia/Sydney"))  # Sunday 22:30 UTC
    digests = demo_services.extras["digests"]
    before = digests.preview(person=manager, audience=None, now=monday_sydney.astimezone(UTC))
    assert before.title.endswith("2026-W46")  # nobody says where: the default zone (UTC) is still in W47
    subscribe_console(demo_services, "C-syd", timezone="Australia/Sydney")
    after = digests.preview(person=manager, audience=None, now=monday_sydney.astimezone(UTC))
    assert after.title.endswith("2026-W47")  # as the Sydney subscription was sent at 09:00
