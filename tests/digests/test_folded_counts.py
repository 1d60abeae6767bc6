"""What a digest folds away cannot be worked out from what it prints (on SQLite and PostgreSQL).

A total less the counts listed beside it is the part folded away: the week's total less the
listed patterns, the week before's likewise, a table's cells less those its chart draws. Also here:
a resolved pattern is not "persistent", and the update a reporter gets when an owner is named.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from bot.taxonomy import load_taxonomy
from digests import charts
from digests.digest import Audience, build_digest
from digests.render import to_markdown, to_reply
from digests.service import Digests
from digests.week import digest_week
from tests.digests import world
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot
from tests.digests.test_hearing_back import BEA, CAL, OLDER, file, loop_services, one_pattern, told  # noqa: F401

TX = load_taxonomy()
START, _ = digest_week(NOW)
DAY = START + timedelta(days=2)
LAST_WEEK = DAY - timedelta(days=7)
SEEN = START - timedelta(days=30)
BUSY = {"stage": "onboarding", "kinds": ["waiting"]}


def _digest(engine):  # type: ignore[no-untyped-def]
    return Digests(engine, TX, k=3).build(platform="console", tenant="local", audience="all", now=NOW)


def _summary(d) -> str:  # type: ignore[no-untyped-def]
    return dict(to_reply(d, TX).sections[0].fields)["Reports"]


def _table(d, heading: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(next(s for s in to_reply(d, TX).sections if (s.heading or "").startswith(heading)).fields)


def test_the_weeks_total_does_not_give_away_one_persons_reports(engine) -> None:  # type: ignore[no-untyped-def]
    """Five people's pattern listed with 5 reports, one person's 2 in a pattern of their own: a
    total of 7 less the 5 listed was that person's 2."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(5)], **BUSY)
        alone = world.pattern(s, tenant, "one person's problem", SEEN)
        tags = {"stage": "delivery", "kinds": ["duplicate_entry"]}
        world.reports(s, tenant, alone, [(DAY, "alone"), (DAY + timedelta(hours=1), "alone")], **tags)
    d = _digest(engine)
    assert d.total == 7 and not d.other_countable
    assert _summary(d) == "at least 5"
    assert _table(d, "Where it hurts")["Other"] == "from fewer than 3 people"  # its cells add up to the total
    md = to_markdown(d, TX)
    assert "- **Reports:** at least 5\n" in md
    assert "Not listed: more report(s) this week from fewer than 3 people" in md


def test_the_week_before_is_not_compared_when_it_would_give_away_one_persons_report(engine) -> None:  # type: ignore[no-untyped-def]
    """The listed pattern had 3 reports the week before (its line says so), one person's pattern 1:
    "5 (+1 vs last week)" would have said that the week before was 4, so 1 was that person's."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(5)], **BUSY)
        world.reports(s, tenant, shared, [(LAST_WEEK, f"k{i}") for i in range(3)], **BUSY)
        alone = world.pattern(s, tenant, "one person's problem", SEEN)
        world.reports(s, tenant, alone, [(LAST_WEEK, "alone")], **BUSY)
    d = _digest(engine)
    assert (d.total, d.total_prev) == (5, 4)
    assert _summary(d) == "5"
    assert any("· 5 (+2, +67% vs last week) ·" in line for line in to_markdown(d, TX).splitlines())


def test_the_week_before_is_compared_when_the_listed_patterns_hold_it_all(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(5)], **BUSY)
        world.reports(s, tenant, shared, [(LAST_WEEK, f"k{i}") for i in range(3)], **BUSY)
    assert _summary(_digest(engine)) == "5 (+2, +67% vs last week)"


def test_the_week_before_is_compared_when_what_the_lines_leave_of_it_is_from_k_people(engine) -> None:  # type: ignore[no-untyped-def]
    """Last week's reports outside the listed pattern came from three people (three small patterns
    of one each): the week before's total gives nobody away, and leaders keep their comparison."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(5)], **BUSY)
        world.reports(s, tenant, shared, [(LAST_WEEK, "k0"), (LAST_WEEK, "k1")], **BUSY)
        for n in range(3):
            alone = world.pattern(s, tenant, f"problem {n} of one person", SEEN)
            world.reports(s, tenant, alone, [(LAST_WEEK, f"alone{n}")], **BUSY)
    d = _digest(engine)
    assert (d.total, d.total_prev) == (5, 5)
    assert _summary(d) == "5 (+0, +0% vs last week)"


