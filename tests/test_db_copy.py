"""`snag db copy`: a Snag database moves between SQLite and PostgreSQL with every row as it was.

An admin who tried Snag on SQLite had no supported way to take reports, patterns, corrections,
subscriptions and digest runs to PostgreSQL. The copy must keep every value exactly, keep report
numbers going past the copied ones (an erased report's number included), refuse a target that
holds rows, and leave the target empty when it fails halfway."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Table, Text, cast, delete, func, select, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, col

import store.copy
from bot.domain import IncomingMessage, Role
from bot.errors import ConfigError
from digests.demo import load_demo
from store.copy import copy_database
from store.db import alembic_config, make_engine, session_scope, upgrade
from store.models import OutboxReplay, Pattern
from tests.conftest import _postgres_schema_url, run_snag
from tests.digests.conftest import (
    NOW,
    RecordingMessenger,
    check_alerts_now,
    console_scheduler,
    make_services,
    run_async,
)
from tests.digests.conftest import subscribe_console as subscribe

KEY = "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E="
TABLES = [t.name for t in SQLModel.metadata.sorted_tables]
Source = tuple[str, int]  # the source database's URL, and the number of its newest report, erased
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _quiet(_line: str) -> None:
    pass


def _fill(services: Any) -> int:
    """Everything a Snag in use holds, written by Snag's own code; the number of the erased report."""
    from slack_sdk.oauth.installation_store.models.bot import Bot

    from adapters.slack.installations import SqlInstallationStore
    from bot.domain import Tags
    from store.conversations import first_delivery, mark_blocked, save_reference

    load_demo(services, now=NOW)  # reports, patterns, weekly counts, term counts, owners and statuses
    snag, repo = services.snag, services.repository
    _receipt_in_teams(services)
    alice = snag.person("slack", "T1", "U1", tenant_name="Acme")
    filed = [
        snag.handle_message(IncomingMessage(alice, text, "C9", via="mention", event_id=f"Ev{n}", message_id=f"17.{n}"))
        for n, text in enumerate(
            ["Refunds wait a week in the finance inbox ✓ «café»", "The label printer jams", "Stock sheets go missing"]
        )
    ]
    ids = [reply.report_id for reply in filed]
    assert all(ids)
    repo.set_answers(report_id=ids[0], frequency="daily", customer_facing=True)
    repo.set_answers(report_id=ids[1], customer_facing=False)
    tags = Tags(stage="billing", kinds=("waiting",), teams=("finance",), confidence={"billing": 0.123456789012345})
    repo.add_correction(report_id=ids[0], corrector_key=snag.key_of(alice), before=None, after=tags)
    repo.add_correction(
        report_id=ids[1], corrector_key=snag.key_of(alice), before=tags, after=replace(tags, stage=None)
    )
    assert repo.erase_reporter(person=alice, reporter_key=snag.key_of(alice), report_ids=[ids[2]]) == 1
    _owe_an_update(services, alice, ids[0])
    subscription = subscribe(services, "leaders")
    assert console_scheduler(services, RecordingMessenger(), NOW).run_subscription(subscription) == "sent"
    assert check_alerts_now(services, RecordingMessenger(), NOW - timedelta(days=3)) >= 1
    SqlInstallationStore(services.engine, KEY).save_bot(
        Bot(
            team_id="T1",
            team_name="Acme",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="UB",
            bot_scopes="chat:write",
            installed_at=1.7e9,
        )
    )
    with session_scope(services.engine) as session:
        save_reference(
            session=session,
            platform="teams",
            tenant="tenant-1",
            conversation_id="a:1",
            reference={"serviceUrl": "https://smba.example", "ids": [1, 2.5, None], "ok": True},
        )
        mark_blocked(session=session, platform="teams", conversation_id="a:1")
        assert first_delivery(session=session, platform="slack", event_id="Ev-delivered")
        session.add(OutboxReplay(entry_id="entry-1", report_id=ids[0], replayed_at=NOW))
    with services.engine.begin() as conn:  # as the first release left them: SQL NULL, not JSON null; raw bytes
        conn.execute(
            text(
                "INSERT INTO corrections (tenant_id, report_id, corrector_key, after, created_at)"
                " SELECT tenant_id, id, 'k-first', '{\"stage\": \"billing\"}', '2026-01-05 09:00:00' FROM reports"
                " WHERE id = :id"
            ),
            {"id": ids[1]},
        )
        conn.execute(text("UPDATE patterns SET centroid = :raw WHERE id = 1"), {"raw": bytes(range(256))})
    return ids[2]


