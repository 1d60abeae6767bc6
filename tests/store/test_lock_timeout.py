"""A locked reports table sends a new report to the outbox in seconds, instead of holding Slack's answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.app import build
from bot.config import Settings
from bot.domain import IncomingMessage
from store.db import BUSY_TIMEOUT_MS
from store.models import Report
from tests.conftest import FixedClassifier

TEXT = "the ward 4 discharge letters wait two days for a consultant signature"


@contextmanager
def locked(url: str) -> Iterator[None]:
    """Another session holding the reports table (PostgreSQL) or the write lock (SQLite) until the block ends."""
    other = sa.create_engine(url)
    conn = other.connect()
    try:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("BEGIN"))
            conn.execute(sa.text("LOCK TABLE reports IN ACCESS EXCLUSIVE MODE"))
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield
    finally:
        conn.rollback()
        conn.close()
        other.dispose()


def test_a_locked_table_sends_the_report_to_the_outbox_in_seconds(db_url: str, tmp_path: Path) -> None:
    services = build(
        Settings(_env_file=None, data_dir=tmp_path / "var", database_url=db_url, reporter_secret="s"),  # type: ignore[call-arg]
        classifier=FixedClassifier(),
        migrate=True,
    )
    snag = services.snag
    person = snag.person("slack", "T1", "U1")
    snag.handle_message(IncomingMessage(person, "the tenant exists before the lock is taken", "C"))
    with ThreadPoolExecutor(max_workers=1) as pool, locked(db_url):
        started = time.monotonic()
        work = pool.submit(snag.store_report, IncomingMessage(person, TEXT, "C", event_id="Ev1"))
        capture = work.result(timeout=15)  # without a bound PostgreSQL waits as long as the lock is held
        took = time.monotonic() - started
    assert not capture.stored and snag.outbox.depth() == 1
    assert took < 5
    assert snag.replay_outbox() == 1  # the lock gone, the report is filed: nothing was lost
    with Session(services.engine) as s:
        assert TEXT in [r.text for r in s.exec(select(Report)).all()]
    if services.engine.dialect.name == "sqlite":  # the shorter wait was for that commit only
        with services.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
    services.engine.dispose()
