"""A new SQLite database is readable by Snag's user alone: it holds every report's words."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from store.db import make_engine, upgrade


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folder_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files readable by every local user
    try:
        database = tmp_path / "var" / "snag.db"
        engine = make_engine(f"sqlite:///{database}")
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO tenants (platform, external_id, created_at) VALUES ('slack', 'T1', '2026-11-01')")
            )
        engine.dispose()
    finally:
        os.umask(old)
    assert _mode(database) == 0o600
    assert _mode(database.parent) == 0o700
    assert all(_mode(p) & 0o077 == 0 for p in database.parent.glob("snag.db*")), "journal files take its mode"


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    database = tmp_path / "snag.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    database.chmod(0o640)  # e.g. a backup group's read access, set by the admin
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    assert _mode(database) == 0o640
