"""What a digest reads from the database: one week's reports, weekly counts, pattern rows.

Plain SQL over indexed columns, so a weekly digest costs about one pass over that week.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["WeekReport", "PatternInfo", "Snapshot", "digest_week", "load_snapshot", "tenant_id_of"]

HISTORY_WEEKS = 8


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


@dataclass
class Snapshot:
    now: datetime
    week_start: datetime
    week_end: datetime
    weeks: tuple[str, ...]  # Mondays, oldest first; the last is the digest's week
    reports: list[WeekReport]
    history: dict[int, dict[str, int]]  # pattern id -> Monday -> reports
    patterns: dict[int, PatternInfo]
    reporters: dict[int, int] = field(default_factory=dict)  # pattern id -> distinct reporters, all time
    quotes: dict[int, str] = field(default_factory=dict)


def digest_week(now: datetime) -> tuple[datetime, datetime]:
    """The last complete ISO week (Monday 00:00 UTC to Monday 00:00 UTC) before `now`."""
    now = now.astimezone(UTC)
    end = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), UTC)
    return end - timedelta(days=7), end


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def _labels(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw)) if raw else ()


def _tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return _labels(value)
    return tuple(value or ())  # type: ignore[arg-type]


def tenant_id_of(engine: Engine, platform: str, tenant: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id FROM tenants WHERE platform = :p AND external_id = :t"), {"p": platform, "t": tenant}
        ).scalar()


def _param(dt: datetime, engine: Engine) -> object:
    # SQLite stores naive UTC text; PostgreSQL compares aware timestamps.
    return dt.replace(tzinfo=None) if engine.dialect.name == "sqlite" else dt


def load_snapshot(engine: Engine, tenant_id: int, now: datetime) -> Snapshot:
    """The digest week's reports, eight weeks of per-pattern counts and the patterns involved."""
    start, end = digest_week(now)
    mondays = tuple((start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(HISTORY_WEEKS)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pattern_id, reporter_key, stage, kinds, teams, handoff_from, handoff_to FROM reports "
                "WHERE tenant_id = :t AND created_at >= :s AND created_at < :e"
            ),
            {"t": tenant_id, "s": _param(start, engine), "e": _param(end, engine)},
        ).all()
        weekly = conn.execute(
            text("SELECT pattern_id, week, reports FROM pattern_weeks WHERE tenant_id = :t AND week >= :w AND week <= :l"),
            {"t": tenant_id, "w": mondays[0], "l": mondays[-1]},
        ).all()
        history: dict[int, dict[str, int]] = {}
        for pid, week, n in weekly:
            history.setdefault(pid, {})[week] = n
        patterns = _patterns(conn, tenant_id, set(history) | {r[0] for r in rows if r[0]}, start, end, engine)
    reports = [WeekReport(r[0], r[1], r[2], _tuple(r[3]), _tuple(r[4]), r[5], r[6]) for r in rows]
    return Snapshot(now, start, end, mondays, reports, history, patterns)


def _patterns(conn, tenant_id: int, ids: set[int], start: datetime, end: datetime, engine: Engine) -> dict[int, PatternInfo]:  # type: ignore[no-untyped-def]
    """Patterns seen in the window, plus any whose status changed or that lack an owner."""
    found = conn.execute(
        text(
            "SELECT id, title, stage, kinds, teams, status, owner, owner_set_at, status_changed_at, "
            "first_seen, last_seen, report_count FROM patterns WHERE tenant_id = :t AND "
            "(last_seen >= :h OR (status_changed_at >= :s AND status_changed_at < :e))"
        ),
        {"t": tenant_id, "h": _param(start - timedelta(weeks=HISTORY_WEEKS), engine), "s": _param(start, engine), "e": _param(end, engine)},
    ).all()
    out = {}
    for r in found:
        info = PatternInfo(
            r[0], r[1], r[2], _tuple(r[3]), _tuple(r[4]), r[5], r[6], _aware(r[7]), _aware(r[8]),
            _aware(r[9]), _aware(r[10]), r[11],  # type: ignore[arg-type]
        )
        out[info.id] = info
    return out


def load_reporters(engine: Engine, ids: list[int]) -> dict[int, int]:
    """Distinct reporters of each pattern, all time (for the anonymity threshold)."""
    if not ids:
        return {}
    marks = ", ".join(f":p{i}" for i in range(len(ids)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT pattern_id, COUNT(DISTINCT reporter_key) FROM reports WHERE pattern_id IN ({marks}) GROUP BY pattern_id"),
            {f"p{i}": pid for i, pid in enumerate(ids)},
        ).all()
    return {pid: int(n) for pid, n in rows}


def load_quotes(engine: Engine, ids: list[int], start: datetime, end: datetime) -> dict[int, str]:
    """The latest report text of each pattern inside the week."""
    out: dict[int, str] = {}
    with engine.connect() as conn:
        for pid in ids:
            found = conn.execute(
                text(
                    "SELECT text FROM reports WHERE pattern_id = :p AND created_at >= :s AND created_at < :e "
                    "ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                {"p": pid, "s": _param(start, engine), "e": _param(end, engine)},
            ).scalar()
            if found:
                out[pid] = found
    return out


def as_date(monday: str) -> date:
    return date.fromisoformat(monday)
