"""What a digest reads from the database for one audience: the week's figures and the patterns it can show.

Everything that needs every report of the week, or every pattern counted lately, is aggregated in
SQL (one pass over the week's reports; one over eight weeks of per-pattern counts), so Python only
sees folded cell counts and the few dozen patterns that can make a section.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "WeekReport",
    "PatternInfo",
    "WeekFigures",
    "Snapshot",
    "digest_week",
    "mondays_before",
    "load_figures",
    "load_ranked",
    "load_reporters",
    "load_quotes",
    "tenant_id_of",
    "reading",
]

HISTORY_WEEKS = 8


class AudienceLike(Protocol):
    kind: str  # all | team | stage
    value: str | None

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


@dataclass
class Snapshot:
    """What a digest is built from.

    Either everything (the week's `reports` and every pattern with its weekly counts, as tests
    build it by hand), or, as the service reads it, one audience's `figures` counted in SQL and
    only the patterns that can make a section (with their counts in `history`)."""

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


def digest_week(now: datetime) -> tuple[datetime, datetime]:
    """The last complete ISO week (Monday 00:00 to Monday 00:00) before `now`, in now's own time zone.

    A naive `now` is UTC; an Auckland `now` gives the week that ended in Auckland."""
    zone = now.tzinfo or UTC
    end = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), zone)
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


Bind = Engine | Connection


@contextmanager
def reading(bind: Bind) -> Iterator[Connection]:
    """The connection the digest reads on: the one given, or a new one (one per digest saves round trips).

    On PostgreSQL a new one is told not to JIT-compile: the planner guesses a JSON list holds a
    hundred elements, so the digest's short aggregates look costly enough to compile, and compiling
    them takes longer than running them."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL jit = off"))
        yield conn


def tenant_id_of(bind: Bind, platform: str, tenant: str) -> int | None:
    with reading(bind) as conn:
        return conn.execute(
            text("SELECT id FROM tenants WHERE platform = :p AND external_id = :t"), {"p": platform, "t": tenant}
        ).scalar()


def _param(dt: datetime, conn: Connection) -> object:
    # SQLite stores naive UTC text; PostgreSQL compares aware timestamps.
    return dt.astimezone(UTC).replace(tzinfo=None) if conn.dialect.name == "sqlite" else dt


def mondays_before(week_start: datetime) -> tuple[str, ...]:
    """The HISTORY_WEEKS Mondays up to the digest week's, oldest first."""
    return tuple((week_start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(HISTORY_WEEKS)))


def _week_params(conn: Connection, tenant_id: int, start: datetime, end: datetime, audience: AudienceLike) -> dict:  # type: ignore[type-arg]
    """:t, :s and :e (the digest week), :aud, and :w0 (the digest week's Monday), :w1 (the one before) ..."""
    return {
        "t": tenant_id,
        "s": _param(start, conn),
        "e": _param(end, conn),
        "aud": audience.value,
        "aud_text": f'%"{audience.value}"%',  # how the label shows in a JSON list (LIKE may match more)
        **{f"w{i}": monday for i, monday in enumerate(reversed(mondays_before(start)))},
    }


def _of_audience(alias: str, audience: AudienceLike, conn: Connection) -> str:
    """SQL: the pattern (or report) row `alias` belongs to the audience."""
    if audience.kind == "team":  # the text test first: it spares parsing the JSON of rows without the label
        if conn.dialect.name == "postgresql":
            return (
                f"(CAST({alias}.teams AS TEXT) LIKE :aud_text AND EXISTS "
                f"(SELECT 1 FROM json_array_elements_text({alias}.teams) AS team(v) WHERE team.v = :aud))"
            )
        return (
            f"({alias}.teams LIKE :aud_text AND EXISTS "
            f"(SELECT 1 FROM json_each({alias}.teams) AS team WHERE team.value = :aud))"
        )
    if audience.kind == "stage":
        return f"{alias}.stage = :aud"
    return "1 = 1"


