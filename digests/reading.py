"""How a digest reads the database: one connection, the SQL pieces its statements share, and the
small per-pattern lookups (distinct reporters, the latest quote)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from digests.week import HISTORY_WEEKS, SHARE, AudienceLike, mondays_before, week_moves, week_windows
from store.db import no_jit

__all__ = [
    "Bind",
    "reading",
    "tenant_id_of",
    "sql_time",
    "week_params",
    "weekly_rows",
    "of_audience",
    "pattern_of_audience",
    "load_owners",
    "week_reports",
    "load_reporters",
    "load_reporters_outside",
    "load_week_people",
]

Bind = Engine | Connection


@contextmanager
def reading(bind: Bind) -> Iterator[Connection]:
    """The connection the digest reads on: the one given, or a new one (one per digest saves round trips).

    On PostgreSQL a new one is told not to JIT-compile: the planner guesses a JSON list holds a
    hundred elements, so the digest's short aggregates look costly enough to compile, and compiling
    them takes longer than running them. Nor to start parallel workers: the digest's two reads
    already run side by side, and the planner, which cannot tell how many patterns the weekly
    counts of a digest not on UTC hold, took a worker's start for a saving."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        no_jit(conn, parallel=False)
        yield conn


def tenant_id_of(bind: Bind, platform: str, tenant: str) -> int | None:
    """The id of a tenant's row, or None when it has none yet."""
    with reading(bind) as conn:
        return conn.execute(
            text("SELECT id FROM tenants WHERE platform = :p AND external_id = :t"), {"p": platform, "t": tenant}
        ).scalar()


def sql_time(dt: datetime, conn: Connection) -> object:
    """A moment as a bound parameter: SQLite stores naive UTC text; PostgreSQL compares aware timestamps."""
    return dt.astimezone(UTC).replace(tzinfo=None) if conn.dialect.name == "sqlite" else dt


def week_params(
    conn: Connection, tenant_id: int, start: datetime, end: datetime, audience: AudienceLike
) -> dict[str, object]:
    """:t, :s and :e (the digest week), :aud, and :w0 (the digest week's Monday), :w1 (the one before) ...,
    and :m0a, :m0b, :m0w0 ... (the hours moved between weeks, see moved_rows)."""
    moved: dict[str, object] = {}
    for j, ((lo, hi), mondays) in enumerate(_moves(start, end).items()):
        moved |= {f"m{j}a": sql_time(lo, conn), f"m{j}b": sql_time(hi, conn)}
        moved |= {f"m{j}w{i}": monday for i, (monday, _) in enumerate(mondays)}
    return {
        "t": tenant_id,
        "s": sql_time(start, conn),
        "e": sql_time(end, conn),
        "aud": audience.value,
        "aud_text": f'%"{audience.value}"%',  # how the label shows in a JSON list (LIKE may match more)
        "aud_path": f'$."{audience.value}"',  # the team's count in a pattern's team_counts (SQLite)
        "aud_owners": json.dumps(sorted(audience.owners)),
        "aud_stakes": json.dumps(sorted(audience.stakes)),
        **{f"w{i}": monday for i, monday in enumerate(reversed(mondays_before(start)))},
        **moved,
    }


def _moves(start: datetime, end: datetime) -> dict[tuple[datetime, datetime], list[tuple[str, int]]]:
    """week_moves by the hours they move: each span with the Mondays it adds to (+1) or takes from (-1)."""
    spans: dict[tuple[datetime, datetime], list[tuple[str, int]]] = {}
    for lo, hi, monday, sign in week_moves(start, end):
        spans.setdefault((lo, hi), []).append((monday, sign))
    return spans


def moved_rows(start: datetime, end: datetime) -> str:
    """SQL: the common table `moved AS (...), ` that weekly_rows reads, or nothing when the digest's
    weeks are UTC weeks.

    The weekly counts are kept by UTC week; for a digest whose weeks are not, each report of the
    few hours between its Mondays and the UTC ones (week_moves) gives a row of -1 for the week
    that counted it and +1 for the week it belongs to, read once from the reports' index on
    (tenant, created, pattern) alone."""
    spans = [
        "SELECT r.pattern_id, m.week, m.reports FROM reports r CROSS JOIN ("  # CROSS: SQLite reads the span once
        + " UNION ALL ".join(f"SELECT :m{j}w{i} AS week, {sign} AS reports" for i, (_, sign) in enumerate(mondays))
        + f") AS m WHERE r.tenant_id = :t AND r.pattern_id IS NOT NULL AND r.created_at >= :m{j}a "
        f"AND r.created_at < :m{j}b"
        for j, mondays in enumerate(_moves(start, end).values())
    ]
    return f"moved AS ({' UNION ALL '.join(spans)}), " if spans else ""