def _receipt_in_teams(services: Any) -> None:
    """A report filed in a Teams 1:1 chat, and its receipt's message id kept as the bot keeps it."""
    from adapters.teams.receipts import ReceiptMessages

    bea = services.snag.person("teams", "tenant-1", "aad-bea")
    message = IncomingMessage(bea, "The rota lives in a spreadsheet", "a:1chat", via="dm", message_id="1700000000001")
    receipt = services.snag.handle_message(message)
    assert receipt.kind == "receipt"
    ReceiptMessages(services.engine).keep(
        tenant="tenant-1", conversation_id="a:1chat", activity_id="1:1", reply=receipt
    )


def _owe_an_update(services: Any, person: Any, report_id: int) -> None:
    """Tell the reporter their pattern changed, their Slack failing: the update is owed."""
    from digests.loop import notify_reporters
    from store.conversations import save_reference
    from store.models import Report

    with session_scope(services.engine) as session:
        save_reference(
            session=session,
            platform="slack",
            tenant="T1",
            conversation_id="D1",
            reference={},
            reporter_key=services.snag.key_of(person),
        )
        report = session.get(Report, report_id)
        pattern = session.get(Pattern, report.pattern_id if report else None)
    assert pattern is not None
    told = notify_reporters(
        services.engine,
        pattern=pattern,
        messengers={"slack": RecordingMessenger(failing=("D1",))},
        run_async=run_async,
        now=NOW,
    )
    assert told.owed == 1


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A SQLite database with a row in every table (built once: the tests only read it), and the
    number of its newest report, erased."""
    folder = tmp_path_factory.mktemp("source")
    services = make_services(folder, f"sqlite:///{folder / 'snag.db'}")
    erased = _fill(services)
    services.engine.dispose()
    yield f"sqlite:///{folder / 'snag.db'}", erased


@pytest.fixture
def postgres_target() -> Iterator[str]:
    """An empty schema on the real PostgreSQL (skipped when unreachable, a failure with CI=true), dropped after."""
    yield from _postgres_schema_url()


def _dump(url: str) -> dict[str, list[tuple]]:
    """Every table's rows as Snag reads them, then each JSON column as the text stored, in key order."""
    engine = make_engine(url)
    found: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            order = list(table.primary_key.columns)
            found[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            stored = [cast(c, Text) for c in table.columns if isinstance(c.type, JSON)]
            if stored:
                found[f"{table.name} (JSON text)"] = [tuple(r) for r in conn.execute(select(*stored).order_by(*order))]
        before = SQLModel.metadata.tables["corrections"].c.before
        found["before is SQL NULL"] = [(conn.execute(select(func.count()).where(before.is_(None))).scalar_one(),)]
    engine.dispose()
    return found


def _answers(services: Any) -> dict[str, Any]:
    """What the digest and the console's queries say about the copied organisation."""
    admin = replace(services.snag.person("console", "local", "demo"), role=Role.ADMIN)
    digest = services.extras["digests"].build(platform="console", tenant="local", audience=None, now=NOW)
    with session_scope(services.engine) as session:
        busiest = session.execute(
            select(col(Pattern.id)).order_by(col(Pattern.report_count).desc(), col(Pattern.id))
        ).scalar()
    said = {
        line: services.snag.handle_message(IncomingMessage(admin, line, "console"))
        for line in ("top 90d", "stats", f"pattern {busiest}", "search invoice", "digest")
    }
    assert [reply.kind for reply in said.values()] == ["list", "list", "list", "list", "digest"]
    return {"digest": digest, **said}


def _file_one(services: Any) -> int:
    bob = services.snag.person("slack", "T1", "U2")
    reply = services.snag.handle_message(IncomingMessage(bob, "Stock counts never match the till", "D2"))
    assert reply.kind == "receipt" and reply.report_id is not None
    return reply.report_id


def test_sqlite_to_postgresql_copies_every_row_and_numbers_on(
    source: Source, postgres_target: str, tmp_path: Path
) -> None:
    url, erased = source
    before = _dump(url)
    assert all(before[name] for name in TABLES), "the source has a row in every table"
    assert before["before is SQL NULL"] == [(1,)]  # and a correction's JSON column holds both kinds of null

    done = copy_database(source_url=url, target_url=postgres_target, say=_quiet)

    assert done.rows == {name: len(before[name]) for name in TABLES}
    assert _dump(postgres_target) == before
    assert _dump(url) == before  # the source is left as it was
    there = make_services(tmp_path / "there", postgres_target)
    here = make_services(tmp_path / "here", url)
    assert _answers(there) == _answers(here)
    at = list(SQLModel.metadata.tables["reports"].columns.keys()).index("id")
    fresh = _file_one(there)
    assert fresh > max(row[at] for row in before["reports"])
    assert fresh > erased  # the number of a report erased before the copy is not given again either
    assert done.next_ids["reports"] == fresh
    for services in (here, there):
        services.engine.dispose()


def test_postgresql_to_sqlite_gives_back_the_same_database(
    source: Source, postgres_target: str, tmp_path: Path
) -> None:
    url, erased = source
    copy_database(source_url=url, target_url=postgres_target, say=_quiet)
    back = f"sqlite:///{tmp_path / 'backup.db'}"

    done = copy_database(source_url=postgres_target, target_url=back, batch_size=100, say=_quiet)  # many batches

    assert _dump(back) == _dump(url)
    assert done.next_ids["reports"] == erased + 1
    services = make_services(tmp_path, back)
    assert _file_one(services) == erased + 1
    services.engine.dispose()


def test_sqlite_to_sqlite_with_the_command(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, erased = source
    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    target = f"sqlite:///{tmp_path / 'copy.db'}"

    code, out, err = run_snag(monkeypatch, capsys, "db", "copy", url, target)

    assert code == 0, err
    rows = _dump(url)
    for name in TABLES:
        count = len(rows[name])
        assert f"  {name}: {count:,} row{'' if count == 1 else 's'}\n" in out
    assert f"the target holds as many rows as the source in every table. The next report is number {erased + 1}." in out
    assert _dump(target) == rows
    with sqlite3.connect(tmp_path / "copy.db") as conn:  # AUTOINCREMENT's own bookkeeping, as SQLite reads it
        assert conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'reports'").fetchall() == [(erased,)]


def test_an_older_source_is_upgraded_first_keeping_a_copy_of_its_file(tmp_path: Path) -> None:
    from tests.store.test_upgrade_with_data import NOW as THEN
    from tests.store.test_upgrade_with_data import ROWS

    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    upgrade(engine, "0001")  # as the first release left it, with a report, a correction and an alert
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement), {"now": THEN})
    engine.dispose()
    said: list[str] = []

    done = copy_database(source_url=f"sqlite:///{old}", target_url=f"sqlite:///{tmp_path / 'new.db'}", say=said.append)

    kept = tmp_path / "old-backup-0001.db"
    assert (
        f"Upgraded the source database from revision 0001 to {done.revision}. The old file is kept at {kept}." in said
    )
    assert f"Created the target database's tables at revision {done.revision}." in said
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    assert done.revision == HEAD
    assert _dump(f"sqlite:///{tmp_path / 'new.db'}") == _dump(f"sqlite:///{old}")
    assert done.rows["reports"] == done.rows["corrections"] == done.rows["alerts"] == 1