def load_figures(bind: Bind, tenant_id: int, start: datetime, end: datetime, audience: AudienceLike) -> WeekFigures:
    """Reports, reporters, handoff and stage x kind cells of the audience's week, and its weekly totals.

    One statement and one pass over the week's reports. A report belongs to the audience through its
    pattern's teams or stage, or through its own when it has no pattern; the totals of this week and
    the one before are the audience's patterns' weekly counts."""
    with reading(bind) as conn:
        pg = conn.dialect.name == "postgresql"
        c = ' COLLATE "C"' if pg else ""  # grouping and distinct by bytes, not by language rules
        where = "r.tenant_id = :t AND r.created_at >= :s AND r.created_at < :e"
        join = joined = ""
        if audience.kind != "all":
            join = "LEFT JOIN patterns p ON p.id = r.pattern_id"
            where += (
                f" AND CASE WHEN r.pattern_id IS NULL THEN {_of_audience('r', audience, conn)} "
                f"ELSE {_of_audience('p', audience, conn)} END"
            )
            joined = f"JOIN patterns p ON p.id = pw.pattern_id WHERE {_of_audience('p', audience, conn)} AND"
        kinds = "CAST(r.kinds AS TEXT)" if pg else "r.kinds"
        if pg:  # each distinct list of kinds parsed once, not once a report
            cells = (
                ", lists AS (SELECT DISTINCT kinds FROM w), "
                f"listed AS (SELECT kinds, x.v{c} AS kind FROM lists, "
                "json_array_elements_text(CAST(lists.kinds AS JSON)) AS x(v)) "
            )
            heat = "FROM w JOIN listed ON listed.kinds = w.kinds GROUP BY stage, kind"
            kind = "kind"
        else:
            cells, heat, kind = " ", "FROM w, json_each(w.kinds) AS x GROUP BY stage, x.value", "x.value"
        sql = (
            "WITH w AS ("
            f"SELECT r.reporter_key{c} AS k, COALESCE(NULLIF(r.stage, ''), 'unknown'){c} AS stage, {kinds} AS kinds, "
            f"NULLIF(r.handoff_from, ''){c} AS hf, NULLIF(r.handoff_to, ''){c} AS ht "
            f"FROM reports r {join} WHERE {where}){cells}"
            "SELECT 0 AS part, CAST(NULL AS TEXT) AS a, CAST(NULL AS TEXT) AS b, COUNT(*) AS n, COUNT(DISTINCT k) AS m "
            "FROM w "
            "UNION ALL SELECT 1, COALESCE(hf, '?'), COALESCE(ht, '?'), COUNT(*), COUNT(DISTINCT k) FROM w "
            "WHERE hf IS NOT NULL OR ht IS NOT NULL GROUP BY COALESCE(hf, '?'), COALESCE(ht, '?') "
            f"UNION ALL SELECT 2, stage, {kind}, COUNT(*), COUNT(DISTINCT k) {heat} "
            "UNION ALL SELECT 3, NULL, NULL, COALESCE(SUM(pw.reports) FILTER (WHERE pw.week = :w0), 0), "
            f"COALESCE(SUM(pw.reports) FILTER (WHERE pw.week = :w1), 0) FROM pattern_weeks pw {joined or 'WHERE'} "
            "pw.tenant_id = :t AND pw.week >= :w1 AND pw.week <= :w0"
        )
        rows = conn.execute(text(sql), _week_params(conn, tenant_id, start, end, audience)).all()
    reports = reporters = total = prev = 0
    cells_of: tuple[Cells, Cells] = ({}, {})
    for part, a, b, n, m in rows:
        if part == 0:
            reports, reporters = int(n), int(m)
        elif part == 3:
            total, prev = int(n), int(m)
        else:
            cells_of[part - 1][(a, b)] = (int(n), int(m))
    return WeekFigures(audience.key, reports, reporters, total, prev, cells_of[0], cells_of[1])


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
    rules: Mapping[str, tuple[str, str, str | None]],
    pages: Mapping[str, int],
    whole: Collection[str] = (),
) -> dict[str, list[tuple[PatternInfo, dict[str, int]]]]:
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
        first: dict[str, str] = {}  # each distinct aggregate computed once, under the first name it has
        for name, sql in counts.items():
            first.setdefault(sql, name)
        aggregates = ", ".join(f"COALESCE({sql}, 0) AS {name}" for sql, name in first.items())
        names = ", ".join(f"{first[sql]} AS {name}" for name, sql in counts.items())
        counted = (
            f"SELECT pid, {names}, n FROM (SELECT pattern_id AS pid, {aggregates}, SUM(reports) AS n "
            f"FROM pattern_weeks WHERE tenant_id = :t AND {_WEEKS} GROUP BY pattern_id) AS once"
        )
        if audience.kind != "all":
            counted = (
                f"SELECT mine.* FROM ({counted}) AS mine JOIN patterns p ON p.id = mine.pid "
                f"WHERE {_of_audience('p', audience, conn)}"
            )
        kept = " OR ".join(f"({rules[name][1]})" for name in pages if rules[name][0] == "counts") or "1 = 0"
        parts = []
        for name, limit in pages.items():
            source, condition, rest = rules[name]
            if source == "counts" and rest and name in whole:
                found = f"SELECT pid, c0, n FROM c JOIN patterns p ON p.id = c.pid WHERE ({condition}) AND {rest}"
            elif source == "counts":
                found = f"SELECT pid, c0, n FROM c WHERE {condition}"
            elif source != "patterns":
                raise ValueError(f"section {name!r} reads from {source!r}: neither counts nor patterns")
            else:
                found = _named(condition, audience, conn)
            parts.append(
                f"SELECT '{name}' AS section, pid FROM ({found} ORDER BY {_RANK} LIMIT {int(limit)}) AS ranked_{name}"
            )
        weekly = ", ".join(f"SUM(reports) FILTER (WHERE week = :w{i}) AS c{i}" for i in range(HISTORY_WEEKS))
        sql = (
            f"WITH c AS (SELECT * FROM ({counted}) AS counted WHERE {kept}), s AS ({' UNION ALL '.join(parts)}), "
            f"h AS (SELECT pattern_id, {weekly} FROM pattern_weeks "
            f"WHERE pattern_id IN (SELECT pid FROM s) AND {_WEEKS} GROUP BY pattern_id) "
            f"SELECT s.section, {_PATTERN_ROW}, {', '.join(f'h.c{i}' for i in range(HISTORY_WEEKS))} "
            "FROM s JOIN patterns p ON p.id = s.pid LEFT JOIN h ON h.pattern_id = s.pid"
        )
        rows = conn.execute(text(sql), _week_params(conn, tenant_id, start, end, audience)).all()
    out: dict[str, list[tuple[PatternInfo, dict[str, int]]]] = {name: [] for name in pages}
    newest_first = tuple(reversed(mondays_before(start)))
    width = len(fields(PatternInfo))
    by_id: dict[int, tuple[PatternInfo, dict[str, int]]] = {}
    for row in rows:
        if row[1] not in by_id:
            weeks = {monday: int(n) for monday, n in zip(newest_first, row[1 + width :], strict=True) if n}
            by_id[row[1]] = (_info(row[1 : 1 + width]), weeks)
        out[row[0]].append(by_id[row[1]])
    for found in out.values():  # the statement picks by rank but returns rows in no order
        found.sort(key=lambda x: (-x[1].get(newest_first[0], 0), -sum(x[1].values()), x[0].id))
    return out