def weekly_rows(start: datetime, end: datetime, *, weeks: int = HISTORY_WEEKS, only: str | None = None) -> str:
    """SQL: (pattern_id, week, reports) rows giving the tenant's weekly counts of the digest's weeks
    :w{weeks - 1} to :w0 once summed per pattern and week (digests.week.week_windows); `only`, a
    condition on pattern_id every row meets. The statement starts with moved_rows."""
    also = f" AND {only}" if only else ""
    counted = (
        f"SELECT pattern_id, week, reports FROM pattern_weeks WHERE tenant_id = :t AND week >= :w{weeks - 1} "
        f"AND week <= :w0{also}"
    )
    if not week_moves(start, end):
        return counted
    return f"{counted} UNION ALL SELECT pattern_id, week, reports FROM moved WHERE week >= :w{weeks - 1}{also}"


def of_audience(alias: str, audience: AudienceLike, conn: Connection) -> str:
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


def pattern_of_audience(alias: str, audience: AudienceLike, conn: Connection) -> str:
    """SQL: the pattern row `alias` belongs to the audience, as Audience.has_pattern decides once
    with_stakes has read the pattern: for a team, the team among its teams, a third of its reports
    tagged with the team (its team_counts, as shares_team reads them), an owner the taxonomy reads
    as the team (the audience's `owners`, load_owners), or one of its `stakes`."""
    if audience.kind != "team":
        return of_audience(alias, audience, conn)
    counts = f"{alias}.team_counts"
    if conn.dialect.name == "postgresql":
        tagged, members = f"CAST({counts} ->> :aud AS INTEGER)", f"CAST({counts} ->> '_n' AS INTEGER)"
        listed = f"CAST({counts} AS TEXT) LIKE :aud_text"
        owners, stakes = (
            f"SELECT json_array_elements_text(CAST(:{key} AS JSON))" for key in ("aud_owners", "aud_stakes")
        )
        stakes = f"SELECT CAST(x AS INTEGER) FROM ({stakes}) AS stake(x)"
    else:
        tagged, members = f"json_extract({counts}, :aud_path)", f"json_extract({counts}, '$._n')"
        listed = f"{counts} LIKE :aud_text"
        owners, stakes = (f"SELECT value FROM json_each(:{key})" for key in ("aud_owners", "aud_stakes"))
    held = [of_audience(alias, audience, conn), f"({listed} AND {tagged} > 0 AND {tagged} * {SHARE} >= {members})"]
    held += [f"{alias}.owner IN ({owners})"] if audience.owners else []
    held += [f"{alias}.id IN ({stakes})"] if audience.stakes else []
    return f"({' OR '.join(held)})"


def load_owners(bind: Bind, tenant_id: int) -> list[str]:
    """The owners the tenant's patterns name, each once (by the index on tenant and owner):
    Audience.with_owners keeps those a team's digest reads as the team."""
    with reading(bind) as conn:
        where = "tenant_id = :t AND owner IS NOT NULL AND merged_into IS NULL"  # a merged row holds no reports
        query = text(f"SELECT DISTINCT owner FROM patterns WHERE {where}")
        return list(conn.execute(query, {"t": tenant_id}).scalars())


def week_reports(audience: AudienceLike, conn: Connection) -> tuple[str, str]:
    """SQL: the join and the condition that pick the audience's reports (alias r) of the digest week.

    A report belongs to the audience through its pattern's teams or stage, or through its own
    when it has no pattern. The pattern is looked up by its key, report by report (a subquery in
    the condition, not a join): joining, PostgreSQL hashed every pattern of the tenant, a pass over
    the whole table, for the few thousand the week's reports name."""
    where = "r.tenant_id = :t AND r.created_at >= :s AND r.created_at < :e"
    if audience.kind == "all":
        return "", where
    pattern = f"SELECT {pattern_of_audience('p', audience, conn)} FROM patterns p WHERE p.id = r.pattern_id"
    where += (
        f" AND CASE WHEN r.pattern_id IS NULL THEN {of_audience('r', audience, conn)} "
        f"ELSE COALESCE(({pattern}), FALSE) END"
    )
    return "", where


