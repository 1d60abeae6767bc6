"""A digest's week and what is read of it: the weeks reports are counted by, the week's reports,
figures and patterns as the digest sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

__all__ = [
    "HISTORY_WEEKS",
    "SHARE",
    "shares_team",
    "AudienceLike",
    "Cells",
    "PatternInfo",
    "WeekFigures",
    "WeekReport",
    "digest_week",
    "mondays_before",
    "week_moves",
    "week_windows",
    "week_of",
]

HISTORY_WEEKS = 8
SHARE = 3  # a team's digest holds a pattern when at least one in SHARE of its reports is tagged with the team


def shares_team(tagged: int, members: int) -> bool:
    """Whether `tagged` of a pattern's `members` reports (as grouping counts them) put it in a team's
    digest: at least a third (SHARE) of them. A pattern's own teams need half (digests.engine)."""
    return tagged > 0 and tagged * SHARE >= members


class AudienceLike(Protocol):
    """Who a digest is for, as the reading needs it (digests.digest.Audience)."""

    @property
    def kind(self) -> str: ...  # all | team | stage

    @property
    def value(self) -> str | None: ...

    @property
    def key(self) -> str: ...

    @property
    def stakes(self) -> frozenset[int]: ...  # a team's: the patterns it holds beyond its teams'

    @property
    def owners(self) -> frozenset[str]: ...  # a team's: the pattern owners read as the team


@dataclass(frozen=True)
class WeekReport:
    pattern_id: int | None
    reporter: str
    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    handoff_from: str | None
    handoff_to: str | None


@dataclass(frozen=True)
class PatternInfo:
    id: int
    title: str
    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    status: str
    owner: str | None
    owner_set_at: datetime | None
    status_changed_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    report_count: int
    # Of the reports grouping counted (`members`, Pattern.terms' _n), how many each team is tagged on:
    # a team audience holds a pattern a third of whose reports name the team (SHARE).
    team_reports: tuple[tuple[str, int], ...] = ()
    members: int = 0


Cells = dict[tuple[str, str], tuple[int, int]]  # cell -> (reports, distinct reporters)


@dataclass(frozen=True)
class WeekFigures:
    """One audience's digest week, counted over all its reports and weekly counts."""

    audience: str  # the Audience.key counted for
    reports: int  # reports in the week
    reporters: int  # distinct reporters among them
    total: int  # the week's reports by the weekly counts of the audience's patterns
    prev: int  # the same for the week before
    handoffs: Cells = field(default_factory=dict)  # (from team, to team) -> (reports, reporters)
    heat: Cells = field(default_factory=dict)  # (stage, kind) -> (reports, reporters)
    folded_handoffs: int = 0  # distinct reporters of the handoff cells with fewer than k reporters
    folded_heat: int = 0  # the same for the stage x kind cells


def digest_week(now: datetime) -> tuple[datetime, datetime]:
    """The last complete ISO week (Monday 00:00 to Monday 00:00) before `now`, in now's own time zone.

    A naive `now` is UTC; an Auckland `now` gives the week that ended in Auckland."""
    zone = now.tzinfo or UTC
    end = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), zone)
    return end - timedelta(days=7), end


def mondays_before(week_start: datetime) -> tuple[str, ...]:
    """The HISTORY_WEEKS Mondays up to the digest week's, oldest first."""
    return tuple((week_start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(HISTORY_WEEKS)))


def week_of(dt: datetime) -> str:
    """The ISO week a moment falls in, as the date of its Monday (UTC); a naive moment is UTC."""
    day = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


Moment = tuple[str, datetime, datetime]  # a week's Monday and the moments it runs from and to


def week_windows(start: datetime, end: datetime) -> tuple[Moment, ...]:
    """The digest's HISTORY_WEEKS weeks, oldest first: each Monday with the moments its reports are counted in.

    The digest's week and the one before run from Monday to Monday in the subscription's own time
    zone (start to end), the same moments the week's totals are counted in; the weeks before are
    the UTC weeks the weekly counts are kept by, the one before last week running up to where
    last week starts, so no report is counted twice or left out."""
    mondays = mondays_before(start)
    utc = [datetime.combine(date.fromisoformat(monday), time.min, UTC) for monday in mondays]
    bounds = [*utc[:-2], start - timedelta(days=7), start, end]  # wall-clock days: last Monday 00:00 where they are
    return tuple((monday, bounds[i], bounds[i + 1]) for i, monday in enumerate(mondays))


def week_moves(start: datetime, end: datetime) -> tuple[tuple[datetime, datetime, str, int], ...]:
    """How the weekly counts (UTC weeks) become the digest's weeks: (from, to, Monday, +1 or -1), the
    reports created from..to added to or taken from that Monday's count. None when the digest's
    weeks are UTC weeks; otherwise a few hours either side of three Mondays."""
    moves: list[tuple[datetime, datetime, str, int]] = []
    for monday, lo, hi in week_windows(start, end):
        utc_lo = datetime.combine(date.fromisoformat(monday), time.min, UTC)
        utc_hi = utc_lo + timedelta(weeks=1)
        if lo != utc_lo:  # starting before its UTC Monday adds the hours between; after, takes them away
            moves.append((min(lo, utc_lo), max(lo, utc_lo), monday, 1 if lo < utc_lo else -1))
        if hi != utc_hi:  # the same at its end
            moves.append((min(hi, utc_hi), max(hi, utc_hi), monday, 1 if hi > utc_hi else -1))
    return tuple(moves)
