"""A database at another schema revision than the code's is named at start, with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.app import build
from bot.config import Settings
from bot.errors import ConfigError
from store.db import alembic_config, check_revision, make_engine, upgrade
from tests.conftest import FixedClassifier


def _settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=db_url,
        reporter_secret="test-secret",
    )


def test_an_older_schema_is_refused_with_the_command_that_upgrades_it(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0006_delivery_retries")
    with pytest.raises(
        ConfigError, match=r"revision 0006_delivery_retries; this Snag needs \S+: run `snag db upgrade`"
    ):
        check_revision(engine)
    if "postgresql" in db_url:  # the scheduler and other commands on a shared database migrate nothing themselves
        with pytest.raises(ConfigError, match="run `snag db upgrade`"):
            build(_settings(db_url, tmp_path), classifier=FixedClassifier())
    upgrade(engine)
    check_revision(engine)  # at head: nothing to say
    engine.dispose()


def test_a_schema_from_a_newer_snag_says_so_instead_of_an_alembic_error(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    said = "revision 0099_from_the_future, which this version of Snag does not know: a newer Snag upgraded it"
    with pytest.raises(ConfigError, match=said):
        check_revision(engine)
    with pytest.raises(ConfigError, match=said):
        upgrade(engine)  # `snag db upgrade`, and the start of `snag serve` and of SQLite installs
    with pytest.raises(ConfigError, match=said):
        build(_settings(db_url, tmp_path), classifier=FixedClassifier(), migrate=True)
    engine.dispose()


def test_an_empty_database_asks_for_the_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(ConfigError, match="no Snag tables yet: run `snag db upgrade`"):
        check_revision(engine)
    command.upgrade(alembic_config(engine.url.render_as_string(hide_password=False)), "head")
    check_revision(engine)
    engine.dispose()


def test_replicas_migrating_at_once_all_start(postgres_url: str) -> None:
    """`snag serve` migrates at start: replicas starting together on PostgreSQL died on alembic_version's key.

    Replicas are processes (alembic's loading of its scripts is not made for threads)."""
    import subprocess
    import sys

    db_url = postgres_url  # SQLite is one process's file: replicas share PostgreSQL
    code = "import sys; from store.db import upgrade; upgrade(sys.argv[1])"
    root = Path(__file__).resolve().parents[2]
    replicas = [
        subprocess.Popen([sys.executable, "-c", code, db_url], cwd=root, stderr=subprocess.PIPE) for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in replicas]
    assert [p.returncode for p in replicas] == [0, 0, 0], errors
    engine = make_engine(db_url)
    check_revision(engine)
    engine.dispose()
