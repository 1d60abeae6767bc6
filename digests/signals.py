"""Signals over a snapshot, all pure functions of the data and `now`.

Rules (stated in every digest):
- new: first seen inside the digest week;
- spiking: at least SPIKE_MIN reports this week and at least SPIKE_FACTOR x the mean of the previous
  BASELINE_WEEKS weeks;
- persistent: reported in at least PERSIST_N of the last PERSIST_M weeks;
- fading: averaged at least FADE_MIN a week before and fell to half of that or less;
- nobody owns this gap: no owner, open, first seen more than UNOWNED_DAYS days ago, still reported;
- you said, we did: resolved inside the digest week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from digests.snapshot import PatternInfo, Snapshot, WeekReport

__all__ = [
    "SPIKE_RULE",
    "series",
    "is_new",
    "is_spiking",
    "is_persistent",
    "is_fading",
    "unowned",
    "resolved",
    "handoff_matrix",
    "heat_map",
    "fold",
    "week_on_week",
]

SPIKE_MIN, SPIKE_FACTOR, BASELINE_WEEKS = 3, 2.0, 4
PERSIST_N, PERSIST_M = 3, 4
FADE_MIN = 2.0
UNOWNED_DAYS = 14
CLOSED = ("resolved", "wont_fix")
SPIKE_RULE = (
    f"Spiking means at least {SPIKE_MIN} reports this week and at least {SPIKE_FACTOR:g}x the weekly "
    f"average of the previous {BASELINE_WEEKS} weeks."
)


def series(history: Mapping[str, int], weeks: Sequence[str]) -> tuple[int, ...]:
    """Weekly counts in week order (zeros where nothing was reported)."""
    return tuple([history.get(w, 0) for w in weeks])


def _baseline(counts: Sequence[int]) -> float:
    previous = counts[-1 - BASELINE_WEEKS : -1]
    return sum(previous) / BASELINE_WEEKS if previous else 0.0


def is_new(pattern: PatternInfo, week_start: datetime, week_end: datetime) -> bool:
    return week_start <= pattern.first_seen < week_end


def is_spiking(counts: Sequence[int]) -> bool:
    """This week clearly above its own recent baseline (see SPIKE_RULE)."""
    return counts[-1] >= SPIKE_MIN and counts[-1] >= SPIKE_FACTOR * _baseline(counts)


def is_persistent(counts: Sequence[int]) -> bool:
    return sum(1 for c in counts[-PERSIST_M:] if c) >= PERSIST_N


def is_fading(counts: Sequence[int]) -> bool:
    base = _baseline(counts)
    return base >= FADE_MIN and counts[-1] <= base / 2


def unowned(pattern: PatternInfo, counts: Sequence[int], now: datetime) -> bool:
    """Nobody owns this gap: open, no owner, older than two weeks, reported in the last four weeks."""
    return (
        pattern.owner is None
        and pattern.status not in CLOSED
        and pattern.first_seen <= now - timedelta(days=UNOWNED_DAYS)
        and any(counts[-4:])
    )


def resolved(pattern: PatternInfo, week_start: datetime, week_end: datetime) -> bool:
    changed = pattern.status_changed_at
    return pattern.status == "resolved" and changed is not None and week_start <= changed < week_end


def fold(cells: Mapping[tuple[str, str], list[str]], k: int) -> tuple[dict[tuple[str, str], int], int]:
    """Report counts per cell; cells from fewer than k distinct reporters fold into one 'other' count."""
    shown: dict[tuple[str, str], int] = {}
    other = 0
    for cell, reporters in cells.items():
        if len(set(reporters)) >= k:
            shown[cell] = len(reporters)
        else:
            other += len(reporters)
    return shown, other


def _cells(pairs: Iterable[tuple[tuple[str, str], str]]) -> dict[tuple[str, str], list[str]]:
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cell, reporter in pairs:
        cells[cell].append(reporter)
    return cells


def handoff_matrix(reports: Iterable[WeekReport], k: int) -> tuple[dict[tuple[str, str], int], int]:
    """From-team to-team broken handoffs per cell; cells with fewer than k reporters folded."""
    return fold(
        _cells(
            ((r.handoff_from or "?", r.handoff_to or "?"), r.reporter)
            for r in reports
            if r.handoff_from or r.handoff_to
        ),
        k,
    )


def heat_map(reports: Iterable[WeekReport], k: int) -> tuple[dict[tuple[str, str], int], int]:
    """Stage by friction kind per cell; cells with fewer than k reporters folded."""
    return fold(_cells(((r.stage or "unknown", kind), r.reporter) for r in reports for kind in r.kinds), k)


def week_on_week(snapshot: Snapshot, pattern_ids: set[int] | None = None) -> tuple[int, int]:
    """Reports in the digest week and the week before (from the weekly counts)."""
    this_week, last_week = snapshot.weeks[-1], snapshot.weeks[-2]
    total = prev = 0
    for pid, weeks in snapshot.history.items():
        if pattern_ids is None or pid in pattern_ids:
            total += weeks.get(this_week, 0)
            prev += weeks.get(last_week, 0)
    return total, prev
