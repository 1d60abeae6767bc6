"""Signals with a fixed `now`, anonymity folding, and the digest's renderings."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from digests import signals
from digests.digest import Audience, build_digest, parse_audience
from digests.snapshot import PatternInfo, Snapshot, WeekReport, digest_week
from tests.digests.conftest import NOW
from tests.teams.cards import assert_valid_card


def _pattern(pid: int, first: datetime, **kw) -> PatternInfo:  # type: ignore[no-untyped-def]
    base = dict(
        title=f"pattern {pid}",
        stage="billing",
        kinds=("waiting",),
        teams=("finance",),
        status="new",
        owner=None,
        owner_set_at=None,
        status_changed_at=None,
        first_seen=first,
        last_seen=NOW,
        report_count=10,
    )
    return PatternInfo(pid, **(base | kw))  # type: ignore[arg-type]


def _snapshot() -> Snapshot:
    start, end = digest_week(NOW)
    weeks = tuple((start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(8)))
    history = {
        1: dict(zip(weeks, [0, 0, 0, 1, 1, 1, 1, 6], strict=True)),  # spiking
        2: dict(zip(weeks, [0, 0, 0, 0, 0, 0, 0, 3], strict=True)),  # new
        3: dict(zip(weeks, [0, 0, 0, 0, 2, 0, 3, 2], strict=True)),  # persistent, not spiking
        4: dict(zip(weeks, [0, 0, 0, 4, 4, 3, 3, 1], strict=True)),  # fading
        5: dict(zip(weeks, [0, 0, 0, 0, 0, 0, 0, 1], strict=True)),
    }
    patterns = {
        1: _pattern(1, start - timedelta(weeks=5), owner="Finance"),
        2: _pattern(2, start + timedelta(days=1)),
        3: _pattern(3, start - timedelta(weeks=4)),  # no owner for a month
        4: _pattern(
            4, start - timedelta(weeks=6), status="resolved", status_changed_at=start + timedelta(days=2), owner="IT"
        ),
        5: _pattern(5, start - timedelta(weeks=1), teams=("it",)),  # one reporter only
    }
    reports = [WeekReport(1, f"r{i}", "billing", ("waiting",), ("finance",), "support", "finance") for i in range(6)]
    reports += [WeekReport(2, f"r{i}", "billing", ("handoff",), ("finance",), None, None) for i in range(3)]
    reports += [WeekReport(5, "lonely", "billing", ("waiting",), ("it",), "it", "finance")]
    snap = Snapshot(NOW, start, end, weeks, reports, history, patterns)
    snap.reporters = {1: 6, 2: 3, 3: 4, 4: 5, 5: 1}
    snap.quotes = {1: "refunds wait a week, ring Mr Smith on 07700 900123"}
    return snap


def test_signal_rules() -> None:
    assert signals.is_spiking((0, 0, 0, 1, 1, 1, 1, 6))
    assert not signals.is_spiking((0, 0, 0, 3, 3, 3, 3, 5))  # under 2x its baseline
    assert not signals.is_spiking((0, 0, 0, 0, 0, 0, 0, 2))  # under the minimum
    assert signals.is_persistent((0, 0, 0, 0, 2, 0, 3, 2))
    assert signals.is_fading((0, 0, 0, 4, 4, 3, 3, 1))
    assert "2x" in signals.SPIKE_RULE


def test_digest_sections_with_a_fixed_now(digest_services) -> None:  # type: ignore[no-untyped-def]
    d = build_digest(_snapshot(), Audience("all"), digest_services.taxonomy, k=3)
    assert d.period == "2026-W47"
    assert [x.id for x in d.spiking] == [1]
    assert [x.id for x in d.new] == [2]
    assert 3 in [x.id for x in d.persistent] and 3 in [x.id for x in d.unowned]
    assert [x.id for x in d.fading] == []  # resolved patterns are not 'fading'
    assert [x.id for x in d.resolved] == [4]
    # pattern 5 has one reporter: folded into "other"; so are the reports this week of patterns 3
    # and 4 (two and one), listed but from fewer than 3 people that week
    assert d.other_reports == 1 + 2 + 1
    assert all(x.id != 5 for x in d.top)
    assert d.hotspots == {("support", "finance"): 6} and d.hotspots_other == 1
    assert d.quotes and "07700" not in d.quotes[0][1]


def test_small_audiences_are_suppressed(digest_services) -> None:  # type: ignore[no-untyped-def]
    d = build_digest(_snapshot(), parse_audience("team:it", digest_services.taxonomy), digest_services.taxonomy, k=3)
    assert d.suppressed and not d.top


def test_renderings(demo_services) -> None:  # type: ignore[no-untyped-def]
    from adapters.teams.render import card_for
    from digests.html import to_html
    from digests.render import to_markdown, to_reply

    tx = demo_services.taxonomy
    d = demo_services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.total > 20 and d.top and d.spike_rule
    reply = to_reply(d, tx)
    assert_valid_card(card_for(reply))
    md = to_markdown(d, tx)
    assert md.startswith("# Snag digest") and "## Most reported" in md and signals.SPIKE_RULE in md
    html = to_html(d, tx)
    assert "data:image/png;base64," in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html and "<script" not in html
    assert "demo:" not in html and "key-" not in html  # no reporter ever shown


def test_charts_draw_eight_labelled_weeks_quietly(demo_services, caplog) -> None:  # type: ignore[no-untyped-def]
    import io
    import logging

    from matplotlib.image import imread

    from digests.charts import handoff_png, trend_png

    d = demo_services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)
    caplog.set_level(logging.DEBUG, logger="matplotlib")
    trend = trend_png(d)
    assert trend is not None and trend.startswith(b"\x89PNG")
    height, width, _ = imread(io.BytesIO(trend)).shape
    assert width > height > 100
    if d.hotspots:
        assert (handoff_png(d, demo_services.taxonomy) or b"").startswith(b"\x89PNG")
    # week labels given as strings were parsed as dates, one log line per label and line drawn
    assert [r.getMessage() for r in caplog.records if r.name == "matplotlib.category"] == []


def test_chat_digest_and_queries_after_the_demo(demo_services) -> None:  # type: ignore[no-untyped-def]
    from bot.domain import IncomingMessage

    person = demo_services.snag.person("console", "local", "you")
    reply = demo_services.snag.handle_message(IncomingMessage(person=person, text="digest", channel="console"))
    assert reply.kind == "digest", reply.title
    top = demo_services.snag.handle_message(IncomingMessage(person=person, text="top 90d", channel="console"))
    assert top.kind == "list" and top.sections


def test_a_pattern_whose_owner_was_just_taken_away_is_not_yet_an_unowned_gap(digest_services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    snap = _snapshot()
    snap.patterns[3] = replace(snap.patterns[3], owner=None, owner_set_at=NOW - timedelta(hours=1))
    d = build_digest(snap, Audience("all"), digest_services.taxonomy, k=3)
    assert 3 not in [x.id for x in d.unowned]
    snap.patterns[3] = replace(snap.patterns[3], owner_set_at=NOW - timedelta(days=15))
    d = build_digest(snap, Audience("all"), digest_services.taxonomy, k=3)
    assert 3 in [x.id for x in d.unowned]


def test_small_slices_show_no_counts(digest_services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from digests.render import to_reply

    tx = digest_services.taxonomy
    small = build_digest(_snapshot(), parse_audience("team:it", tx), tx, k=3)
    said = " ".join(s.text for s in to_reply(small, tx).sections)
    undated = re.sub(r"\b\d{1,2}(–\d{1,2})? [A-Z][a-z]{2}( \d{4})?", "", said)  # the week's dates
    assert "stay private" in said and not any(ch.isdigit() for ch in undated.replace("3 people", ""))
    d = replace(build_digest(_snapshot(), Audience("all"), tx, k=3), total_prev=2)
    fields = dict(to_reply(d, tx).sections[0].fields)
    # one person's report is in no listed pattern, and patterns 3 and 4 show no count (their three
    # reports are from fewer than 3 people): an exact 13 beside the 9 shown would give them away,
    # and so would last week's figure beside the lines' own week-on-week changes
    assert fields["Reports"] == "at least 9"
    d = replace(d, total_prev=10)
    assert dict(to_reply(d, tx).sections[0].fields)["Reports"] == "at least 9"


def test_other_counts_every_report_of_the_week_no_section_lists(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import func, select

    from store.db import session_scope
    from store.models import Report

    d = demo_services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)
    listed = {  # the counts shown in their lines (none from fewer than k people)
        x.id: x.shown(d.k)[0] or 0
        for name in ("new", "spiking", "persistent", "fading", "unowned", "resolved", "top")
        for x in getattr(d, name)
    }
    with session_scope(demo_services.engine) as session:
        reporters = dict(
            session.exec(
                select(Report.pattern_id, func.count(func.distinct(Report.reporter_key))).group_by(Report.pattern_id)
            ).all()
        )
        week = session.exec(
            select(Report.pattern_id).where(Report.created_at >= d.week_start, Report.created_at < d.week_end)
        ).all()
    small = sum(1 for pid in week if reporters.get(pid, 0) < 3)
    assert small > 0 and d.other_reports >= small
    assert d.other_reports + sum(listed.values()) == d.total


def test_staff_see_the_digest_without_report_texts(demo_services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.domain import Role

    service = demo_services.extras["digests"]
    staff = replace(demo_services.snag.person("console", "local", "someone"), role=Role.STAFF)
    manager = replace(staff, role=Role.MANAGER)
    seen = service.preview(person=manager, audience="all", now=NOW)
    assert any((s.heading or "").startswith("In their words") for s in seen.sections)
    staff_view = service.preview(person=staff, audience="all", now=NOW)
    assert staff_view.sections and not any((s.heading or "").startswith("In their words") for s in staff_view.sections)
    assert not any(s.text.startswith("“") for s in staff_view.sections)


def test_heat_map_is_a_stage_by_kind_matrix_and_the_chat_list_adds_up(demo_services) -> None:  # type: ignore[no-untyped-def]
    from digests.charts import heat_png
    from digests.html import to_html
    from digests.render import to_reply

    tx = demo_services.taxonomy
    d = demo_services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)
    assert len(d.heat) > 8  # more cells than a chat card lists
    section = next(s for s in to_reply(d, tx).sections if (s.heading or "").startswith("Where it hurts"))
    listed = dict(section.fields)
    assert len(listed) == 9 and sum(int(v) for v in listed.values()) == sum(d.heat.values()) + d.heat_other
    assert (heat_png(d, tx) or b"").startswith(b"\x89PNG")
    assert to_html(d, tx).count("data:image/png;base64,") == 3
