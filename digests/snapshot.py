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
    """The digest week's reports, eight weeks of per-pattern counts and the patterns it can show."""
    start, end = digest_week(now)
    mondays = tuple((start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(HISTORY_WEEKS)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pattern_id, reporter_key, stage, CAST(kinds AS TEXT), CAST(teams AS TEXT), handoff_from, handoff_to "
                "FROM reports WHERE tenant_id = :t AND created_at >= :s AND created_at < :e"
            ),
            {"t": tenant_id, "s": _param(start, engine), "e": _param(end, engine)},
        ).all()
        history = _history(conn, tenant_id, mondays)
        patterns = _patterns(conn, tenant_id, {r[0] for r in rows if r[0]}, mondays, start, end, engine)
        history.update(_history_of(conn, [pid for pid in patterns if pid not in history], mondays))
    history = {pid: weeks for pid, weeks in history.items() if pid in patterns}
    reports = [WeekReport(r[0], r[1], r[2], _tuple(r[3]), _tuple(r[4]), r[5], r[6]) for r in rows]
    return Snapshot(now, start, end, mondays, reports, history, patterns)


def _history(conn, tenant_id: int, mondays: tuple[str, ...]) -> dict[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Weekly counts of the patterns reported in the last SIGNAL_WEEKS weeks, one row per pattern."""
    sums = ", ".join(f"SUM(CASE WHEN week = :w{i} THEN reports ELSE 0 END)" for i in range(len(mondays)))
    recent = " + ".join(
        f"SUM(CASE WHEN week = :w{i} THEN reports ELSE 0 END)" for i in range(len(mondays) - SIGNAL_WEEKS, len(mondays))
    )
    found = conn.execute(
        text(
            f"SELECT pattern_id, {sums} FROM pattern_weeks WHERE tenant_id = :t AND week >= :w0 AND week <= :w{len(mondays) - 1} "
            f"GROUP BY pattern_id HAVING {recent} > 0"
        ),
        {"t": tenant_id, **{f"w{i}": w for i, w in enumerate(mondays)}},
    ).all()
    return {r[0]: {w: int(n) for w, n in zip(mondays, r[1:], strict=True) if n} for r in found}


def _history_of(conn, ids: list[int], mondays: tuple[str, ...]) -> dict[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Weekly counts of a few patterns (new or closed in the week, quiet lately)."""
    out: dict[int, dict[str, int]] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        marks = ", ".join(f":p{i}" for i in range(len(part)))
        found = conn.execute(
            text(
                f"SELECT pattern_id, week, reports FROM pattern_weeks WHERE pattern_id IN ({marks}) AND week >= :w AND week <= :l"
            ),
            {"w": mondays[0], "l": mondays[-1], **{f"p{i}": p for i, p in enumerate(part)}},
        ).all()
        for pid, week, n in found:
            if n:
                out.setdefault(pid, {})[week] = int(n)
    return out


_PATTERN_COLUMNS = (
    "SELECT id, title, stage, CAST(kinds AS TEXT), CAST(teams AS TEXT), status, owner, owner_set_at, status_changed_at, "
    "first_seen, last_seen, report_count FROM patterns WHERE tenant_id = :t AND "
)
# Signals read at most the last SIGNAL_WEEKS weekly counts (the week and a 4-week baseline), so a
# pattern quiet for that long can only show as new or resolved (its status changed in the week).
SIGNAL_WEEKS = 5


def _patterns(
    conn, tenant_id: int, ids: set[int], mondays: tuple[str, ...], start: datetime, end: datetime, engine: Engine
) -> dict[int, PatternInfo]:  # type: ignore[no-untyped-def]
    """Patterns the digest can show: counted in the last weeks, with reports this week, new, or status changed."""
    params = {
        "t": tenant_id,
        "w": mondays[-SIGNAL_WEEKS],
        "l": mondays[-1],
        "s": _param(start, engine),
        "e": _param(end, engine),
    }
    found = conn.execute(
        text(
            f"{_PATTERN_COLUMNS} id IN (SELECT pattern_id FROM pattern_weeks WHERE tenant_id = :t AND week >= :w AND week <= :l) "
            f"UNION ALL {_PATTERN_COLUMNS} status_changed_at >= :s AND status_changed_at < :e "
            f"UNION ALL {_PATTERN_COLUMNS} first_seen >= :s AND first_seen < :e"
        ),
        params,
    ).all()
    out = {r[0]: _info(r) for r in found}
    missing = sorted(ids - set(out))  # reports this week whose weekly count is missing: read them too
    if missing:
        marks = ", ".join(f":p{i}" for i in range(len(missing)))
        more = conn.execute(
            text(f"{_PATTERN_COLUMNS} id IN ({marks})"), {"t": tenant_id, **{f"p{i}": p for i, p in enumerate(missing)}}
        )
        out.update((r[0], _info(r)) for r in more)
    return out


def _info(r) -> PatternInfo:  # type: ignore[no-untyped-def]
    return PatternInfo(
        r[0],
        r[1],
        r[2],
        _tuple(r[3]),
        _tuple(r[4]),
        r[5],
        r[6],
        _aware(r[7]),
        _aware(r[8]),
        _aware(r[9]),
        _aware(r[10]),
        r[11],  # type: ignore[arg-type]
    )


def load_reporters(engine: Engine, ids: list[int]) -> dict[int, int]:
    """Distinct reporters of each pattern, all time (for the anonymity threshold)."""
    if not ids:
        return {}
    marks = ", ".join(f":p{i}" for i in range(len(ids)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT pattern_id, COUNT(DISTINCT reporter_key) FROM reports WHERE pattern_id IN ({marks}) GROUP BY pattern_id"
            ),
            {f"p{i}": pid for i, pid in enumerate(ids)},
        ).all()
    return {pid: int(n) for pid, n in rows}


def load_quotes(engine: Engine, ids: list[int], start: datetime, end: datetime) -> dict[int, str]:
    """The latest report text of each pattern inside the week (one query)."""
    if not ids:
        return {}
    marks = ", ".join(f":p{i}" for i in range(len(ids)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pattern_id, text FROM (SELECT pattern_id, text, ROW_NUMBER() OVER "
                "(PARTITION BY pattern_id ORDER BY created_at DESC, id DESC) AS rn FROM reports "
                f"WHERE pattern_id IN ({marks}) AND created_at >= :s AND created_at < :e) AS latest WHERE rn = 1"
            ),
            {"s": _param(start, engine), "e": _param(end, engine), **{f"p{i}": pid for i, pid in enumerate(ids)}},
        ).all()
    return {pid: body for pid, body in rows if body}


def as_date(monday: str) -> date:
    return date.fromisoformat(monday)