def _named(condition: str, audience: AudienceLike, conn: Connection) -> str:
    """SQL: the audience's patterns a condition on the pattern row names, with their c0 and n (the
    digest week's and the eight weeks' reports) read from their own weekly rows, by index.

    PostgreSQL reads those rows once per pattern (a lateral join); SQLite, which has none, twice."""
    where = f"p.tenant_id = :t AND {condition} AND {_of_audience('p', audience, conn)}"
    if conn.dialect.name == "postgresql":
        return (
            "SELECT p.id AS pid, COALESCE(x.c0, 0) AS c0, COALESCE(x.n, 0) AS n FROM patterns p "
            "LEFT JOIN LATERAL (SELECT SUM(reports) FILTER (WHERE week = :w0) AS c0, SUM(reports) AS n "
            f"FROM pattern_weeks WHERE pattern_id = p.id AND {_WEEKS}) AS x ON TRUE WHERE {where}"
        )
    own = "SELECT COALESCE(SUM(reports), 0) FROM pattern_weeks WHERE pattern_id = p.id"
    return f"SELECT p.id AS pid, ({own} AND week = :w0) AS c0, ({own} AND {_WEEKS}) AS n FROM patterns p WHERE {where}"


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
        _aware(r[9]),  # type: ignore[arg-type]
        _aware(r[10]),  # type: ignore[arg-type]
        r[11],
    )


def load_reporters(bind: Bind, ids: list[int]) -> dict[int, int]:
    """Distinct reporters of each pattern, all time (for the anonymity threshold)."""
    if not ids:
        return {}
    query = text(
        "SELECT pattern_id, COUNT(DISTINCT reporter_key) FROM reports WHERE pattern_id IN :ids GROUP BY pattern_id"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        rows = conn.execute(query, {"ids": ids}).all()
    return {pid: int(n) for pid, n in rows}


def load_quotes(bind: Bind, ids: list[int], start: datetime, end: datetime) -> dict[int, str]:
    """The latest report text of each pattern inside the week (one query)."""
    if not ids:
        return {}
    query = text(
        "SELECT pattern_id, text FROM (SELECT pattern_id, text, ROW_NUMBER() OVER "
        "(PARTITION BY pattern_id ORDER BY created_at DESC, id DESC) AS rn FROM reports "
        "WHERE pattern_id IN :ids AND created_at >= :s AND created_at < :e) AS latest WHERE rn = 1"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        rows = conn.execute(query, {"ids": ids, "s": _param(start, conn), "e": _param(end, conn)}).all()
    return {pid: body for pid, body in rows if body}


def as_date(monday: str) -> date:
    return date.fromisoformat(monday)
