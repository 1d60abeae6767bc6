"""A digest's week and what is read of it: the weeks reports are counted by, the week's reports,
figures and patterns as the digest sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "HISTORY_WEEKS",
    "AudienceLike",
    "Cells",
    "PatternInfo",
    "WeekFigures",
    "WeekReport",
    "digest_week",
    "mondays_before",
    "week_of",
]

HISTORY_WEEKS = 8


class AudienceLike(Protocol):
    """Who a digest is for, as the reading needs it (digests.digest.Audience)."""

    @property
    def kind(self) -> str: ...  # all | team | stage

    @property
    def value(self) -> str | None: ...

    @property
    def key(self) -> str: ...


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
