"""`top` and `stats` counted in SQL, on SQLite and PostgreSQL: patterns and labels with fewer than k
distinct reporters fold into one "other" slice, whose reports and people are counted exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.commands import QueryFilters
from bot.domain import Person, Platform
from store.models import Pattern, Report
from store.repository import SqlRepository

ALICE = Person(Platform.SLACK, "T1", "U1")
OTHER_TENANT = Person(Platform.SLACK, "T2", "U2")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = QueryFilters(since=NOW - timedelta(days=7), days=7)


@dataclass(frozen=True)
class Filed:
    """Reports one person filed into one pattern (by title), with their tags."""

    reporter: str
    pattern: str
    count: int = 1
    stage: str | None = "billing"
    kinds: list[str] = field(default_factory=lambda: ["waiting"])
    teams: list[str] = field(default_factory=lambda: ["finance"])
    days_ago: int = 1


def file(engine, filed: list[Filed], person: Person = ALICE) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Store the reports, each in the pattern of its title; return the patterns' ids by title."""
    repo = SqlRepository(engine)
    with repo.session() as s:
        tenant_id = repo._tenant(s, person).id
        patterns = {f.pattern: Pattern(tenant_id=tenant_id, title=f.pattern) for f in filed}
        s.add_all(patterns.values())
        s.flush()
        for f in filed:
            patterns[f.pattern].report_count += f.count
            s.add_all(
                Report(
                    tenant_id=tenant_id,  # type: ignore[arg-type]
                    platform=person.platform,
                    reporter_key=f.reporter,
                    text="refunds wait a week",
                    created_at=NOW - timedelta(days=f.days_ago),
                    stage=f.stage,
                    kinds=f.kinds,
                    teams=f.teams,
                    pattern_id=patterns[f.pattern].id,
                )
                for _ in range(f.count)
            )
        return {title: p.id for title, p in patterns.items()}  # type: ignore[misc]


def test_top_ranks_only_patterns_with_k_reporters_and_counts_every_other_report(engine) -> None:  # type: ignore[no-untyped-def]
    # 31 patterns of one reporter each, 140 reports, all busier than the one pattern three people share
    solo = [Filed(f"solo{i}", f"solo {i}", count=5 if i < 16 else 4) for i in range(31)]
    ids = file(engine, solo + [Filed(f"u{i}", "shared") for i in range(3)])
    shown, other = SqlRepository(engine).ranked_patterns(person=ALICE, filters=WEEK, k=3)
    assert [(p.id, p.recent_count, p.reporter_count) for p in shown] == [(ids["shared"], 3, 3)]
    assert other == (140, 31)


def test_the_other_slice_counts_people_once_however_many_patterns_they_are_in(engine) -> None:  # type: ignore[no-untyped-def]
    file(engine, [Filed("pat", f"small {i}", count=2) for i in range(4)] + [Filed("sam", "small 0")])
    assert SqlRepository(engine).ranked_patterns(person=ALICE, filters=WEEK, k=3) == ([], (9, 2))


def test_top_shows_limit_patterns_busiest_first_and_folds_none_of_the_rest(engine) -> None:  # type: ignore[no-untyped-def]
    filed = [Filed(f"{who}{i}", f"p{i}", count=1 + i % 4) for i in range(12) for who in "abc"]
    ids = file(engine, filed + [Filed("solo", "small")])
    shown, other = SqlRepository(engine).ranked_patterns(person=ALICE, filters=WEEK, k=3, limit=10)
    expected = sorted(((ids[f"p{i}"], 3 * (1 + i % 4)) for i in range(12)), key=lambda x: (-x[1], x[0]))[:10]
    assert [(p.id, p.recent_count) for p in shown] == expected
    assert other == (1, 1)  # patterns past the limit are not "fewer than k reporters"


def test_top_counts_within_the_window_filters_and_tenant(engine) -> None:  # type: ignore[no-untyped-def]
    ids = file(
        engine,
        [Filed("wh", "dock", count=5, teams=["warehouse"], kinds=["handoff"], stage="fulfilment")]
        + [Filed(f"f{i}", "refunds", count=2) for i in range(3)]
        + [Filed(f"old{i}", "dock", days_ago=30, teams=["warehouse"]) for i in range(3)]
        + [Filed(f"x{i}", "mixed", teams=["finance", "warehouse"]) for i in range(3)],
    )
    file(engine, [Filed(f"t{i}", "elsewhere", teams=["warehouse"]) for i in range(3)], person=OTHER_TENANT)
    repo = SqlRepository(engine)

    def top(**filters: str) -> tuple[list[tuple[int, int]], tuple[int, int]]:
        shown, other = repo.ranked_patterns(person=ALICE, filters=QueryFilters(since=WEEK.since, **filters), k=3)
        return [(p.id, p.recent_count) for p in shown], other

    assert top(team="warehouse") == ([(ids["mixed"], 3)], (5, 1))
    assert top(kind="handoff") == top(stage="fulfilment") == ([], (5, 1))
    assert top(team="finance") == ([(ids["refunds"], 6), (ids["mixed"], 3)], (0, 0))
    assert top() == ([(ids["refunds"], 6), (ids["mixed"], 3)], (5, 1))
    assert repo.ranked_patterns(person=OTHER_TENANT, filters=WEEK, k=4) == ([], (3, 3))
    assert repo.ranked_patterns(person=Person(Platform.SLACK, "T9", "U9"), filters=WEEK, k=3) == ([], (0, 0))


def test_stats_fold_labels_under_k_reporters_into_one_slice_counted_in_sql(engine) -> None:  # type: ignore[no-untyped-def]
    file(
        engine,
        [Filed(f"b{i}", "refunds", count=2) for i in range(3)]
        + [Filed("s1", "tickets", count=4, stage="support", kinds=["workaround", "rework"], teams=["it"])]
        + [Filed("s2", "tickets", count=3, stage="support", kinds=["rework"], teams=["it", "legal"])]
        + [Filed("gone", "tickets", days_ago=40, stage="support")],
    )
    stats = SqlRepository(engine).stats(person=ALICE, since=NOW - timedelta(days=30), k=3)
    assert stats["reports"] == 13
    assert stats["stage"] == {"billing": (6, 3), "support": (7, 2)}
    assert stats["kind"] == {"waiting": (6, 3), "workaround": (4, 1), "rework": (7, 2)}
    assert stats["team"] == {"finance": (6, 3), "it": (7, 2), "legal": (3, 1)}
    # a report in two folded kinds or teams is one report of the slice, by one person
    assert stats["other"] == {"stage": (7, 2), "kind": (7, 2), "team": (7, 2)}


def test_stats_other_slice_reaches_k_people_across_labels(engine) -> None:  # type: ignore[no-untyped-def]
    file(engine, [Filed(f"p{i}", "misc", teams=[f"team{i}"], stage=None, kinds=[]) for i in range(4)])
    stats = SqlRepository(engine).stats(person=ALICE, since=NOW - timedelta(days=30), k=3)
    assert stats["stage"] == stats["kind"] == {}
    assert stats["other"] == {"team": (4, 4)}
