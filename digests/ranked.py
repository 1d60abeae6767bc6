"""The patterns each digest section can show, ranked in SQL, with their weekly counts."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from digests.reading import Bind, of_audience, reading, week_params
from digests.week import HISTORY_WEEKS, AudienceLike, PatternInfo, mondays_before

__all__ = ["load_ranked", "Ranked", "Rules"]

Ranked = list[tuple[PatternInfo, dict[str, int]]]  # patterns, best first, each with Monday -> reports
Rules = Mapping[str, tuple[str, str, str | None]]  # section -> (source, condition, the part left to the pattern row)

_PATTERN_ROW = (
    "p.id, p.title, p.stage, CAST(p.kinds AS TEXT), CAST(p.teams AS TEXT), p.status, p.owner, p.owner_set_at, "
    "p.status_changed_at, p.first_seen, p.last_seen, p.report_count"
)
_RANK = "c0 DESC, n DESC, pid"
_WEEKS = f"week >= :w{HISTORY_WEEKS - 1} AND week <= :w0"  # the eight weeks


def load_ranked(
    bind: Bind,
    tenant_id: int,
    start: datetime,
    end: datetime,
    audience: AudienceLike,
    counts: Mapping[str, str],
    rules: Rules,
    pages: Mapping[str, int],
    whole: Collection[str] = (),
) -> dict[str, Ranked]:
    """For each section in `pages`, its best-ranked patterns under its SQL rule, at most pages[name] of them.

    `counts` are the per-pattern aggregates of the weekly counts the rules use (signals.SQL_COUNTS,
    c0 being the digest week's reports) and `rules` each section's source, condition and the part
    left to the pattern row (signals.SQL_RULES), which sections in `whole` check too.
    Ranked as the digest ranks (most reports this week, then most in the eight weeks, then id),
    each with its weekly counts (Monday -> reports, zeros left out). One statement: the eight
    weeks are aggregated once for every pattern of the audience, each section takes its top rows,
    and only those rows read their pattern row and weekly counts."""
    if "c0" not in counts:
        raise ValueError("the rank needs c0, the digest week's reports")
    if not pages:
        return {}
    with reading(bind) as conn:
        sql = _ranked_sql(audience, counts, rules, pages, whole, conn)
        rows = conn.execute(text(sql), week_params(conn, tenant_id, start, end, audience)).all()
    return _by_section(rows, pages, start)


def _ranked_sql(
    audience: AudienceLike,
    counts: Mapping[str, str],
    rules: Rules,
    pages: Mapping[str, int],
    whole: Collection[str],
    conn: Connection,
) -> str:
    """The statement: c, the counts of the patterns some counts rule keeps; s, each section's top
    rows; h, their weekly counts; then each section's rows with their pattern row and counts."""
    kept = " OR ".join(f"({rules[name][1]})" for name in pages if rules[name][0] == "counts") or "1 = 0"
    parts = [_section_sql(name, limit, rules[name], name in whole, audience, conn) for name, limit in pages.items()]
    weekly = ", ".join(f"SUM(reports) FILTER (WHERE week = :w{i}) AS c{i}" for i in range(HISTORY_WEEKS))
    return (
        f"WITH c AS (SELECT * FROM ({_counted_sql(audience, counts, conn)}) AS counted WHERE {kept}), "
        f"s AS ({' UNION ALL '.join(parts)}), "
        f"h AS (SELECT pattern_id, {weekly} FROM pattern_weeks "
        f"WHERE pattern_id IN (SELECT pid FROM s) AND {_WEEKS} GROUP BY pattern_id) "
        f"SELECT s.section, {_PATTERN_ROW}, {', '.join(f'h.c{i}' for i in range(HISTORY_WEEKS))} "
        "FROM s JOIN patterns p ON p.id = s.pid LEFT JOIN h ON h.pattern_id = s.pid"
    )


def _counted_sql(audience: AudienceLike, counts: Mapping[str, str], conn: Connection) -> str:
    """The audience's patterns with their eight weeks aggregated under each name in `counts`, and n."""
    first: dict[str, str] = {}  # each distinct aggregate computed once, under the first name it has
    for name, sql in counts.items():
        first.setdefault(sql, name)
    aggregates = ", ".join(f"COALESCE({sql}, 0) AS {name}" for sql, name in first.items())
    names = ", ".join(f"{first[sql]} AS {name}" for name, sql in counts.items())
    counted = (
        f"SELECT pid, {names}, n FROM (SELECT pattern_id AS pid, {aggregates}, SUM(reports) AS n "
        f"FROM pattern_weeks WHERE tenant_id = :t AND {_WEEKS} GROUP BY pattern_id) AS once"
    )
    if audience.kind == "all":
        return counted
    return (
        f"SELECT mine.* FROM ({counted}) AS mine JOIN patterns p ON p.id = mine.pid "
        f"WHERE {of_audience('p', audience, conn)}"
    )


def _section_sql(
    name: str, limit: int, rule: tuple[str, str, str | None], whole: bool, audience: AudienceLike, conn: Connection
) -> str:
    """One section's top `limit` pattern ids under its rule."""
    source, condition, rest = rule
    if source == "counts" and rest and whole:
        found = f"SELECT pid, c0, n FROM c JOIN patterns p ON p.id = c.pid WHERE ({condition}) AND {rest}"
    elif source == "counts":
        found = f"SELECT pid, c0, n FROM c WHERE {condition}"
    elif source != "patterns":
        raise ValueError(f"section {name!r} reads from {source!r}: neither counts nor patterns")
    else:
        found = _named(condition, audience, conn)
    return f"SELECT '{name}' AS section, pid FROM ({found} ORDER BY {_RANK} LIMIT {int(limit)}) AS ranked_{name}"


def _named(condition: str, audience: AudienceLike, conn: Connection) -> str:
    """SQL: the audience's patterns a condition on the pattern row names, with their c0 and n (the
    digest week's and the eight weeks' reports) read from their own weekly rows, by index.

    PostgreSQL reads those rows once per pattern (a lateral join); SQLite, which has none, twice."""
    where = f"p.tenant_id = :t AND {condition} AND {of_audience('p', audience, conn)}"
    if conn.dialect.name == "postgresql":
        return (
            "SELECT p.id AS pid, COALESCE(x.c0, 0) AS c0, COALESCE(x.n, 0) AS n FROM patterns p "
            "LEFT JOIN LATERAL (SELECT SUM(reports) FILTER (WHERE week = :w0) AS c0, SUM(reports) AS n "
            f"FROM pattern_weeks WHERE pattern_id = p.id AND {_WEEKS}) AS x ON TRUE WHERE {where}"
        )
    own = "SELECT COALESCE(SUM(reports), 0) FROM pattern_weeks WHERE pattern_id = p.id"
    return f"SELECT p.id AS pid, ({own} AND week = :w0) AS c0, ({own} AND {_WEEKS}) AS n FROM patterns p WHERE {where}"


def _by_section(rows: Iterable[Sequence[Any]], pages: Mapping[str, int], start: datetime) -> dict[str, Ranked]:
    """The statement's rows, each pattern read once, per section in rank order."""
    out: dict[str, Ranked] = {name: [] for name in pages}
    newest_first = tuple(reversed(mondays_before(start)))
    width = len(fields(PatternInfo))
    by_id: dict[int, tuple[PatternInfo, dict[str, int]]] = {}
    for row in rows:
        if row[1] not in by_id:
            weeks = {monday: int(n) for monday, n in zip(newest_first, row[1 + width :], strict=True) if n}
            by_id[row[1]] = (_info(row[1 : 1 + width]), weeks)
        out[row[0]].append(by_id[row[1]])
    for ranked in out.values():  # the statement picks by rank but returns rows in no order
        ranked.sort(key=lambda x: (-x[1].get(newest_first[0], 0), -sum(x[1].values()), x[0].id))
    return out


def _info(r: Sequence[Any]) -> PatternInfo:
    """A pattern row as read by _PATTERN_ROW."""
    first_seen, last_seen = _aware(r[9]), _aware(r[10])
    assert first_seen is not None and last_seen is not None  # the columns are NOT NULL
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
        first_seen,
        last_seen,
        r[11],
    )


def _aware(value: object) -> datetime | None:
    """A timestamp as read (a datetime, or ISO text on SQLite), aware (naive is UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Labels as read: a JSON list as text (CAST(... AS TEXT)), or already a list."""
    if isinstance(value, str):
        return _labels(value)
    return tuple(value or ())


@lru_cache(maxsize=4096)
def _labels(raw: str) -> tuple[str, ...]:  # patterns share few distinct lists: each is parsed once
    return tuple(json.loads(raw)) if raw else ()
