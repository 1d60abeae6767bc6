"""A subscription's id is never given to another subscription, even after the newest is removed.

Digest runs and alerts are kept by `audience#id`: a new subscription given a removed one's id took
over its history ("last: sent Mon 30 Nov" of a digest it never got, its own that week skipped).
SQLite without AUTOINCREMENT hands out the highest rowid again once it is deleted; PostgreSQL never
does. A database upgraded from before migration 0017 keeps its subscriptions, and numbers the next
one past every id its digest runs and alerts name: the newest subscription may be gone already.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.db import make_engine, upgrade

BEFORE = "0016_receipt_messages"  # the revision before subscriptions were numbered for good on SQLite
AT = {"t": "2026-11-20 10:00:00"}


def _subscription(conn, destination: str) -> int:  # type: ignore[no-untyped-def]
    """A subscription numbered by the database, as `snag subscribe` makes one; its id."""
    conn.execute(
        text(
            "INSERT INTO subscriptions (tenant_id, audience, platform, destination, cron, timezone, alerts,"
            " created_at) VALUES (1, 'all', 'slack', :d, '0 9 * * mon', 'UTC', TRUE, :t)"
        ),
        AT | {"d": destination},
    )
    return int(conn.execute(text("SELECT id FROM subscriptions WHERE destination = :d"), {"d": destination}).scalar())


def _rows(conn) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [tuple(r) for r in conn.execute(text("SELECT * FROM subscriptions ORDER BY id"))]


def test_an_upgraded_database_keeps_its_subscriptions_and_never_gives_an_id_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"), AT
            )
            kept = [_subscription(conn, d) for d in ("C1", "C2")]
            gone = _subscription(conn, "C3")
            conn.execute(
                text(
                    "INSERT INTO digest_runs (tenant_id, audience, period, status, started_at)"
                    " VALUES (1, :a, '2026-W47', 'sent', :t)"
                ),
                AT | {"a": f"all#{gone}"},
            )
            conn.execute(text("DELETE FROM subscriptions WHERE id = :id"), {"id": gone})  # removed before the upgrade
            rows = _rows(conn)
        upgrade(engine)
        with engine.begin() as conn:
            assert _rows(conn) == rows and [r[0] for r in rows] == kept
            assert _subscription(conn, "C4") == gone + 1  # not C3's id, which its digest run names
            conn.execute(text("DELETE FROM subscriptions WHERE destination = 'C4'"))
        with engine.begin() as conn:
            assert _subscription(conn, "C5") == gone + 2
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the unique key came through the rebuild
            _subscription(conn, "C1")
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'subscriptions'")).scalar_one()
                assert "AUTOINCREMENT" in sql
                indexes = conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'subscriptions'")).all()
                assert ("ix_subscriptions_tenant_id",) in indexes
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    finally:
        engine.dispose()


def test_without_the_upgrade_sqlite_would_give_the_id_again(tmp_path: Path) -> None:
    """What the migration prevents, shown on the schema before it (so the test above can fail)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"), AT
        )
        gone = _subscription(conn, "C1")
        conn.execute(text("DELETE FROM subscriptions WHERE id = :id"), {"id": gone})
        assert _subscription(conn, "C2") == gone
    engine.dispose()


def test_the_migration_goes_back_down_keeping_the_subscriptions(tmp_path: Path) -> None:
    from alembic import command

    from store.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"), AT
        )
        _subscription(conn, "C1")
        rows = _rows(conn)
    upgrade(engine)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert _rows(conn) == rows
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'subscriptions'")).scalar_one()
        assert "AUTOINCREMENT" not in sql
    engine.dispose()
