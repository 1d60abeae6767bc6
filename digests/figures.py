"""One audience's week counted in SQL: reports, reporters, handoff and stage x kind cells, weekly totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from digests.reading import Bind, moved_rows, pattern_of_audience, reading, week_params, week_reports, weekly_rows
from digests.week import AudienceLike, Cells, WeekFigures

__all__ = ["load_figures"]


def load_figures(
    bind: Bind, tenant_id: int, start: datetime, end: datetime, audience: AudienceLike, *, k: int
) -> WeekFigures:
    """Reports, reporters, handoff and stage x kind cells of the audience's week, and its weekly totals.

    One statement and one pass over the week's reports (see reading.week_reports for which belong to
    the audience); the totals of this week and the one before are the audience's patterns' weekly
    counts, in the digest's own weeks. For the cells with fewer than k reporters, which the digest
    folds into one "other", the distinct reporters of all of them together."""
    with reading(bind) as conn:
        params = week_params(conn, tenant_id, start, end, audience) | {"k": k}
        rows = conn.execute(text(_figures_sql(audience, start, end, conn)), params).all()
    return _figures(audience.key, rows)


def _figures_sql(audience: AudienceLike, start: datetime, end: datetime, conn: Connection) -> str:
    """The statement: parts 0 (reports, reporters), 1 (handoff cells), 2 (heat cells), 3 (weekly totals),
    4 and 5 (the reporters of the handoff and heat cells under k, all of them together)."""
    pg = conn.dialect.name == "postgresql"
    c = ' COLLATE "C"' if pg else ""  # grouping and distinct by bytes, not by language rules
    join, where = week_reports(audience, conn)
    kinds = "CAST(r.kinds AS TEXT)" if pg else "r.kinds"
    lists, heat, kind = _kinds_sql(pg, c)
    mine = f"JOIN patterns p ON p.id = pw.pattern_id WHERE {pattern_of_audience('p', audience, conn)}"
    handoff = "COALESCE(hf, '?'), COALESCE(ht, '?')"
    return (
        f"WITH {moved_rows(start, end)}w AS ("
        f"SELECT r.reporter_key{c} AS k, COALESCE(NULLIF(r.stage, ''), 'unknown'){c} AS stage, {kinds} AS kinds, "
        f"NULLIF(r.handoff_from, ''){c} AS hf, NULLIF(r.handoff_to, ''){c} AS ht "
        f"FROM reports r {join} WHERE {where}), {lists}"
        "hc AS (SELECT COALESCE(hf, '?') AS a, COALESCE(ht, '?') AS b, COUNT(*) AS n, COUNT(DISTINCT k) AS m FROM w "
        f"WHERE hf IS NOT NULL OR ht IS NOT NULL GROUP BY {handoff}), "
        f"kc AS (SELECT stage, {kind} AS kind, COUNT(*) AS n, COUNT(DISTINCT k) AS m {heat} GROUP BY stage, {kind}) "
        "SELECT 0 AS part, CAST(NULL AS TEXT) AS a, CAST(NULL AS TEXT) AS b, COUNT(*) AS n, COUNT(DISTINCT k) AS m "
        "FROM w "
        "UNION ALL SELECT 1, hc.* FROM hc "
        "UNION ALL SELECT 2, kc.* FROM kc "
        "UNION ALL SELECT 3, NULL, NULL, COALESCE(SUM(pw.reports) FILTER (WHERE pw.week = :w0), 0), "
        f"COALESCE(SUM(pw.reports) FILTER (WHERE pw.week = :w1), 0) FROM ({weekly_rows(start, end, weeks=2)}) AS pw "
        f"{'' if audience.kind == 'all' else mine} "
        f"UNION ALL SELECT 4, NULL, NULL, 0, COUNT(DISTINCT k) FROM w WHERE ({handoff}) IN "
        "(SELECT a, b FROM hc WHERE m < :k) "
        f"UNION ALL SELECT 5, NULL, NULL, 0, COUNT(DISTINCT k) {heat} "  # the stage first: it spares the kinds
        f"AND w.stage IN (SELECT stage FROM kc WHERE m < :k) AND (w.stage, {kind}) IN "
        "(SELECT stage, kind FROM kc WHERE m < :k)"
    )


def _kinds_sql(pg: bool, c: str) -> tuple[str, str, str]:
    """The stage x kind cells: the extra common tables, FROM ... WHERE the reports with their kinds, the kind."""
    if pg:  # each distinct list of kinds parsed once, not once a report
        lists = (
            "lists AS (SELECT DISTINCT kinds FROM w), "
            f"listed AS (SELECT kinds, x.v{c} AS kind FROM lists, "
            "json_array_elements_text(CAST(lists.kinds AS JSON)) AS x(v)), "
        )
        return lists, "FROM w JOIN listed ON listed.kinds = w.kinds WHERE 1 = 1", "kind"
    return "", "FROM w, json_each(w.kinds) AS x WHERE 1 = 1", "x.value"


def _figures(audience: str, rows: Iterable[Sequence[Any]]) -> WeekFigures:
    """The statement's rows folded into the week's figures."""
    reports = reporters = total = prev = 0
    folded = [0, 0]
    cells_of: tuple[Cells, Cells] = ({}, {})
    for part, a, b, n, m in rows:
        if part == 0:
            reports, reporters = int(n), int(m)
        elif part == 3:
            total, prev = int(n), int(m)
        elif part >= 4:
            folded[part - 4] = int(m)
        else:
            cells_of[part - 1][(a, b)] = (int(n), int(m))
    return WeekFigures(audience, reports, reporters, total, prev, cells_of[0], cells_of[1], folded[0], folded[1])
