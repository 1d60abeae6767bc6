"""A report's number is never given to another report, even after the newest one is erased.

Receipts, their buttons and owed receipts carry report numbers: a number given again would let
an old button or receipt reach someone else's report. SQLite without AUTOINCREMENT hands out the
highest rowid again once it is deleted; PostgreSQL's sequences never do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.domain import Person, Platform
from store.db import check_revision, make_engine, upgrade
from store.repository import SqlRepository
from tests.store.test_store import NOW, add

ALICE = Person(Platform.SLACK, "T1", "U1")
BOB = Person(Platform.SLACK, "T1", "U2")
BEFORE = "0012_report_message"  # the revision before reports were numbered for good on SQLite
AFTER = "0013_report_numbers"


def test_an_erased_reports_number_is_not_given_again(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    first, _ = add(repo, "refunds wait a week in finance", person=ALICE)
    newest, _ = add(repo, "the returns label printer jams daily", person=ALICE)
    assert repo.erase_reporter(person=ALICE, reporter_key="k-U1", report_ids=[newest.id]) == 1
    another, _ = add(repo, "stock counts never match the till", person=BOB)
    assert another.id not in (first.id, newest.id)
    assert another.id > newest.id


def test_every_report_erased_then_a_new_one_gets_a_new_number(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    ids = [add(repo, f"report number {n} about refunds", person=ALICE)[0].id for n in range(3)]
    assert repo.erase_reporter(person=ALICE, reporter_key="k-U1") == 3
    fresh, _ = add(repo, "stock counts never match the till", person=BOB)
    assert fresh.id > max(ids)


def _insert_reports(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Reports 1, 2 and 7 (3 to 6 erased long ago), a correction of 7, tenants and a pattern as at BEFORE."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :t)"),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO patterns (id, tenant_id, title, kinds, teams, status, first_seen, last_seen, report_count,"
                " terms, created_at) VALUES (4, 1, 'Billing: refund', '[]', '[]', 'new', :t, :t, 2, '{}', :t)"
            ),
            {"t": NOW},
        )
        for rid, pattern in ((1, 4), (2, None), (7, 4)):
            conn.execute(
                text(
                    "INSERT INTO reports (id, tenant_id, pattern_id, platform, channel, shared, reporter_key, text,"
                    " created_at, kinds, teams, confidence, status, message_id) VALUES (:id, 1, :p, 'slack', 'C1',"
                    " 0, 'k-U1', :text, :t, '[]', '[]', '{}', 'tagged', :m)"
                ),
                {"id": rid, "p": pattern, "text": f"report {rid} about refunds", "t": NOW, "m": f"17000000{rid}.0001"},
            )
        conn.execute(
            text(
                "INSERT INTO corrections (id, tenant_id, report_id, corrector_key, after, created_at)"
                " VALUES (1, 1, 7, 'k-U1', '{}', :t)"
            ),
            {"t": NOW},
        )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM reports ORDER BY id"))]


def _table_sql(conn) -> str:  # type: ignore[no-untyped-def]
    return str(conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'reports'")).scalar_one())


def _indexes(engine) -> set[tuple[str, tuple[str, ...], bool]]:  # type: ignore[no-untyped-def]
    found = inspect(engine).get_indexes("reports")
    return {(i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found}


def test_a_migrated_sqlite_database_keeps_its_reports_and_numbers_them_for_good(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    rows = _insert_reports(engine)
    indexes = _indexes(engine)
    unique = inspect(engine).get_unique_constraints("reports")
    upgrade(engine, AFTER)  # the table as this revision leaves it (later ones change its indexes)
    assert _indexes(engine) == indexes
    assert inspect(engine).get_unique_constraints("reports") == unique
    upgrade(engine)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM reports ORDER BY id"))] == rows
        assert conn.execute(text("SELECT report_id FROM corrections")).scalar_one() == 7
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        assert "AUTOINCREMENT" in _table_sql(conn)
    assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("corrections")} == {"tenants", "reports"}
    repo = SqlRepository(engine)
    assert repo.erase_reporter(person=ALICE, reporter_key="k-U1", report_ids=[7]) == 1
    fresh, _ = add(repo, "stock counts never match the till", person=BOB)
    assert fresh.id == 8  # 7 was erased: it is never given again
    engine.dispose()


def test_the_migration_goes_back_down_keeping_the_reports(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    rows = _insert_reports(engine)
    upgrade(engine)
    from alembic import command

    from store.db import alembic_config

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM reports ORDER BY id"))] == rows
        assert "AUTOINCREMENT" not in _table_sql(conn)
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()


def test_a_rebuild_that_fails_halfway_leaves_the_reports_as_they_were(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine, BEFORE)
    rows = _insert_reports(engine)

    def disk_full(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the process was stopped")

    monkeypatch.setattr(sa.Table, "create", disk_full)  # after the old table was dropped
    with pytest.raises(RuntimeError, match="stopped"):
        upgrade(engine)
    monkeypatch.undo()
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM reports ORDER BY id"))] == rows
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE
    upgrade(engine)  # and it can be run again
    check_revision(engine)
    engine.dispose()
