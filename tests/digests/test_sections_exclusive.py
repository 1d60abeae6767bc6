"""A pattern is listed under Persistent or under Fading, never both: fading wins (on SQLite and PostgreSQL).

Weekly counts 3, 1, 2, 1 after a busy month meet both counts rules as first written (reported in
3 of the last 4 weeks; averaged at least 2 a week and fell to half of that): the digest printed
the same pattern as "Persistent" and as "Fading". Fading says what this week changed, so it is
where the pattern goes; Persistent's rule, in Python, in SQL and in its printed title, says "not fading".
"""

from __future__ import annotations

from datetime import timedelta
from itertools import product

from sqlmodel import Session

from bot.taxonomy import load_taxonomy
from digests import signals
from digests.digest import Audience, build_digest
from digests.render import SECTION_TITLES, to_markdown, to_reply
from digests.service import Digests
from digests.snapshot import Snapshot, WeekReport, digest_week
from tests.digests import world
from tests.digests.conftest import NOW
from tests.digests.test_digest import _pattern

TX = load_taxonomy()
START, END = digest_week(NOW)
BOTH = (0, 0, 0, 3, 3, 1, 2, 1)  # 3, 1, 2, 1 in the last four weeks, after a week of 3
STEADY = (0, 0, 0, 0, 2, 0, 3, 2)  # persistent and not fading


def test_counts_that_fade_are_not_persistent() -> None:
    assert signals.is_fading(BOTH)
    assert not signals.is_persistent(BOTH)
    assert signals.is_persistent(STEADY) and not signals.is_fading(STEADY)


def test_no_weekly_counts_are_both_persistent_and_fading() -> None:
    """Every series of weekly counts 0 to 3 over the five weeks the two rules read."""
    for tail in product(range(4), repeat=5):
        counts = (0, 0, 0, *tail)
        assert not (signals.is_persistent(counts) and signals.is_fading(counts)), counts


def test_the_printed_rule_says_persistent_is_not_fading() -> None:
    title = SECTION_TITLES["persistent"]
    assert f"{signals.PERSIST_N} of the last {signals.PERSIST_M} weeks" in title and "not fading" in title
    assert "not fading" in (signals.__doc__ or "").split("- persistent:")[1].split("\n-")[0]


def test_the_sql_rule_for_persistent_leaves_fading_out() -> None:
    source, condition, rest = signals.SQL_RULES["persistent"]
    fading = signals.SQL_RULES["fading"][1]
    assert source == "counts" and f"NOT ({fading})" in condition
    assert rest == signals.SQL_RULES["fading"][2]  # both are for open patterns alone


def _snapshot() -> Snapshot:
    weeks = tuple((START.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(8)))
    history = {1: dict(zip(weeks, BOTH, strict=True)), 2: dict(zip(weeks, STEADY, strict=True))}
    patterns = {pid: _pattern(pid, START - timedelta(weeks=6), owner="IT") for pid in history}
    reports = [
        WeekReport(pid, f"r{i}", "billing", ("waiting",), ("it",), None, None) for pid in (1, 2) for i in range(3)
    ]
    snap = Snapshot(NOW, START, END, weeks, reports, history, patterns)
    snap.reporters = {1: 5, 2: 5}
    return snap


def test_a_fading_pattern_is_listed_under_fading_alone_in_python() -> None:
    d = build_digest(_snapshot(), Audience("all"), TX, k=3)
    assert [x.id for x in d.fading] == [1]
    assert [x.id for x in d.persistent] == [2]


def _week(weeks_ago: int) -> list:  # type: ignore[type-arg]
    return [START + timedelta(days=2) - timedelta(weeks=weeks_ago)]


def test_a_fading_pattern_is_listed_under_fading_alone_by_the_service(engine) -> None:  # type: ignore[no-untyped-def]
    """The service's SQL rules pick the sections; the digest and its Markdown list the pattern once."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        ids = {}
        for name, counts in (("fading", BOTH), ("steady", STEADY)):
            pid = world.pattern(s, tenant, f"{name} pattern", START - timedelta(weeks=8), owner="IT")
            ids[name] = pid
            for weeks_ago, n in enumerate(reversed(counts)):
                filed = [(day + timedelta(minutes=m), f"{name}{m % 3}") for day in _week(weeks_ago) for m in range(n)]
                world.reports(s, tenant, pid, filed, stage="billing", kinds=["waiting"])
    d = Digests(engine, TX, k=1).build(platform="console", tenant="local", audience="all", now=NOW)
    assert [x.counts for x in d.fading] == [BOTH]
    assert [x.id for x in d.fading] == [ids["fading"]]
    assert [x.id for x in d.persistent] == [ids["steady"]]
    assert d.sizes["persistent"] == 1 and d.sizes["fading"] == 1
    headings = {s.heading: s.text for s in to_reply(d, TX).sections}
    listed = [h for h, text in headings.items() if f"#{ids['fading']} " in text and h in SECTION_TITLES.values()]
    assert listed == [SECTION_TITLES["fading"]]
    assert to_markdown(d, TX).count(f"#{ids['fading']} fading pattern") == 2  # under Fading and Most reported
