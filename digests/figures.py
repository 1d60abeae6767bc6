"""One audience's week counted in SQL: reports, reporters, handoff and stage x kind cells, weekly totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from digests.reading import Bind, of_audience, reading, week_params
from digests.week import AudienceLike, Cells, WeekFigures

__all__ = ["load_figures"]


def load_figures(bind: Bind, tenant_id: int, start: datetime, end: datetime, audience: AudienceLike) -> WeekFigures:
    """Reports, reporters, handoff and stage x kind cells of the audience's week, and its weekly totals.

    One statement and one pass over the week's reports. A report belongs to the audience through its
    pattern's teams or stage, or through its own when it has no pattern; the totals of this week and
    the one before are the audience's patterns' weekly counts."""
    with reading(bind) as conn:
        rows = conn.execute(
            text(_figures_sql(audience, conn)), week_params(conn, tenant_id, start, end, audience)
        ).all()
    return _figures(audience.key, rows)


def _figures_sql(audience: AudienceLike, conn: Connection) -> str:
    """The statement: parts 0 (reports, reporters), 1 (handoff cells), 2 (heat cells), 3 (weekly totals)."""
    pg = conn.dialect.name == "postgresql"
    c = ' COLLATE "C"' if pg else ""  # grouping and distinct by bytes, not by language rules
    join, where, joined = _audience_sql(audience, conn)
    kinds = "CAST(r.kinds AS TEXT)" if pg else "r.kinds"
    cells, heat, kind = _kinds_sql(pg, c)
    return (
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


def _audience_sql(audience: AudienceLike, conn: Connection) -> tuple[str, str, str]:
    """The week's reports' join and condition, and the weekly counts' join, for the audience."""
    where = "r.tenant_id = :t AND r.created_at >= :s AND r.created_at < :e"
    if audience.kind == "all":
        return "", where, ""
    where += (
        f" AND CASE WHEN r.pattern_id IS NULL THEN {of_audience('r', audience, conn)} "
        f"ELSE {of_audience('p', audience, conn)} END"
    )
    joined = f"JOIN patterns p ON p.id = pw.pattern_id WHERE {of_audience('p', audience, conn)} AND"
    return "LEFT JOIN patterns p ON p.id = r.pattern_id", where, joined


def _kinds_sql(pg: bool, c: str) -> tuple[str, str, str]:
    """The stage x kind cells: the extra common tables, the heat part's FROM ... GROUP BY, the kind column."""
    if pg:  # each distinct list of kinds parsed once, not once a report
        cells = (
            ", lists AS (SELECT DISTINCT kinds FROM w), "
            f"listed AS (SELECT kinds, x.v{c} AS kind FROM lists, "
            "json_array_elements_text(CAST(lists.kinds AS JSON)) AS x(v)) "
        )
        return cells, "FROM w JOIN listed ON listed.kinds = w.kinds GROUP BY stage, kind", "kind"
    return " ", "FROM w, json_each(w.kinds) AS x GROUP BY stage, x.value", "x.value"


def _figures(audience: str, rows: Iterable[Sequence[Any]]) -> WeekFigures:
    """The statement's rows folded into the week's figures."""
    reports = reporters = total = prev = 0
    cells_of: tuple[Cells, Cells] = ({}, {})
    for part, a, b, n, m in rows:
        if part == 0:
            reports, reporters = int(n), int(m)
        elif part == 3:
            total, prev = int(n), int(m)
        else:
            cells_of[part - 1][(a, b)] = (int(n), int(m))
    return WeekFigures(audience, reports, reporters, total, prev, cells_of[0], cells_of[1])