def _empty(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        held = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }
    engine.dispose()
    return {name: n for name, n in held.items() if n}


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    source: Source, postgres_target: str, tmp_path: Path
) -> None:
    url, _ = source
    services = make_services(tmp_path, postgres_target)
    _file_one(services)
    services.engine.dispose()
    before = _dump(postgres_target)

    with pytest.raises(ConfigError) as refused:
        copy_database(source_url=url, target_url=postgres_target, say=_quiet)

    assert "is not empty: tenants holds 1 row, " in refused.value.message
    assert ", reports holds 1 row" in refused.value.message
    assert "nothing was changed" in refused.value.message
    assert _dump(postgres_target) == before


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_a_copy_that_fails_halfway_leaves_the_target_empty(
    source: Source, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, erased = source
    target = f"sqlite:///{tmp_path / 'copy.db'}" if kind == "sqlite" else None
    with _target(target) as target_url:
        real, calls = store.copy.copy_table, []

        def stopped_on_the_third_table(table: Table, **kw: Any) -> int:
            calls.append(table.name)
            if len(calls) == 3:
                raise RuntimeError("the process was stopped")
            return real(table, **kw)

        monkeypatch.setattr(store.copy, "copy_table", stopped_on_the_third_table)
        with pytest.raises(RuntimeError, match="stopped"):
            copy_database(source_url=url, target_url=target_url, say=_quiet)
        assert _empty(target_url) == {}
        rows = _dump(url)
        assert rows[calls[0]] and rows[calls[1]], "the two tables copied before hold rows"

        monkeypatch.setattr(store.copy, "copy_table", real)
        done = copy_database(source_url=url, target_url=target_url, say=_quiet)  # and it can be run again
        assert done.next_ids["reports"] == erased + 1


def test_a_table_that_does_not_add_up_after_copying_undoes_the_copy(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = source
    target_url = f"sqlite:///{tmp_path / 'copy.db'}"
    real = store.copy.copy_table

    def one_row_lost(table: Table, *, source: Connection, target: Connection, batch_size: int) -> int:
        copied = real(table, source=source, target=target, batch_size=batch_size)
        if table.name == "term_counts":
            target.execute(delete(table).where(table.c.term == select(func.min(table.c.term)).scalar_subquery()))
        return copied

    monkeypatch.setattr(store.copy, "copy_table", one_row_lost)
    with pytest.raises(ConfigError, match=r"After copying, term_counts holds [\d,]+ rows in the target but [\d,]+ in"):
        copy_database(source_url=url, target_url=target_url, say=_quiet)
    assert _empty(target_url) == {}


def _target(sqlite_url: str | None) -> Any:
    """The SQLite URL as it is, or a fresh PostgreSQL schema for the test's duration."""
    from contextlib import contextmanager, nullcontext

    if sqlite_url is not None:
        return nullcontext(sqlite_url)
    return contextmanager(_postgres_schema_url)()


def test_what_cannot_be_copied_is_refused_before_anything_changes(source: Source, tmp_path: Path) -> None:
    url, _ = source
    with pytest.raises(ConfigError, match="name the same database"):
        copy_database(source_url=url, target_url=url.replace("snag.db", "./snag.db"), say=_quiet)
    with pytest.raises(ConfigError, match="SOURCE_URL: there is no SQLite database at"):
        copy_database(source_url=f"sqlite:///{tmp_path / 'typo.db'}", target_url=f"sqlite:///{tmp_path / 'b.db'}")
    assert not (tmp_path / "typo.db").exists()
    sqlite3.connect(tmp_path / "blank.db").close()
    with pytest.raises(ConfigError, match="has no Snag tables"):
        copy_database(source_url=f"sqlite:///{tmp_path / 'blank.db'}", target_url=f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(ConfigError, match="TARGET_URL is not a database URL Snag can use"):
        copy_database(source_url=url, target_url="mysql://snag:secret@db/snag")
    with pytest.raises(ConfigError, match="TARGET_URL: the port after the host is not a port number") as bad:
        copy_database(source_url=url, target_url="postgresql+psycopg://snag:secret@db:5432x/snag")
    assert "secret" not in str(bad.value)
    with pytest.raises(ConfigError, match="TARGET_URL: the password holds an @") as at:
        copy_database(source_url=url, target_url="postgresql+psycopg://snag:se@cret@db:5432/snag")
    assert "cret" not in str(at.value)
