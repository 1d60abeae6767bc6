"""A table's chart draws exactly the cells the table lists, and the stage x kind table says how it counts.

The table lists its MAX_CELLS busiest cells and counts the rest under "Other"; the chart drew
every cell of k people as well, so a head of operations saw a ninth square the table had put
under "Other", under a caption saying "what the table counts under Other is left out". And a
report of several kinds counts in each of its stage x kind cells, so the cells add up to more
than the week's reports: every rendering says so under the table (on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from adapters.slack.render import blocks
from adapters.teams.render import card_for
from digests import charts
from digests.html import to_html
from digests.render import HEAT_NOTE, MAX_CELLS, to_markdown, to_reply
from tests.digests import world
from tests.digests.conftest import NOW
from tests.digests.test_folded_counts import DAY, SEEN, TX, _alone_in_cells, _cells_world, _digest, _table


def _chart(monkeypatch: pytest.MonkeyPatch, draw: Any, d, arrow: str) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    """The cells a chart draws, named as its table names them, and its title."""
    drawn: list[tuple[dict[str, str], str]] = []

    def matrix(grid, rows, cols, *, x, y, title):  # type: ignore[no-untyped-def]
        cells = {f"{rows[i]}{arrow}{cols[j]}": str(n) for i, row in enumerate(grid) for j, n in enumerate(row) if n}
        drawn.append((cells, title))
        return b"png"

    monkeypatch.setattr(charts, "_matrix_png", matrix)
    assert draw(d, TX) == b"png"
    return drawn[0]


def _listed(table: dict[str, str]) -> dict[str, str]:
    return {name: n for name, n in table.items() if name != "Other"}


def test_the_heat_chart_leaves_out_the_cell_its_table_counts_under_other(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Nine cells of three people: the table lists eight and "Other | 3"; the chart drew nine."""
    _cells_world(engine, small=0)
    d = _digest(engine)
    table = _table(d, "Where it hurts")
    assert len(d.heat) == MAX_CELLS + 1 and table["Other"] == "3"
    drawn, title = _chart(monkeypatch, charts.heat_png, d, " · ")
    assert drawn == _listed(table)
    assert "what the table counts under Other is left out" in title


def test_the_heat_chart_matches_its_table_when_the_folded_cells_are_from_k(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _cells_world(engine, small=0)
    _alone_in_cells(engine, [("support", "duplicate_entry"), ("support", "shadow_system"), ("billing", "rework")])
    d = _digest(engine)
    table = _table(d, "Where it hurts")
    assert d.heat_other_countable and table["Other"] == "6"
    drawn, title = _chart(monkeypatch, charts.heat_png, d, " · ")
    assert drawn == _listed(table) and "left out" in title


def test_a_table_of_few_cells_is_drawn_whole_without_the_caption(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(3)], stage="billing", kinds=["waiting"])
    d = _digest(engine)
    drawn, title = _chart(monkeypatch, charts.heat_png, d, " · ")
    assert drawn == _table(d, "Where it hurts") == {"Billing · Waiting": "3"}
    assert "left out" not in title


def test_the_handoff_chart_leaves_out_the_cell_its_table_counts_under_other(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    teams = ("support", "finance", "it", "sales")
    pairs = [(a, b) for a in teams for b in teams if a != b][: MAX_CELLS + 1]
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "handoffs", SEEN)
        for n, (a, b) in enumerate(pairs):
            world.reports(s, tenant, shared, [(DAY, f"h{n}-{i}") for i in range(3)], handoff_from=a, handoff_to=b)
    d = _digest(engine)
    table = _table(d, "Handoff hotspots")
    assert len(d.hotspots) == MAX_CELLS + 1 and table["Other"] == "3"
    drawn, title = _chart(monkeypatch, charts.handoff_png, d, " → ")
    assert drawn == _listed(table) and "left out" in title


def test_the_demo_digests_charts_draw_what_their_tables_list(demo_services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    d = demo_services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)
    assert len(d.heat) > MAX_CELLS
    table = _table(d, "Where it hurts")
    drawn, title = _chart(monkeypatch, charts.heat_png, d, " · ")
    assert drawn == _listed(table) and len(drawn) == MAX_CELLS and "left out" in title


def test_every_rendering_says_a_report_of_several_kinds_counts_in_each(engine) -> None:  # type: ignore[no-untyped-def]
    """Three reports, each of two kinds: the table's cells hold 6, the week 3."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "refunds wait", SEEN)
        filed = [(DAY + timedelta(minutes=i), f"k{i}") for i in range(3)]
        world.reports(s, tenant, shared, filed, stage="billing", kinds=["waiting", "rework"])
    d = _digest(engine)
    table = _table(d, "Where it hurts")
    assert d.total == 3 and sum(int(n) for n in table.values()) == 6
    assert "several kinds" in HEAT_NOTE and "more than the week's reports" in HEAT_NOTE
    reply = to_reply(d, TX)
    [heat] = [s for s in reply.sections if (s.heading or "").startswith("Where it hurts")]
    assert heat.text == HEAT_NOTE
    markdown = to_markdown(d, TX)
    assert f"_{HEAT_NOTE}_" in markdown
    assert markdown.index("| Billing · Waiting | 3 |") < markdown.index(HEAT_NOTE)
    assert HEAT_NOTE in str(blocks(reply))
    assert HEAT_NOTE in str(card_for(reply))
    html = to_html(d, TX, charts=False)
    assert f'<li class="rule">{HEAT_NOTE.replace(chr(39), "&#x27;")}</li>' in html


def test_the_handoff_table_has_no_such_note(engine) -> None:  # type: ignore[no-untyped-def]
    """A report names one handoff, so that table's cells add up as they read."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        shared = world.pattern(s, tenant, "handoffs", SEEN)
        world.reports(s, tenant, shared, [(DAY, f"k{i}") for i in range(3)], handoff_from="it", handoff_to="sales")
    [hotspots] = [s for s in to_reply(_digest(engine), TX).sections if s.heading == "Handoff hotspots (reports)"]
    assert hotspots.text == ""
