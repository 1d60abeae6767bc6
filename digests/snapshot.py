"""What a digest reads from the database for one audience: the week's figures and the patterns it can show.

Everything that needs every report of the week, or every pattern counted lately, is aggregated in
SQL (one pass over the week's reports; one over eight weeks of per-pattern counts), so Python only
sees folded cell counts and the few dozen patterns that can make a section.

The Snapshot is defined here, and the reading is imported from here; it lives in digests.week (the
week and its rows), digests.reading (the connection, shared SQL, per-pattern lookups),
digests.figures (the week's figures) and digests.ranked (each section's patterns).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from digests.figures import load_figures
from digests.ranked import RankedPattern, load_ranked
from digests.reading import (
    Bind,
    load_owners,
    load_reporters,
    load_reporters_outside,
    load_week_people,
    reading,
    tenant_id_of,
)
from digests.week import (
    HISTORY_WEEKS,
    AudienceLike,
    Cells,
    PatternInfo,
    WeekFigures,
    WeekReport,
    digest_week,
    mondays_before,
)

__all__ = [
    "WeekReport",
    "PatternInfo",
    "RankedPattern",
    "WeekFigures",
    "Snapshot",
    "digest_week",
    "mondays_before",
    "load_figures",
    "load_ranked",
    "load_owners",
    "load_reporters",
    "load_reporters_outside",
    "load_week_people",
    "tenant_id_of",
    "reading",
    "AudienceLike",
    "Bind",
    "Cells",
    "HISTORY_WEEKS",
]


@dataclass
class Snapshot:
    """What a digest is built from.

    Either everything (the week's `reports` and every pattern with its weekly counts in the
    digest's own weeks, as tests build it by hand), or, as the service reads it, one audience's
    `figures` counted in SQL, only the patterns a section shows (with their counts in `history`),
    how many patterns meet each section's rule (`sizes`), a way to count the reporters of the
    week's reports outside some patterns (`outside`), and one to count some patterns' reporters
    in each of the eight weeks (`week_people`)."""

    now: datetime
    week_start: datetime
    week_end: datetime
    weeks: tuple[str, ...]  # Mondays, oldest first; the last is the digest's week
    reports: list[WeekReport]
    history: dict[int, dict[str, int]]  # pattern id -> Monday -> reports
    patterns: dict[int, PatternInfo]
    reporters: dict[int, int] = field(default_factory=dict)  # pattern id -> distinct reporters, all time
    quotes: dict[int, str] = field(default_factory=dict)
    figures: WeekFigures | None = None
    sizes: dict[str, int] | None = None  # section -> patterns with at least k reporters meeting its rule (up to MOST)
    outside: Callable[[Collection[int]], int] | None = None  # the week's reporters outside these patterns, up to k
    outside_prev: Callable[[Collection[int]], int] | None = None  # the same for the week before, reports in patterns
    # Some patterns' distinct reporters in each of `weeks` (oldest first), read in one statement
    # (load_week_people): the trend chart draws a week's count only when k people made it.
    week_people: Callable[[Collection[int]], dict[int, tuple[int, ...]]] | None = None
    prev_reports: list[WeekReport] = field(default_factory=list)  # built by hand: the week before's reports
    _people: dict[int, tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    def people_of(self, p: PatternInfo) -> tuple[int, int]:
        """A pattern's distinct reporters in the digest week and in the week before: as the service
        read them with the pattern (RankedPattern), else counted from the reports of a snapshot
        built by hand (`reports` and `prev_reports`)."""
        if isinstance(p, RankedPattern):
            return p.people
        if self._people is None:
            weeks: dict[int, tuple[set[str], set[str]]] = {}
            for i, reports in enumerate((self.reports, self.prev_reports)):
                for r in reports:
                    if r.pattern_id is not None:
                        weeks.setdefault(r.pattern_id, (set(), set()))[i].add(r.reporter)
            self._people = {pid: (len(now), len(before)) for pid, (now, before) in weeks.items()}
        return self._people.get(p.id, (0, 0))