STAGES, KINDS = ("onboarding", "delivery", "billing"), ("waiting", "handoff", "workaround")
CELLS = [(stage, kind) for stage in STAGES for kind in KINDS]


def _cells_world(engine, small: int, first_count: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Nine stage x kind cells of three people each (the first with `first_count` reports each,
    the others fewer), all in one pattern, and one person's `small` reports in a cell of their own."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "everything", SEEN)
        for n, (stage, kind) in enumerate(CELLS):
            each = first_count if n == 0 else 1
            filed = [(DAY + timedelta(minutes=m), f"p{n}-{i}") for i in range(3) for m in range(each)]
            world.reports(s, tenant, shared, filed, stage=stage, kinds=[kind])
        filed = [(DAY + timedelta(minutes=m), "alone") for m in range(small)]
        world.reports(s, tenant, shared, filed, stage="support", kinds=["duplicate_entry"])


def _drawn(monkeypatch: pytest.MonkeyPatch, draw: Any, d, taxonomy) -> list[list[int]]:  # type: ignore[no-untyped-def]
    grids: list[list[list[int]]] = []
    monkeypatch.setattr(charts, "_matrix_png", lambda grid, *a, **kw: grids.append(grid) or b"png")
    assert draw(d, taxonomy) == b"png"
    return grids[0]


def test_the_heat_chart_draws_only_what_its_table_lists(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Table: 8 cells and "Other | 5" (the ninth cell's 3 and one person's 2); a chart drawing the
    ninth cell too gave away the 2."""
    _cells_world(engine, small=2)
    d = _digest(engine)
    table = _table(d, "Where it hurts")
    assert len(table) == 9 and table["Other"] == "5"
    drawn = sorted(n for row in _drawn(monkeypatch, charts.heat_png, d, TX) for n in row if n)
    assert drawn == sorted(int(v) for cell, v in table.items() if cell != "Other")
    assert sum(drawn) + 5 == d.total


def test_a_table_adding_up_to_the_total_counts_other_with_k_people(engine) -> None:  # type: ignore[no-untyped-def]
    """Two cells of three people and one person's 2 in a cell of their own, all in one listed
    pattern: the total shown less the two cells would be that person's 2, so the smaller cell joins them."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "everything", SEEN)
        world.reports(s, tenant, shared, [(DAY + timedelta(minutes=m), f"a{m % 3}") for m in range(6)], **BUSY)
        world.reports(s, tenant, shared, [(DAY, f"b{i}") for i in range(3)], stage="delivery", kinds=["handoff"])
        world.reports(s, tenant, shared, [(DAY, "alone"), (DAY, "alone")], stage="support", kinds=["shadow_system"])
    d = _digest(engine)
    assert _summary(d) == "11 (none the week before)"
    assert _table(d, "Where it hurts") == {"Onboarding · Waiting": "6", "Other": "5"}


def test_the_handoff_chart_draws_only_what_its_table_lists(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    teams = ("support", "finance", "it", "sales")
    pairs = [(a, b) for a in teams for b in teams if a != b][:9]
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "handoffs", SEEN)
        for n, (a, b) in enumerate(pairs):
            world.reports(s, tenant, shared, [(DAY, f"h{n}-{i}") for i in range(3)], handoff_from=a, handoff_to=b)
        world.reports(s, tenant, shared, [(DAY, "alone")] * 2, handoff_from="compliance", handoff_to="digital")
    d = _digest(engine)
    table = _table(d, "Handoff hotspots")
    assert table["Other"] == "5"
    drawn = [n for row in _drawn(monkeypatch, charts.handoff_png, d, TX) for n in row if n]
    assert len(drawn) == 8 and sum(drawn) == sum(int(v) for cell, v in table.items() if cell != "Other")


def test_a_resolved_pattern_is_not_persistent(engine) -> None:  # type: ignore[no-untyped-def]
    """Reported three of the last four weeks, resolved this week with none: under "You said, we did" alone."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        done = world.pattern(s, tenant, "invoices bounce", SEEN, status="resolved", status_changed_at=DAY)
        for weeks in (1, 2, 3):
            world.reports(s, tenant, done, [(DAY - timedelta(weeks=weeks), f"r{i}") for i in range(3)], **BUSY)
        world.reports(s, tenant, world.pattern(s, tenant, "refunds", SEEN), [(DAY, f"k{i}") for i in range(3)])
    d = _digest(engine)
    assert [x.id for x in d.resolved] == [done]
    assert done not in [x.id for x in d.persistent]
    assert "Persistent" not in to_markdown(d, TX)
    python = build_digest(_snapshot(), Audience("all"), TX, k=3)  # pattern 4: resolved, 3 of the last 4 weeks
    assert [x.id for x in python.resolved] == [4] and 4 not in [x.id for x in python.persistent]


def test_an_owner_named_for_a_new_pattern_is_not_nobody(loop_services) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for n, (user, text) in enumerate([("ann", OLDER), ("bea", BEA), ("cal", CAL)]):
        file(loop_services, user, text, n)
    updates = told(loop_services, one_pattern(loop_services, "new", owner="Sales ops"))
    for reply in updates.values():
        said = reply.plain_text()
        assert "Status: received" in said and "Owner: Sales ops" in said
        assert "Nobody has picked it up" not in said
        assert "Sales ops will look after it" in said


def _alone_in_cells(engine, cells: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """One person's report in each of `cells`, a different person each, in a pattern three share."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "odd ones", SEEN)
        for n, (stage, kind) in enumerate(cells):
            world.reports(s, tenant, shared, [(DAY, f"odd{n}")], stage=stage, kinds=[kind])


# The heat and handoff charts draw exactly what their tables list, however many cells have k
# people: tests/digests/test_chart_matches_table.py.


def test_the_heat_chart_does_not_add_up_to_a_total_not_told(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One person's 2 reports in a pattern of their own but a cell of k people: every cell drawn
    would add up to the week's 35, less the 33 listed."""
    _cells_world(engine, small=0)
    with Session(engine) as s:
        tenant = world.tenant(s)
        alone = world.pattern(s, tenant, "one person's problem", SEEN)
        world.reports(s, tenant, alone, [(DAY, "alone"), (DAY, "alone")], stage="billing", kinds=["waiting"])
    d = _digest(engine)
    assert d.heat_other == 0 and d.heat_add_up and not d.total_countable and _summary(d) == "at least 33"
    drawn = [n for row in _drawn(monkeypatch, charts.heat_png, d, TX) for n in row if n]
    assert len(drawn) == 8 and sum(drawn) != d.total


def test_a_pattern_is_shown_for_its_week_only_with_k_people_by_the_weeks_end(engine) -> None:  # type: ignore[no-untyped-def]
    """Two people's new pattern last week, a third person's report today: the week's digest (built
    today) listed it under New this week, so anyone comparing it with yesterday's preview learnt that
    today's one report was in it. People count as of the week's end."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(5)], **BUSY)
        new = world.pattern(s, tenant, "badge printer offline", DAY)
        tags = {"stage": "delivery", "kinds": ["system_failure"]}
        world.reports(s, tenant, new, [(DAY, "ana"), (DAY + timedelta(hours=1), "ben")], **tags)
        world.reports(s, tenant, new, [(NOW - timedelta(hours=1), "cat")], **tags)  # after the week's end
    md = to_markdown(_digest(engine), TX)
    assert "refunds wait" in md
    assert "badge printer" not in md.lower()
