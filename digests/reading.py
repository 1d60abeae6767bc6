"""How a digest reads the database: one connection, the SQL pieces its statements share, and the
small per-pattern lookups (distinct reporters, the latest quote)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from digests.week import AudienceLike, mondays_before
from store.privacy import RETAINED_TEXT

__all__ = [
    "Bind",
    "reading",
    "tenant_id_of",
    "sql_time",
    "week_params",
    "of_audience",
    "load_reporters",
    "load_quotes",
]

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
    """:t, :s and :e (the digest week), :aud, and :w0 (the digest week's Monday), :w1 (the one before) ..."""
    return {
        "t": tenant_id,
        "s": sql_time(start, conn),
        "e": sql_time(end, conn),
        "aud": audience.value,
        "aud_text": f'%"{audience.value}"%',  # how the label shows in a JSON list (LIKE may match more)
        **{f"w{i}": monday for i, monday in enumerate(reversed(mondays_before(start)))},
    }


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
    """The latest report text of each pattern inside the week (one query); a text the retention
    policy removed is no quote, so the latest one still there is taken."""
    if not ids:
        return {}
    query = text(
        "SELECT pattern_id, text FROM (SELECT pattern_id, text, ROW_NUMBER() OVER "
        "(PARTITION BY pattern_id ORDER BY created_at DESC, id DESC) AS rn FROM reports "
        "WHERE pattern_id IN :ids AND created_at >= :s AND created_at < :e AND text <> :removed) AS latest "
        "WHERE rn = 1"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        params = {"ids": ids, "s": sql_time(start, conn), "e": sql_time(end, conn), "removed": RETAINED_TEXT}
        rows = conn.execute(query, params).all()
    return {pid: body for pid, body in rows if body}