def load_reporters(
    bind: Bind, ids: list[int], *, within: tuple[datetime, datetime] | None = None, until: datetime | None = None
) -> dict[int, int]:
    """Distinct reporters of each pattern (for the anonymity threshold), all time, `within` a week
    (from, to), or `until` a moment (a digest's week's end: a report filed since tells nothing of
    its week); one statement for all of them."""
    if not ids:
        return {}
    start, end = within if within else (None, until)
    when = (" AND created_at >= :s" if start else "") + (" AND created_at < :e" if end else "")
    query = text(
        f"SELECT pattern_id, COUNT(DISTINCT reporter_key) FROM reports WHERE pattern_id IN :ids{when} "
        "GROUP BY pattern_id"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        params: dict[str, object] = {"ids": ids}
        params |= {"s": sql_time(start, conn)} if start else {}
        params |= {"e": sql_time(end, conn)} if end else {}
        rows = conn.execute(query, params).all()
    return {pid: int(n) for pid, n in rows}


def load_week_people(bind: Bind, start: datetime, end: datetime, ids: Collection[int]) -> dict[int, tuple[int, ...]]:
    """Distinct reporters of each pattern in each of the digest's weeks, oldest first: the weeks its
    weekly counts are counted in (week_windows), so a week's people and its count are of the same
    reports. One statement for all the patterns and weeks, read by the index on (pattern, created)."""
    if not ids:
        return {}
    windows = week_windows(start, end)
    week = " ".join(f"WHEN created_at >= :b{i} THEN {i}" for i in reversed(range(1, len(windows))))
    query = text(
        f"SELECT pattern_id, CASE {week} ELSE 0 END AS week, COUNT(DISTINCT reporter_key) FROM reports "
        "WHERE pattern_id IN :ids AND created_at >= :b0 AND created_at < :e GROUP BY pattern_id, week"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        params: dict[str, object] = {f"b{i}": sql_time(lo, conn) for i, (_, lo, _) in enumerate(windows)}
        rows = conn.execute(query, params | {"ids": sorted(ids), "e": sql_time(end, conn)}).all()
    people = {pid: [0] * len(windows) for pid in ids}
    for pid, i, n in rows:
        people[pid][int(i)] = int(n)
    return {pid: tuple(weeks) for pid, weeks in people.items()}


def load_reporters_outside(
    bind: Bind,
    tenant_id: int,
    start: datetime,
    end: datetime,
    audience: AudienceLike,
    listed: Collection[int],
    *,
    k: int,
    patterned: bool = False,
) -> int:
    """Distinct reporters of the audience's week outside the `listed` patterns (the digest's "not
    listed" slice), counted up to k: k means k or more. `patterned`: of reports in a pattern only.

    Reads the start of the slice, longer and longer, and stops once k people are found (usually
    among the first few dozen reports), since a database counts every row for COUNT(DISTINCT)."""
    page = 16 * max(k, 1)
    with reading(bind) as conn:
        join, where = week_reports(audience, conn)
        outside = "(r.pattern_id IS NULL OR r.pattern_id NOT IN :listed)" if listed else "1 = 1"
        if patterned:  # as the week-on-week totals count: reports in a pattern only
            outside = f"r.pattern_id IS NOT NULL AND {outside}"
        query = text(
            "SELECT COUNT(*), COUNT(DISTINCT who) FROM (SELECT r.reporter_key AS who FROM reports r "
            f"{join} WHERE {where} AND {outside} LIMIT :page) AS slice"
        )
        if listed:
            query = query.bindparams(bindparam("listed", expanding=True))
        params = week_params(conn, tenant_id, start, end, audience) | {"listed": sorted(listed)}
        while True:
            rows, people = conn.execute(query, params | {"page": page}).one()
            if people >= k or rows < page:
                return min(int(people), k)
            page *= 8
