"""A wrong option, database URL or answer gets a sentence saying what to do, never "unexpected error"."""

from __future__ import annotations

import io
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import IncomingMessage
from store.models import Report
from tests.conftest import POSTGRES_URL


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["export", "reports", "--role", "boss"], "--role is staff, manager or admin, not 'boss'."),
        (["export", "--platform", "irc"], "--platform is console, slack or teams, not 'irc'."),
        (["import", "h.csv", "--platform", "irc"], "--platform is console, slack or teams, not 'irc'."),
    ],
)
def test_a_wrong_role_or_platform_is_named_with_its_choices(snag_cli, caplog, args: list[str], says: str) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text\nrefunds are slow\n")
    code, out, err = snag_cli(*args)
    assert code == 2 and says in err
    assert "unexpected error" not in caplog.text and "Traceback" not in err and "Imported" not in out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x@localhost/db", "only SQLite and PostgreSQL databases are supported, not mysql (sqlite:///"),
        ("oracle+oracledb://x@h/db", "only SQLite and PostgreSQL databases are supported, not oracle"),
        ("postgres+psycopg2://x@h/db", "the PostgreSQL driver Snag installs is psycopg, not psycopg2"),
        ("postgresql+psycopg2://x@h/db", "the PostgreSQL driver Snag installs is psycopg, not psycopg2"),
        (
            "sqlite+aiosqlite:///x.db",
            "the SQLite driver is built in: write sqlite:///var/snag.db, not sqlite+aiosqlite",
        ),
    ],
)
def test_a_database_snag_cannot_use_is_refused_when_settings_are_read(snag_cli, caplog, monkeypatch, url, says) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_DATABASE_URL", url)
    code, _, err = snag_cli("export")
    assert code == 2 and f"SNAG_DATABASE_URL: {says}" in err
    assert "e.g. SNAG_DATABASE_URL=postgresql+psycopg://" in err
    assert "unexpected error" not in caplog.text and "ModuleNotFoundError" not in err
    with pytest.raises(ValidationError):
        Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "read"),
    [
        ("sqlite:///var/snag.db", None),
        ("sqlite://", None),
        ("postgresql://snag@db/snag", "postgresql+psycopg://snag@db/snag"),
        ("postgres://snag@db/snag", "postgresql+psycopg://snag@db/snag"),
        ("postgresql+psycopg://snag@db:5432/snag", None),
    ],
)
def test_sqlite_and_postgresql_urls_are_accepted(url: str, read: str | None) -> None:
    assert Settings(_env_file=None, database_url=url).database_url == (read or url)  # type: ignore[call-arg]


@pytest.fixture
def missing_database_url() -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    try:
        engine.connect().close()
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig.__class__.__name__}")
    finally:
        engine.dispose()
    return sa.make_url(POSTGRES_URL).set(database=f"snag_missing_{uuid.uuid4().hex[:8]}").render_as_string(False)


@pytest.mark.parametrize("args", [["export"], ["db", "upgrade"]])
def test_a_postgresql_database_that_does_not_exist_is_named_with_how_to_create_it(  # type: ignore[no-untyped-def]
    snag_cli, monkeypatch, missing_database_url: str, args: list[str]
) -> None:
    name = missing_database_url.rsplit("/", 1)[1]
    monkeypatch.setenv("SNAG_DATABASE_URL", missing_database_url)
    code, _, err = snag_cli(*args)
    assert code == 2
    assert f'The PostgreSQL server answered, but it has no database named "{name}"' in err
    assert f"createdb {name}" in err and "snag db upgrade" in err and "SNAG_DATABASE_URL" in err
    assert "cannot be reached" not in err


def test_erase_answered_no_erases_nothing_and_says_so(snag_cli, services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("console", "local", "dave")
    services.snag.handle_message(IncomingMessage(person, "refunds sit in the finance inbox", "C1"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out, _ = snag_cli("erase", "--user", "console:local:dave")
    assert code == 1 and "Nothing erased." in out
    with Session(services.engine) as s:
        assert len(s.exec(select(Report)).all()) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, out, _ = snag_cli("erase", "--user", "console:local:dave")
    assert code == 0 and "Erased 1 report(s)." in out


def test_a_dry_run_with_skipped_rows_exits_as_the_import_does(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("id,text,created_at\n1,refunds are slow,2024-01-02\n2,,2024-01-03\n")
    dry_code, dry_out, _ = snag_cli("import", "h.csv", "--dry-run")
    code, out, _ = snag_cli("import", "h.csv")
    assert dry_code == code == 1
    assert "1 row(s) would be imported, 1 skipped" in dry_out and "Imported 1 report(s)" in out
