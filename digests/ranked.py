"""The patterns each digest section can show, ranked in SQL, with their weekly counts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from digests.reading import Bind, moved_rows, pattern_of_audience, reading, sql_time, week_params, weekly_rows
from digests.week import HISTORY_WEEKS, AudienceLike, PatternInfo, mondays_before, week_moves

__all__ = ["load_ranked", "Ranked", "RankedPattern", "Rules"]


@dataclass(frozen=True)
class RankedPattern(PatternInfo):
    """A pattern as a section's statement reads it, with its distinct reporters in the digest week
    and in the week before (a week's count is shown only when at least k people made it), and
    all of them by the week's end (the anonymity threshold: a report filed since tells nothing of
    the week)."""

    people: tuple[int, int] = (0, 0)
    reporters: int = 0


Ranked = list[tuple[RankedPattern, dict[str, int]]]  # patterns, best first, each with Monday -> reports
Rules = Mapping[str, tuple[str, str, str | None]]  # section -> (source, condition, the part left to the pattern row)

_PATTERN_ROW = (
    "p.id, p.title, p.stage, CAST(p.kinds AS TEXT), CAST(p.teams AS TEXT), p.status, p.owner, p.owner_set_at, "
    "p.status_changed_at, p.first_seen, p.last_seen, p.report_count, {tagged}, {members}"
)
# Of the pattern's terms, its team tag counts (a JSON object, "xt:<team>" -> reports) and its members.
_TAGGED = {
    "sqlite": (
        "(SELECT json_group_object(key, value) FROM json_each(p.terms) WHERE key LIKE 'xt:%')",
        "json_extract(p.terms, '$._n')",
    ),
    "postgresql": (
        "(SELECT CAST(json_object_agg(key, value) AS TEXT) FROM json_each(p.terms) WHERE key LIKE 'xt:%')",
        "CAST(p.terms ->> '_n' AS FLOAT)",
    ),
}
# The digest's rank: this week's reports as shown (none when from fewer than k people: a line whose
# count is not shown must not be placed by it), then the eight weeks', then the id.
_RANK = "shown DESC, n DESC, pid"
_WEEKS = f"week >= :w{HISTORY_WEEKS - 1} AND week <= :w0"  # the eight weeks
# A LIMIT that keeps every row. A subquery with a LIMIT is computed (and sorted) as written and
# then read row by row, in its order: the database may not move the outer query's checks (the
# reporters, the pattern row) into it, where they would run on every pattern the rule keeps
# rather than on the best ones until the section has enough.
_EVERY = 2_147_483_647


def load_ranked(
    bind: Bind,
    tenant_id: int,
    start: datetime,
    end: datetime,
    audience: AudienceLike,
    counts: Mapping[str, str],
    rules: Rules,
    *,
    page: int,
    k: int,
    most: int,
    moments: Mapping[str, datetime] | None = None,
) -> tuple[dict[str, Ranked], dict[str, int]]:
    """For each section of `rules`, its `page` best-ranked patterns with at least k reporters that meet
    its SQL rule, and how many such patterns there are, counted up to `most`.

    `counts` are the per-pattern expressions over the weekly counts c0 (the digest week's reports),
    c1 (the week before) ... the rules use (signals.SQL_COUNTS), `rules` each section's source,
    condition and the part left to the pattern row (signals.SQL_RULES), `moments` the named moments
    the rules compare with (signals.sql_moments); p0 is a pattern's distinct reporters in the digest
    week. Ranked as the digest ranks (most reports this week, counted as none when from fewer than
    k people, then most in the eight weeks, then id), each with its weekly counts (Monday ->
    reports, zeros left out) and its distinct reporters this week and the week before. One
    statement: the eight weeks are aggregated once for every pattern of the audience (p0 read by
    index for those with at least k reports this week); each section's rows are sorted, and the
    pattern row and the reporters (all time, at least k distinct) are checked from the best down
    until `most` patterns pass; only the `page` best of those read their pattern row, weekly
    counts and the week before's reporters."""
    if "c0" not in counts:
        raise ValueError("the rank needs c0, the digest week's reports")
    if not rules:
        return {}, {}
    with reading(bind) as conn:
        sql = _ranked_sql(start, end, audience, counts, rules, most, conn)
        params = week_params(conn, tenant_id, start, end, audience) | {"k": k, "page": page}
        params |= {"sb": sql_time(start - timedelta(days=7), conn)}  # the week before, as week_windows has it
        params |= {name: sql_time(moment, conn) for name, moment in (moments or {}).items()}
        rows = conn.execute(text(sql), params).all()
    return _by_section(rows, rules, start, k)


def _ranked_sql(
    start: datetime,
    end: datetime,
    audience: AudienceLike,
    counts: Mapping[str, str],
    rules: Rules,
    most: int,
    conn: Connection,
) -> str:
    """The statement: c, the counts of the patterns some counts rule keeps, sorted once by rank for
    every section that reads them; s, each section's patterns that pass (at most `most`); r, them
    ranked and counted per section; h and pp, the weekly counts and the reporters (this week, the
    week before, and all by the week's end, in one pass over their reports, by index) of the :page
    best of each; then those rows with their pattern row, counts and reporters."""
    kept = " OR ".join(f"({condition})" for source, condition, _ in rules.values() if source == "counts") or "1 = 0"
    parts = [_section_sql(name, rule, most, start, end, audience, conn) for name, rule in rules.items()]
    weekly = ", ".join(f"SUM(reports) FILTER (WHERE week = :w{i}) AS c{i}" for i in range(HISTORY_WEEKS))
    best = "pattern_id IN (SELECT pid FROM r WHERE rn <= :page)"
    return (
        f"WITH {moved_rows(start, end)}{_moved_sums(start, end, rules)}"
        f"c AS (SELECT * FROM ({_counted_sql(start, end, audience, counts, conn)}) "
        f"AS counted WHERE {kept} ORDER BY {_RANK} LIMIT {_EVERY}), "
        f"s AS ({' UNION ALL '.join(parts)}), "
        f"r AS (SELECT section, pid, ROW_NUMBER() OVER (PARTITION BY section ORDER BY {_RANK}) AS rn, "
        "COUNT(*) OVER (PARTITION BY section) AS size FROM s), "
        f"h AS (SELECT pattern_id, {weekly} FROM ({weekly_rows(start, end, only=best)}) AS wk GROUP BY pattern_id), "
        "pp AS (SELECT pattern_id, COUNT(DISTINCT CASE WHEN created_at >= :s THEN reporter_key END) AS p0, "
        "COUNT(DISTINCT CASE WHEN created_at >= :sb AND created_at < :s THEN reporter_key END) AS p1, "
        f"COUNT(DISTINCT reporter_key) AS everyone FROM reports WHERE {best} AND created_at < :e GROUP BY pattern_id) "
        f"SELECT r.section, r.size, {_pattern_row(conn)}, {', '.join(f'h.c{i}' for i in range(HISTORY_WEEKS))}, "
        "COALESCE(pp.p0, 0), COALESCE(pp.p1, 0), COALESCE(pp.everyone, 0) FROM r JOIN patterns p ON p.id = r.pid "
        "LEFT JOIN h ON h.pattern_id = r.pid LEFT JOIN pp ON pp.pattern_id = r.pid WHERE r.rn <= :page"
    )


def _counted_sql(
    start: datetime, end: datetime, audience: AudienceLike, counts: Mapping[str, str], conn: Connection
) -> str:
    """The audience's patterns with each expression of `counts` over their weekly counts and p0
    (_people), n (the eight weeks) and shown (this week's reports, none when from fewer than k people)."""
    used = sorted({int(i) for sql in counts.values() for i in re.findall(r"\bc(\d+)\b", sql)})
    weekly = ", ".join(f"COALESCE(SUM(reports) FILTER (WHERE week = :w{i}), 0) AS c{i}" for i in used)
    names = ", ".join(f"{sql} AS {name}" for name, sql in counts.items())
    counted = (
        f"SELECT pid, {names}, n, CASE WHEN p0 >= :k THEN c0 ELSE 0 END AS shown FROM ("
        f"SELECT once.*, {_people('once')} AS p0 FROM (SELECT pattern_id AS pid, {weekly}, SUM(reports) AS n "
        f"FROM ({weekly_rows(start, end)}) AS wk GROUP BY pattern_id) AS once LIMIT {_EVERY}) AS week_once"
    )
    if audience.kind == "all":
        return counted
    return (
        f"SELECT mine.* FROM ({counted}) AS mine JOIN patterns p ON p.id = mine.pid "
        f"WHERE {pattern_of_audience('p', audience, conn)}"
    )


def _section_sql(
    name: str,
    rule: tuple[str, str, str | None],
    most: int,
    start: datetime,
    end: datetime,
    audience: AudienceLike,
    conn: Connection,
) -> str:
    """One section's patterns that pass, best first, at most `most`: its rule's rows sorted by rank,
    then each checked in turn (the pattern row's part of the rule, at least :k reporters)."""
    source, condition, rest = rule
    if source == "counts":  # c is in rank order already
        found = f"SELECT pid, c0, n, shown FROM c WHERE {condition} LIMIT {_EVERY}"
    elif source == "patterns":
        found = f"SELECT pid, c0, n, shown FROM ({_named(condition, start, end, audience, conn)}) AS found_{name} "
        found += f"ORDER BY {_RANK} LIMIT {_EVERY}"
    else:
        raise ValueError(f"section {name!r} reads from {source!r}: neither counts nor patterns")
    ranked = f"ranked_{name}"
    checks = [f"EXISTS (SELECT 1 FROM patterns p WHERE p.id = {ranked}.pid AND {rest})"] if rest else []
    checks.append(
        "(SELECT COUNT(*) FROM (SELECT DISTINCT reporter_key FROM reports "
        f"WHERE pattern_id = {ranked}.pid AND created_at < :e LIMIT :k) AS who) >= :k"  # people by the week's end
    )
    return (
        f"SELECT '{name}' AS section, pid, c0, n, shown FROM (SELECT pid, c0, n, shown FROM ({found}) AS {ranked} "
        f"WHERE {' AND '.join(checks)} LIMIT {int(most)}) AS kept_{name}"
    )


def _people(alias: str) -> str:
    """SQL: p0, the distinct reporters in the digest week of the pattern row `alias` (pid, c0), read by
    index only when its reports that week (c0) are at least :k: fewer cannot be from k people. A
    subquery with a LIMIT computes it once a row (see _EVERY)."""
    return (
        f"CASE WHEN {alias}.c0 >= :k THEN (SELECT COUNT(DISTINCT reporter_key) FROM reports "
        f"WHERE pattern_id = {alias}.pid AND created_at >= :s AND created_at < :e) ELSE 0 END"
    )


def _pattern_row(conn: Connection) -> str:
    """The pattern's columns _info reads, in order."""
    tagged, members = _TAGGED[conn.dialect.name]
    return _PATTERN_ROW.format(tagged=tagged, members=members)


def _moved_sums(start: datetime, end: datetime, rules: Rules) -> str:
    """SQL: the common table `md AS (...), ` (what the digest's own weeks move, per pattern: c0 and n), which
    _named adds to the patterns a condition names; nothing when there is nothing to move or no such section."""
    if not week_moves(start, end) or not any(source == "patterns" for source, _, _ in rules.values()):
        return ""
    return (
        "md AS (SELECT pattern_id, SUM(CASE WHEN week = :w0 THEN reports ELSE 0 END) AS c0, SUM(reports) AS n "
        f"FROM moved WHERE {_WEEKS} GROUP BY pattern_id), "
    )


def _named(condition: str, start: datetime, end: datetime, audience: AudienceLike, conn: Connection) -> str:
    """SQL: the audience's patterns a condition on the pattern row names, with their c0 and n (the
    digest week's and the eight weeks' reports) read from their own weekly rows, by index, plus
    what the digest's own weeks move (moved_rows), and shown (c0, or none when from fewer than k
    people: _people).

    PostgreSQL reads those rows once per pattern (a lateral join); SQLite, which has none, twice.
    The moved rows come summed per pattern (md, _moved_sums), once for every such section: joined
    to the few patterns named, rather than grouped with them row by row."""
    where = f"p.tenant_id = :t AND {condition} AND {pattern_of_audience('p', audience, conn)}"
    if conn.dialect.name == "postgresql":
        named = (
            "SELECT p.id AS pid, COALESCE(x.c0, 0) AS c0, COALESCE(x.n, 0) AS n FROM patterns p "
            "LEFT JOIN LATERAL (SELECT SUM(reports) FILTER (WHERE week = :w0) AS c0, SUM(reports) AS n "
            f"FROM pattern_weeks WHERE pattern_id = p.id AND {_WEEKS}) AS x ON TRUE WHERE {where}"
        )
    else:
        own = "SELECT COALESCE(SUM(reports), 0) FROM pattern_weeks WHERE pattern_id = p.id"
        named = f"SELECT p.id AS pid, ({own} AND week = :w0) AS c0, ({own} AND {_WEEKS}) AS n "
        named += f"FROM patterns p WHERE {where}"
    if week_moves(start, end):
        named = (
            "SELECT named.pid, named.c0 + COALESCE(md.c0, 0) AS c0, named.n + COALESCE(md.n, 0) AS n "
            f"FROM ({named}) AS named LEFT JOIN md ON md.pattern_id = named.pid"
        )
    return (
        "SELECT pid, c0, n, CASE WHEN p0 >= :k THEN c0 ELSE 0 END AS shown FROM "
        f"(SELECT named.*, {_people('named')} AS p0 FROM ({named}) AS named LIMIT {_EVERY}) AS seen"
    )


def _by_section(
    rows: Iterable[Sequence[Any]], rules: Rules, start: datetime, k: int
) -> tuple[dict[str, Ranked], dict[str, int]]:
    """The statement's rows, each pattern read once, per section in rank order; and each section's size."""
    out: dict[str, Ranked] = {name: [] for name in rules}
    sizes = dict.fromkeys(rules, 0)
    newest_first = tuple(reversed(mondays_before(start)))
    width = len(fields(PatternInfo))
    by_id: dict[int, tuple[RankedPattern, dict[str, int]]] = {}
    for row in rows:
        pid = row[2]
        if pid not in by_id:
            counts = row[2 + width : 2 + width + HISTORY_WEEKS]
            weeks = {monday: int(n) for monday, n in zip(newest_first, counts, strict=True) if n}
            by_id[pid] = (_info(row[2 : 2 + width], (int(row[-3]), int(row[-2])), int(row[-1])), weeks)
        out[row[0]].append(by_id[pid])
        sizes[row[0]] = int(row[1])

    def shown(x: tuple[RankedPattern, dict[str, int]]) -> int:
        return x[1].get(newest_first[0], 0) if x[0].people[0] >= k else 0

    for ranked in out.values():  # the statement picks by rank but returns rows in no order
        ranked.sort(key=lambda x: (-shown(x), -sum(x[1].values()), x[0].id))
    return out, sizes


def _info(r: Sequence[Any], people: tuple[int, int], reporters: int) -> RankedPattern:
    """A pattern row as read by _PATTERN_ROW, with its reporters this week and the week before, and
    all by the week's end."""
    first_seen, last_seen = _aware(r[9]), _aware(r[10])
    assert first_seen is not None and last_seen is not None  # the columns are NOT NULL
    return RankedPattern(
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
        _team_reports(r[12]),
        int(r[13] or 0),
        people,
        reporters,
    )


def _team_reports(value: str | None) -> tuple[tuple[str, int], ...]:
    """The team tag counts as read ({"xt:finance": 4, ...}), as (team, reports) pairs."""
    return tuple(sorted((key[3:], int(n)) for key, n in json.loads(value or "{}").items()))


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
