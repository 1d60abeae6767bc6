"""`top` and `stats`: the "other" line shows how many reports it folds only when at least k
distinct people wrote them (the export's rule), however many reports those are."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import listings
from bot.commands import QueryFilters
from bot.domain import PatternSummary
from bot.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TAXONOMY = load_taxonomy()
WEEK = QueryFilters(since=NOW, days=7, team="warehouse")


def pattern(pid: int, *, reports: int, reporters: int) -> PatternSummary:
    return PatternSummary(
        id=pid,
        title=f"pattern {pid}",
        stage=None,
        kinds=(),
        teams=(),
        status="new",
        owner=None,
        report_count=reports,
        reporter_count=reporters,
        first_seen=NOW,
        last_seen=NOW,
        recent_count=reports,
    )


def texts(reply) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.heading or s.text for s in reply.sections]


def test_top_counts_the_other_slice_when_k_people_wrote_it() -> None:
    reply = listings.top([pattern(32, reports=3, reporters=3)], WEEK, TAXONOMY, k=3, other=(140, 31))
    assert texts(reply) == ["#32 pattern 32", "Other: 140 reports in patterns with fewer than 3 reporters."]


def test_top_does_not_count_many_reports_from_fewer_than_k_people() -> None:
    reply = listings.top([], WEEK, TAXONOMY, k=3, other=(5, 1))
    assert texts(reply) == ["Nothing here with 3 or more people reporting yet."]  # as when nobody reported


def test_top_counts_no_folded_reports_of_fewer_than_k_people() -> None:
    folded = [pattern(1, reports=5, reporters=2), pattern(2, reports=4, reporters=2)]
    reply = listings.top(folded, WEEK, TAXONOMY, k=3, other=(9, 2))
    assert texts(reply) == texts(listings.top([], WEEK, TAXONOMY, k=3, other=(0, 0)))  # as when nobody reported


def test_stats_count_a_folded_slice_only_when_k_people_wrote_it() -> None:
    data = {
        "reports": 20,
        "stage": {"billing": (6, 3), "support": (7, 2)},
        "kind": {"waiting": (9, 4), "rework": (4, 2), "workaround": (3, 1)},
        "team": {"finance": (6, 3), "it": (7, 2)},
        "other": {"stage": (7, 2), "kind": (6, 3)},
    }
    fields = {s.heading: dict(s.fields) for s in listings.stats(data, TAXONOMY, k=3).sections if s.heading}
    assert fields["By stage"]["Other"] == "reports from fewer than 3 people"
    assert fields["By kind"]["Other"] == "6"  # rework and workaround: three people, one in both
    assert fields["By team"]["Other"] == "reports from fewer than 3 people"  # no slice given: not counted
    assert "7" not in fields["By stage"].values()


def test_folded_reports_count_people_not_reports() -> None:
    assert listings.folded_reports(5, 2, 3) is None and listings.folded_reports(2, 3, 3) == "2"


def test_folded_count_still_counts_reports_for_its_other_callers() -> None:
    assert (listings.folded_count(5, 3), listings.folded_count(2, 3)) == ("5", "fewer than 3")
