"""Signals over a snapshot, all pure functions of the data and `now`.

Rules (stated in every digest):
- new: first seen inside the digest week;
- spiking: not new, at least SPIKE_MIN reports this week from at least k people, and at least
  SPIKE_FACTOR x the mean of the previous BASELINE_WEEKS weeks (one rule for the digest and the
  alert: spikes);
- persistent: open, reported in at least PERSIST_N of the last PERSIST_M weeks, and not fading;
- fading: open, averaged at least FADE_MIN a week before and fell to half of that or less;
- nobody owns this gap: open, without an owner for more than UNOWNED_DAYS days, still reported;
- you said, we did: resolved inside the digest week.

SQL_RULES restates each rule (or the part of it that the weekly counts decide) in SQL, so the
database can pick out the few patterns a section can show; the functions here then decide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digests.snapshot import Cells, PatternInfo, Snapshot, WeekReport

__all__ = [
    "SPIKE_RULE",
    "spike_rule",
    "SQL_COUNTS",
    "SQL_RULES",
    "series",
    "is_new",
    "is_spiking",
    "spikes",
    "is_persistent",
    "is_fading",
    "unowned",
    "resolved",
    "handoff_cells",
    "heat_cells",
    "fold",
    "folded_reporters",
    "sql_moments",
    "week_on_week",
    "UTC_WEEKS",
]

SPIKE_MIN, SPIKE_FACTOR, BASELINE_WEEKS = 3, 2.0, 4
PERSIST_N, PERSIST_M = 3, 4
FADE_MIN = 2.0
UNOWNED_DAYS = 14
RECENT_WEEKS = 4  # "still reported": in one of the last RECENT_WEEKS weeks, the digest week included
CLOSED = ("resolved", "wont_fix")
SPIKE_RULE = (
    f"Spiking means at least {SPIKE_MIN} reports this week and at least {SPIKE_FACTOR:g}x the weekly "
    f"average of the previous {BASELINE_WEEKS} weeks."
)
UTC_WEEKS = "This week and last week are counted in your time zone; the weeks before them are UTC weeks."


def spike_rule(k: int) -> str:
    """SPIKE_RULE with the people a spike needs, as the digest and the alert state it."""
    return f"{SPIKE_RULE} Its reports this week must come from at least {k} people."


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


def spikes(counts: Sequence[int], *, people: int, k: int, new: bool) -> bool:
    """Whether a pattern spiked this week, as the digest lists it and the alert tells it.

    `people`: its distinct reporters this week, at least k (a count from fewer is never shown);
    `new`: first seen this week, when it is New rather than Spiking. A pattern reported again after
    weeks without a report spikes: its baseline is zero."""
    return not new and people >= k and is_spiking(counts)


def is_persistent(counts: Sequence[int]) -> bool:
    """Reported in PERSIST_N of the last PERSIST_M weeks and not fading: a pattern reported 3, 1, 2, 1
    after a busy month meets both counts rules, and is listed under Fading alone, which says what
    this week changed."""
    return sum(1 for c in counts[-PERSIST_M:] if c) >= PERSIST_N and not is_fading(counts)


def is_fading(counts: Sequence[int]) -> bool:
    base = _baseline(counts)
    return base >= FADE_MIN and counts[-1] <= base / 2


def unowned(pattern: PatternInfo, counts: Sequence[int], now: datetime) -> bool:
    """Nobody owns this gap: open, without an owner for over two weeks (since it was first seen, or
    since its owner was taken away), reported in the last RECENT_WEEKS weeks."""
    ownerless_since = max(pattern.first_seen, pattern.owner_set_at or pattern.first_seen)
    return (
        pattern.owner is None
        and pattern.status not in CLOSED
        and ownerless_since <= now - timedelta(days=UNOWNED_DAYS)
        and any(counts[-RECENT_WEEKS:])
    )


def resolved(pattern: PatternInfo, week_start: datetime, week_end: datetime) -> bool:
    changed = pattern.status_changed_at
    return pattern.status == "resolved" and changed is not None and week_start <= changed < week_end


def fold(cells: Mapping[tuple[str, str], tuple[int, int]], k: int) -> tuple[dict[tuple[str, str], int], int]:
    """Report counts per cell; cells from fewer than k distinct reporters fold into one 'other' count."""
    shown: dict[tuple[str, str], int] = {}
    other = 0
    for cell, (reports, reporters) in cells.items():
        if reporters >= k:
            shown[cell] = reports
        else:
            other += reports
    return shown, other


def _cells(pairs: Iterable[tuple[tuple[str, str], str]]) -> Cells:
    reports: dict[tuple[str, str], int] = defaultdict(int)
    reporters: dict[tuple[str, str], set[str]] = defaultdict(set)
    for cell, reporter in pairs:
        reports[cell] += 1
        reporters[cell].add(reporter)
    return {cell: (n, len(reporters[cell])) for cell, n in reports.items()}


def _handoffs(reports: Iterable[WeekReport]) -> list[tuple[tuple[str, str], str]]:
    return [
        ((r.handoff_from or "?", r.handoff_to or "?"), r.reporter) for r in reports if r.handoff_from or r.handoff_to
    ]


def _heat(reports: Iterable[WeekReport]) -> list[tuple[tuple[str, str], str]]:
    return [((r.stage or "unknown", kind), r.reporter) for r in reports for kind in r.kinds]


def handoff_cells(reports: Iterable[WeekReport]) -> Cells:
    """From-team to-team broken handoffs: reports and distinct reporters per cell."""
    return _cells(_handoffs(reports))


def heat_cells(reports: Iterable[WeekReport]) -> Cells:
    """Stage by friction kind: reports and distinct reporters per cell."""
    return _cells(_heat(reports))


def _folded_reporters(pairs: list[tuple[tuple[str, str], str]], k: int) -> int:
    small = {cell for cell, (_, reporters) in _cells(pairs).items() if reporters < k}
    return len({reporter for cell, reporter in pairs if cell in small})


def folded_reporters(reports: Sequence[WeekReport], k: int) -> tuple[int, int]:
    """Distinct reporters of the handoff cells, and of the stage x kind cells, that `fold` folds (under k)."""
    return _folded_reporters(_handoffs(reports), k), _folded_reporters(_heat(reports), k)


def week_on_week(snapshot: Snapshot, pattern_ids: set[int] | None = None) -> tuple[int, int]:
    """Reports in the digest week and the week before (from the weekly counts)."""
    this_week, last_week = snapshot.weeks[-1], snapshot.weeks[-2]
    total = prev = 0
    for pid, weeks in snapshot.history.items():
        if pattern_ids is None or pid in pattern_ids:
            total += weeks.get(this_week, 0)
            prev += weeks.get(last_week, 0)
    return total, prev


def _number(x: float) -> str:
    """A constant for SQL: integral ones as integers, so the database compares integers, not decimals."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _nonzero(weeks: int) -> str:
    """SQL: in how many of the last `weeks` weeks (c0 the digest's, c1 the one before ...) a pattern was reported."""
    return " + ".join(f"(CASE WHEN c{i} <> 0 THEN 1 ELSE 0 END)" for i in range(weeks))


