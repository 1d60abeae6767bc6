"""A database in use since the first release upgrades to the current schema with its rows.

SQLite alters a table by building a new one and dropping the old (alembic's batch mode); with
foreign keys on, dropping `reports` while corrections point at it was refused: an install with a
single correction could not upgrade past 0007 (and was told the database could not be reached)."""

from __future__ import annotations

from sqlalchemy import text

from store.db import make_engine, upgrade

NOW = "2026-01-05 09:00:00"
ROWS = [
    "INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :now)",
    "INSERT INTO patterns (id, tenant_id, title, kinds, teams, status, first_seen, last_seen, report_count, terms,"
    " created_at) VALUES (1, 1, 'refunds wait', '[]', '[]', 'new', :now, :now, 1, '{}', :now)",
    "INSERT INTO reports (id, tenant_id, pattern_id, platform, channel, reporter_key, text, created_at, kinds, teams,"
    " confidence, status) VALUES (7, 1, 1, 'slack', 'D1', 'r1', 'refunds wait in the finance inbox', :now, '[]',"
    " '[]', '{}', 'tagged')",
    "INSERT INTO corrections (tenant_id, report_id, corrector_key, after, created_at)"
    " VALUES (1, 7, 'r1', '{\"stage\": \"billing\"}', :now)",
    "INSERT INTO outbox_replays (entry_id, report_id, replayed_at) VALUES ('e1', 7, :now)",
    "INSERT INTO alerts (tenant_id, pattern_id, day, reason, sent_at) VALUES (1, 1, '2026-01-05', 'spiking', :now)",
]


def test_a_first_release_database_with_corrections_upgrades_keeping_every_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.execute(text(statement), {"now": NOW})
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, text FROM reports")).all() == [
                (7, "refunds wait in the finance inbox")
            ]
            assert conn.execute(text("SELECT report_id FROM corrections")).scalars().all() == [7]
            assert conn.execute(text("SELECT report_id FROM outbox_replays")).scalars().all() == [7]
            assert conn.execute(text("SELECT pattern_id FROM alerts")).scalars().all() == [1]
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # still checked afterwards
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                names = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'")).all()
                assert names == []
    finally:
        engine.dispose()
