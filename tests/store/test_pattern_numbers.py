"""A pattern's number is never given to another pattern, even after a rebuild drops the newest.

Managers type `status <id>` and `own <id>`, alerts and reporters' updates name patterns by number:
a number given again would send a manager's change to another problem. SQLite without
AUTOINCREMENT hands out the highest rowid again once it is deleted; PostgreSQL never does.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from store.db import make_engine, upgrade

BEFORE = "0013_report_numbers"  # the revision before patterns were numbered for good on SQLite
AFTER = "0014_pattern_numbers"


def _pattern(conn, pid: int) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO patterns (id, tenant_id, title, kinds, teams, status, first_seen, last_seen, report_count,"
            " terms, created_at) VALUES (:id, 1, 'Billing: refund', '[]', '[]', 'new', :t, :t, 1, '{}', :t)"
        ),
        {"id": pid, "t": "2026-11-20 10:00:00"},
    )


def _new_pattern_number(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patterns (tenant_id, title, kinds, teams, status, first_seen, last_seen, report_count,"
                " terms, created_at) VALUES (1, 'new', '[]', '[]', 'new', :t, :t, 1, '{}', :t)"
            ),
            {"t": "2026-11-21 10:00:00"},
        )
        return int(conn.execute(text("SELECT max(id) FROM patterns")).scalar_one())


def test_a_dropped_patterns_number_is_not_given_again_after_the_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"),
            {"t": "2026-11-01"},
        )
        for pid in (3, 9):
            _pattern(conn, pid)
        conn.execute(
            text(
                "INSERT INTO reports (id, tenant_id, pattern_id, platform, channel, shared, reporter_key, text,"
                " created_at, kinds, teams, confidence, status) VALUES (1, 1, 9, 'slack', 'C1', 0, 'k', 'refunds',"
                " :t, '[]', '[]', '{}', 'tagged')"
            ),
            {"t": "2026-11-20 10:00:00"},
        )
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM patterns ORDER BY id"))]
    upgrade(engine, AFTER)  # the rows as this revision leaves them (later ones add columns)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM patterns ORDER BY id"))] == rows
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT pattern_id FROM reports")).scalar_one() == 9
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'patterns'")).scalar_one()
        assert "AUTOINCREMENT" in sql
        conn.execute(text("UPDATE reports SET pattern_id = NULL"))
        conn.execute(text("DELETE FROM patterns WHERE id = 9"))  # as a rebuild drops a pattern nobody reused
    assert _new_pattern_number(engine) == 10
    engine.dispose()


def test_without_the_upgrade_sqlite_would_give_the_number_again(tmp_path: Path) -> None:
    """What the migration prevents, shown on the schema before it (so the test above can fail)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"),
            {"t": "2026-11-01"},
        )
        _pattern(conn, 9)
        conn.execute(text("DELETE FROM patterns WHERE id = 9"))
    assert _new_pattern_number(engine) == 1
    engine.dispose()


def test_the_migration_goes_back_down_keeping_the_patterns(tmp_path: Path) -> None:
    from alembic import command

    from store.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"),
            {"t": "2026-11-01"},
        )
        _pattern(conn, 4)
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM patterns ORDER BY id"))]
    upgrade(engine)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM patterns ORDER BY id"))] == rows
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'patterns'")).scalar_one()
        assert "AUTOINCREMENT" not in sql
    engine.dispose()