def _sql_rules() -> tuple[dict[str, str], dict[str, tuple[str, str, str | None]]]:
    """The rules in SQL: a pattern's weekly counts, and each section's conditions.

    The counts are expressions over a pattern's reports in each of the eight weeks: c0 the digest
    week's, c1 the week before, and so on (digests.week.week_windows), and over p0, its distinct
    reporters in the digest week (:k is the anonymity threshold). Each section has a condition
    either on those counts ("counts"; `pid` is the pattern's id) or on the pattern row p
    ("patterns": read through an indexed column); :t is the tenant, :s and :e bound the week, :u is
    a microsecond after UNOWNED_DAYS before `now` (what "for more than UNOWNED_DAYS days" means).

    The third part is what a counts rule leaves to the pattern row: spiking's "not new", persistent's
    and fading's "still open", and unowned's "no owner, open, for long enough". Most patterns meet it, so it is
    checked only on the patterns the counts keep, best first, until the section has as many as it
    needs. The SQL keeps exactly the patterns the Python rules above keep."""
    counts = {
        "c0": "c0",
        "p0": "p0",
        "base": " + ".join(f"c{i}" for i in range(1, BASELINE_WEEKS + 1)),
        "seen": _nonzero(PERSIST_M),
        "lately": _nonzero(RECENT_WEEKS),
    }
    new = "p.first_seen >= :s AND p.first_seen < :e"
    still_open = "p.status NOT IN (" + ", ".join(f"'{status}'" for status in CLOSED) + ")"
    ownerless = "p.first_seen < :u AND (p.owner_set_at IS NULL OR p.owner_set_at < :u)"
    fading = f"base >= {_number(FADE_MIN * BASELINE_WEEKS)} AND c0 * {2 * BASELINE_WEEKS} <= base"
    rules: dict[str, tuple[str, str, str | None]] = {
        "new": ("patterns", new, None),
        "spiking": (
            "counts",
            f"c0 >= {SPIKE_MIN} AND p0 >= :k AND c0 * {BASELINE_WEEKS} >= {_number(SPIKE_FACTOR)} * base",
            f"NOT ({new})",
        ),
        "persistent": ("counts", f"seen >= {PERSIST_N} AND NOT ({fading})", still_open),
        "fading": ("counts", fading, still_open),
        "unowned": ("counts", "lately > 0", f"p.owner IS NULL AND {still_open} AND {ownerless}"),
        "resolved": (
            "patterns",
            "p.status = 'resolved' AND p.status_changed_at >= :s AND p.status_changed_at < :e",
            None,
        ),
        "top": ("counts", "c0 <> 0 AND p0 >= :k", None),
    }
    return counts, rules


SQL_COUNTS, SQL_RULES = _sql_rules()


def sql_moments(now: datetime) -> dict[str, datetime]:
    """The moments SQL_RULES compare with: :u, a microsecond after UNOWNED_DAYS before `now`, so that
    `< :u` is unowned's "at least UNOWNED_DAYS days" (timestamps count microseconds)."""
    return {"u": now - timedelta(days=UNOWNED_DAYS) + timedelta(microseconds=1)}
