"""What a command does to the database and the model as it starts: only what it says, and nothing it does not need.

`snag digest --preview` moved an older SQLite database from 0003 to 0012 with no word and no copy of
the old file; `snag db upgrade` said "Database is at revision head."; `digest` and `subscribe` loaded
the tagger's model (seconds) and warned about it, though they tag nothing."""

from __future__ import annotations

import sqlite3
import types
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.errors import ConfigError
from store.db import alembic_config, make_engine, upgrade
from tests.store.test_upgrade_with_data import NOW, ROWS

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
FIRST = "0001"  # the first release's revision


def _first_release_database(path: Path) -> None:
    """A database as the first release left it, with a report, a correction and a pattern."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, FIRST)
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement), {"now": NOW})
    engine.dispose()


def _read(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_a_command_on_an_older_sqlite_database_says_it_upgrades_and_keeps_the_old_file(  # type: ignore[no-untyped-def]
    snag_cli, tmp_path: Path
) -> None:
    database = tmp_path / "snag.db"
    _first_release_database(database)
    database.chmod(0o600)
    code, _out, err = snag_cli("digest", "--preview")  # a command that only reads
    assert code == 0, err
    copy = tmp_path / f"snag-backup-{FIRST}.db"
    said = [line for line in err.splitlines() if "snag.store" in line]
    assert len(said) == 1 and said[0].endswith(
        f"Upgrading the database {database} from revision {FIRST} to {HEAD}; a copy of the old file is kept at {copy}."
    )
    assert _read(copy, "SELECT version_num FROM alembic_version") == [(FIRST,)]
    assert _read(copy, "SELECT id, text FROM reports") == [(7, "refunds wait in the finance inbox")]
    assert copy.stat().st_mode & 0o777 == 0o600  # the reports are as private in the copy
    assert _read(database, "SELECT version_num FROM alembic_version") == [(HEAD,)]

    code, _out, err = snag_cli("digest", "--preview")
    assert code == 0 and "snag.store" not in err
    assert sorted(p.name for p in tmp_path.glob("snag-backup-*")) == [copy.name]  # nothing to upgrade, no copy


def test_the_copy_holds_what_is_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    """Committed rows can sit in snag.db-wal until a checkpoint: a copy of snag.db alone would lose them."""
    database = tmp_path / "snag.db"
    _first_release_database(database)
    writer = sqlite3.connect(database)  # kept open: the last connection to close would checkpoint
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE reports SET text = 'refunds wait a week in the finance inbox'")
        writer.commit()
        assert Path(f"{database}-wal").stat().st_size > 0
        done = upgrade(f"sqlite:///{database}")
    finally:
        writer.close()
    assert done.before == FIRST and done.after == HEAD and done.backup is not None
    assert not Path(f"{done.backup}-wal").exists()  # complete in one file
    assert _read(done.backup, "SELECT text FROM reports") == [("refunds wait a week in the finance inbox",)]


def test_a_copy_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    database = tmp_path / "snag.db"
    _first_release_database(database)
    earlier = tmp_path / f"snag-backup-{FIRST}.db"
    earlier.write_text("an admin's own copy")
    done = upgrade(f"sqlite:///{database}")
    assert done.backup == tmp_path / f"snag-backup-{FIRST}-2.db"
    assert earlier.read_text() == "an admin's own copy"


def test_without_a_copy_the_database_is_left_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.db

    database = tmp_path / "snag.db"
    _first_release_database(database)

    def full_disk(path: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.db, "sqlite3", types.SimpleNamespace(connect=full_disk, Error=sqlite3.Error))
    with pytest.raises(ConfigError) as caught:
        upgrade(f"sqlite:///{database}")
    assert caught.value.message.startswith(
        f"The database {database} needs an upgrade, but no copy of it could be kept first (database or disk is full)"
    )
    assert "snag db upgrade --no-backup" in caught.value.message
    assert _read(database, "SELECT version_num FROM alembic_version") == [(FIRST,)]
    assert list(tmp_path.glob("snag-backup-*")) == []  # no half-made copy left behind
    done = upgrade(f"sqlite:///{database}", backup=False)  # the admin made their own
    assert (done.after, done.backup) == (HEAD, None)


def test_db_upgrade_says_which_revision_the_database_is_at(snag_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = snag_cli("db", "upgrade")
    assert code == 0 and out.strip() == f"Created the database's tables at revision {HEAD}."
    code, out, _err = snag_cli("db", "upgrade")
    assert code == 0 and out.strip() == f"The database is already at revision {HEAD}: nothing to upgrade."
    (tmp_path / "snag.db").unlink()
    _first_release_database(tmp_path / "snag.db")
    code, out, _err = snag_cli("db", "upgrade", "0006")
    copy = tmp_path / f"snag-backup-{FIRST}.db"
    assert code == 0 and out.strip() == (
        f"Upgraded the database from revision {FIRST} to 0006_delivery_retries. The old file is kept at {copy}."
    )
    code, out, _err = snag_cli("db", "upgrade", "0003")  # behind it already: nothing done, nothing copied
    assert code == 0 and out.strip() == "The database is already at revision 0006_delivery_retries: nothing to upgrade."
    assert [p.name for p in tmp_path.glob("snag-backup-*")] == [copy.name]


@pytest.fixture
def model_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`snag` with its real build: each time the tagger's model would be loaded is recorded."""
    import os

    import bot.app
    from tests.conftest import FixedClassifier

    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    loads: list[str] = []

    def load(*_args: object, **_kwargs: object) -> FixedClassifier:
        loads.append("model")
        return FixedClassifier()

    monkeypatch.setattr(bot.app, "build_classifier", load)
    return loads


@pytest.mark.parametrize(
    "args",
    [
        ["digest", "--preview"],
        ["subscribe", "team:finance", "--destination", "C1"],
        ["unsubscribe", "--destination", "C1"],
    ],
)
def test_digest_and_subscription_commands_load_no_model(  # type: ignore[no-untyped-def]
    model_loads: list[str], monkeypatch, capsys, args: list[str]
) -> None:
    from tests.conftest import run_snag

    assert run_snag(monkeypatch, capsys, "db", "upgrade")[0] == 0
    if args[0] == "unsubscribe":
        assert run_snag(monkeypatch, capsys, "subscribe", "all", "--destination", "C1")[0] == 0
    model_loads.clear()
    code, _out, err = run_snag(monkeypatch, capsys, *args)
    assert code == 0, err
    assert model_loads == []
