"""Patterns remember the pattern a manager merged them into (migration 0020, `merged_into`).

A database upgraded from before keeps every pattern as it was, none merged; on SQLite the
patterns table keeps its AUTOINCREMENT (migration 0014: a pattern's number is never given again),
which a rebuild of the table to add a column would have to carry over. The migration goes back
down keeping the patterns too.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from store.db import alembic_config, make_engine, upgrade

BEFORE = "0019_reports_pattern_people"  # the revision before patterns could be merged
AT = {"t": "2026-11-20 10:00:00"}


def _rows(conn) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    query = "SELECT id, tenant_id, title, status, owner, report_count FROM patterns ORDER BY id"
    return [tuple(r) for r in conn.execute(text(query))]


def test_the_migration_adds_merged_into_keeping_the_patterns_and_goes_back_down(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE)
        assert "merged_into" not in {c["name"] for c in inspect(engine).get_columns("patterns")}
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"), AT
            )
            for pid, owner in ((7, "Dana"), (12, None)):
                conn.execute(
                    text(
                        "INSERT INTO patterns (id, tenant_id, title, kinds, teams, status, owner, first_seen,"
                        " last_seen, report_count, terms, created_at) VALUES (:id, 1, 'Billing: refund', '[]',"
                        " '[]', 'new', :owner, :t, :t, 3, '{}', :t)"
                    ),
                    AT | {"id": pid, "owner": owner},
                )
            rows = _rows(conn)
        upgrade(engine)
        with engine.begin() as conn:
            assert _rows(conn) == rows
            assert conn.execute(text("SELECT merged_into FROM patterns")).scalars().all() == [None, None]
            conn.execute(text("UPDATE patterns SET merged_into = 7, report_count = 0 WHERE id = 12"))
            assert conn.execute(text("SELECT merged_into FROM patterns WHERE id = 12")).scalar_one() == 7
            if engine.dialect.name == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'patterns'")).scalar_one()
                assert "AUTOINCREMENT" in sql
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        assert "merged_into" not in {c["name"] for c in inspect(engine).get_columns("patterns")}
        with engine.begin() as conn:
            assert [r[0] for r in _rows(conn)] == [7, 12]
        upgrade(engine)
        assert "merged_into" in {c["name"] for c in inspect(engine).get_columns("patterns")}
    finally:
        engine.dispose()
