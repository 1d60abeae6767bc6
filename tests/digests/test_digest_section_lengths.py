"""Sections list the best patterns that may be shown, and say when more meet their rule.

A section ranks only patterns with at least k reporters: busier patterns from one or two people
no longer push a shown pattern out of it. A section stopped at MAX_LINES says "…and N more"
(counting only patterns with at least k reporters) in every rendering.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.taxonomy import load_taxonomy
from digests.digest import MAX_LINES, MOST, Audience, build_digest
from digests.render import to_markdown, to_reply
from digests.service import Digests
from digests.week import digest_week
from tests.digests import world
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot

TX = load_taxonomy()
START, END = digest_week(NOW)


def _build(engine, k: int = 3):  # type: ignore[no-untyped-def]
    return Digests(engine, TX, k=k).build(platform="console", tenant="local", audience="all", now=NOW)


def test_single_reporter_patterns_do_not_hide_a_pattern_with_enough_reporters(engine) -> None:  # type: ignore[no-untyped-def]
    """11 new patterns of 4 reports from one person each rank above a new pattern of 3 reports from 3 people."""
    day = START + timedelta(days=2)
    with Session(engine) as s:
        tenant = world.tenant(s)
        for i in range(11):
            solo = world.pattern(s, tenant, f"solo {i}", day)
            world.reports(s, tenant, solo, [(day + timedelta(hours=h), f"solo{i}") for h in range(4)])
        shared = world.pattern(s, tenant, "shared", day)
        world.reports(s, tenant, shared, [(day, "a"), (day, "b"), (day, "c")])
    d = _build(engine)
    assert [x.id for x in d.new] == [shared] and [x.id for x in d.top] == [shared]
    assert d.sizes["new"] == 1 and d.sizes["top"] == 1  # the eleven are not counted either
    assert d.other_reports == 44 and d.other_countable  # from eleven people: counted


def _gaps(engine) -> list[int]:  # type: ignore[no-untyped-def]
    """Seven unowned patterns (a month old, reported this week by three people each) and a busier
    unowned one from a single person."""
    month_ago = START - timedelta(days=30)
    ids = []
    with Session(engine) as s:
        tenant = world.tenant(s)
        lonely = world.pattern(s, tenant, "one person's gap", month_ago)
        world.reports(s, tenant, lonely, [(START + timedelta(hours=h), "solo") for h in range(20)])
        for i in range(7):
            gap = world.pattern(s, tenant, f"gap {i}", month_ago)
            filed = [(START + timedelta(days=1, hours=h), f"k{h % 3}") for h in range(10 - i)]
            world.reports(s, tenant, gap, filed)
            ids.append(gap)
    return ids


def test_a_section_stopped_at_max_lines_says_how_many_more(engine) -> None:  # type: ignore[no-untyped-def]
    from adapters.slack.render import blocks
    from adapters.teams.render import card_for
    from digests.html import to_html

    gaps = _gaps(engine)
    d = _build(engine)
    assert [x.id for x in d.unowned] == gaps[:MAX_LINES] and d.sizes["unowned"] == 7
    assert [x.id for x in d.top] == gaps[:MAX_LINES] and d.sizes["top"] == 7  # the lonely one is not counted
    reply = to_reply(d, TX)
    unowned = next(s for s in reply.sections if (s.heading or "").startswith("Nobody owns this gap"))
    assert unowned.text.split("\n")[-1] == "…and 2 more"
    renderings = {
        "markdown": to_markdown(d, TX),
        "html": to_html(d, TX, charts=False),
        "block kit": str(blocks(reply)),
        "adaptive card": str(card_for(reply)),
    }
    for name, text in renderings.items():
        assert text.count("…and 2 more") == 3, name  # spiking, unowned and most reported
    fewer = _build(engine, k=4)  # no pattern has four reporters: nothing listed, nothing counted
    assert not fewer.unowned and not fewer.sizes.get("unowned") and "…and" not in to_markdown(fewer, TX)


def test_a_full_list_says_nothing_more_and_a_capped_count_says_at_least() -> None:
    d = build_digest(_snapshot(), Audience("all"), TX, k=3)
    # pattern 5 has one reporter, and patterns 3 and 4 fewer than 3 this week: neither listed nor counted
    assert d.sizes["top"] == len(d.top) == 2
    assert "…and" not in to_markdown(d, TX)
    many = replace(d, sizes=d.sizes | {"top": MOST})
    most = next(s for s in to_reply(many, TX).sections if s.heading == "Most reported")
    assert most.text.split("\n")[-1] == f"…and at least {MOST - 2} more"


def test_a_week_in_another_zone_counts_sections_alike(engine) -> None:  # type: ignore[no-untyped-def]
    """The same sizes whether the digest week is read in UTC or, with every report mid-week, in Auckland."""
    from zoneinfo import ZoneInfo

    _gaps(engine)
    utc = _build(engine)
    auckland = NOW.astimezone(ZoneInfo("Pacific/Auckland"))
    there = Digests(engine, TX, k=3).build(platform="console", tenant="local", audience="all", now=auckland)
    assert there.sizes == utc.sizes and [x.id for x in there.unowned] == [x.id for x in utc.unowned]
    assert datetime(2026, 11, 16, tzinfo=UTC) - there.week_start.astimezone(UTC) == timedelta(hours=13)
