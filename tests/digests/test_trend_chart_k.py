"""The trend chart draws a pattern's count of a week only when at least k people reported it that week.

The digest's text reads "from fewer than 3 people" for such a week, but the trend chart (the Slack
upload, the HTML page) plotted every one of the eight weekly counts: a week of four reports from
one person stood on the chart. Now such a week is a gap in the line, with a note under the chart;
the charted patterns' people per week are read in one statement. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from digests import charts
from digests.digest import Audience, Digest, build_digest
from digests.snapshot import load_week_people, reading
from tests.digests import world
from tests.digests.conftest import NOW, make_services

START = datetime(2026, 11, 16, tzinfo=UTC)  # the digest week of NOW: 16-22 Nov
WEEK = timedelta(weeks=1)
# Reporters of "steady" in each week before the digest week's (0: the digest week): three people a
# week, but two last week, four reports of one person three weeks ago, and none five weeks ago.
STEADY = {0: ["s0", "s1", "s2"], 1: ["s0", "s1"], 2: ["s0", "s1", "s2"], 3: ["s0"] * 4, 4: ["s0", "s1", "s2"]}
STEADY |= {5: [], 6: ["s0", "s1", "s2"], 7: ["s0", "s1", "s2"]}
DRAWN = [3, 3, None, 3, None, 3, None, 3]  # oldest first: what the chart may show of STEADY


@pytest.fixture
def services(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Services on SQLite and on the real PostgreSQL."""
    made = make_services(tmp_path, db_url)
    yield made
    made.engine.dispose()


def _world(services: Any, others: int = 0) -> int:
    """ "steady" (STEADY), and `others` patterns of three people in the digest week alone."""
    with Session(services.engine) as session:
        tenant = world.tenant(session)
        steady = world.pattern(session, tenant, "steady", START - 7 * WEEK)
        for ago, who in STEADY.items():
            when = START - ago * WEEK + timedelta(days=2)
            world.reports(session, tenant, steady, [(when + timedelta(hours=i), w) for i, w in enumerate(who)])
        for n in range(others):
            other = world.pattern(session, tenant, f"other {n}", START + timedelta(days=1))
            world.reports(session, tenant, other, [(START + timedelta(days=1, hours=i), f"o{i}") for i in range(3)])
    return steady


def _wired(services: Any) -> Digest:
    """The digest as the service builds it, its snapshot reading the charted patterns' people per
    week (Snapshot.week_people)."""
    digests = services.extras["digests"]
    with reading(services.engine) as conn:
        snap = digests.snapshot(conn, platform="console", tenant="local", audience=Audience("all"), now=NOW)
        snap.week_people = partial(load_week_people, conn, snap.week_start, snap.week_end)
        return build_digest(snap, Audience("all"), digests.taxonomy, k=digests.k)


def _drawn(monkeypatch: pytest.MonkeyPatch, d: Digest) -> tuple[dict[str, list[int | None]], str]:
    """Each line the trend chart draws (by its legend) with its points (None: a gap), and what is under it."""
    figures: list[Any] = []

    def kept(fig: Any) -> bytes:
        figures.append(fig)
        return b"png"

    monkeypatch.setattr(charts, "_png", kept)
    assert charts.trend_png(d) == b"png"
    ax = figures[0].axes[0]
    lines = {line.get_label(): [None if math.isnan(y) else int(y) for y in line.get_ydata()] for line in ax.get_lines()}
    return lines, ax.get_xlabel()


def test_a_week_from_fewer_than_k_people_is_a_gap_in_the_trend(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    steady = _world(services)
    d = _wired(services)
    assert [x.id for x in d.top] == [steady]
    assert d.week_people[steady] == (3, 3, 0, 3, 1, 3, 2, 3)

    lines, note = _drawn(monkeypatch, d)

    assert lines == {f"#{steady} steady": DRAWN}
    assert note == "A gap: a week whose reports came from fewer than 3 people."


def test_the_digest_as_built_never_charts_a_count_its_text_hides(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four reports of one person three weeks ago, two people last week: neither is drawn."""
    steady = _world(services)
    d = services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)

    (points,) = _drawn(monkeypatch, d)[0].values()

    assert points[-1] == 3 and points[-2] is None and points[-4] is None, points
    drawn = {i: n for i, n in enumerate(points) if n is not None}
    assert all(DRAWN[i] == n for i, n in drawn.items()), (steady, points)


def test_the_charted_patterns_people_are_read_in_one_statement(services: Any) -> None:
    steady = _world(services, others=4)
    read: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "AS week, COUNT(DISTINCT reporter_key)" in statement:
            read.append(statement)

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        d = _wired(services)
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)

    assert len(d.top) == 5 and len(d.week_people) == 5 and len(read) == 1
    assert d.week_people[steady] == (3, 3, 0, 3, 1, 3, 2, 3)
    assert all(d.week_people[x.id] == (0,) * 7 + (3,) for x in d.top if x.id != steady)
