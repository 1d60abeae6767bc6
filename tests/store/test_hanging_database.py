"""A PostgreSQL server that hangs instead of refusing fails a connection in seconds.

Without a connect timeout libpq waited for ever, and a pooled connection's ping waited as long as
the server hung: a report was never answered nor kept in the outbox, and /readyz never answered.
(The suite's own URLs set ?connect_timeout=1, so it never met this.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.app import build
from bot.config import Settings
from bot.domain import IncomingMessage
from store.db import make_engine
from store.models import Report
from tests.conftest import FixedClassifier
from tests.store.hanging import proxy_to, silent_server, within

CONNECT_SECONDS = 5  # store.db.POSTGRES_CONNECT's connect_timeout
PING_SECONDS = 2  # store.db.PING_SECONDS
TEXT = "the courier portal hangs and we keep paper notes of every booking"


def test_a_server_that_never_answers_fails_the_connection_in_seconds() -> None:
    with silent_server() as port:
        engine = make_engine(f"postgresql+psycopg://snag:pw@127.0.0.1:{port}/snag")  # no connect_timeout
        try:
            outcome, took = within(CONNECT_SECONDS + 20, lambda: engine.connect().close())
        finally:
            engine.dispose()
    assert isinstance(outcome, OperationalError)
    assert took < CONNECT_SECONDS + 3


def _connect_params(url: str) -> dict[str, Any]:
    """What the engine would hand psycopg to connect with (no connection is made)."""
    engine = make_engine(url)
    seen: dict[str, Any] = {}

    @sa.event.listens_for(engine, "do_connect")
    def _seen(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        seen.update(params)
        raise RuntimeError("seen")

    with pytest.raises(RuntimeError):
        engine.connect()
    engine.dispose()
    return seen


def test_postgres_connections_get_timeouts_and_keepalives_unless_the_url_sets_them() -> None:
    from store.db import POSTGRES_CONNECT

    assert POSTGRES_CONNECT["connect_timeout"] == CONNECT_SECONDS
    assert {
        name: value
        for name, value in _connect_params("postgresql+psycopg://snag:pw@127.0.0.1:1/snag").items()
        if name in POSTGRES_CONNECT
    } == POSTGRES_CONNECT
    own = _connect_params("postgresql+psycopg://snag:pw@127.0.0.1:1/snag?connect_timeout=30&keepalives=0")
    assert own["connect_timeout"] == "30" and own["keepalives"] == "0"  # the URL's own, as it says them
    assert own["keepalives_idle"] == POSTGRES_CONNECT["keepalives_idle"]


def test_a_pooled_connection_to_a_server_that_hangs_is_given_up_in_seconds(postgres_url: str) -> None:
    with proxy_to(postgres_url) as proxy:
        engine = make_engine(proxy.url(postgres_url).split("?")[0])
        try:
            with engine.connect() as conn:  # a connection that answered, kept in the pool
                assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            proxy.freeze()
            outcome, took = within(60, lambda: engine.connect().close())
            assert isinstance(outcome, OperationalError)  # the ping gave up, then so did a new connection
            assert took < PING_SECONDS + CONNECT_SECONDS + 3
            proxy.thaw()
            with engine.connect() as conn:  # the server answers again: so does the engine
                assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        finally:
            proxy.thaw()
            engine.dispose()


def test_a_report_meeting_a_database_that_hangs_waits_in_the_outbox(postgres_url: str, tmp_path: Path) -> None:
    with proxy_to(postgres_url) as proxy:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "var",
            database_url=proxy.url(postgres_url),
            reporter_secret="s",
        )
        services = build(settings, classifier=FixedClassifier(), migrate=True)
        snag = services.snag
        person = snag.person("slack", "T1", "U1")
        try:
            assert snag.store_report(IncomingMessage(person, "the first report, while it answers", "C")).stored
            proxy.freeze()
            capture, took = within(60, lambda: snag.store_report(IncomingMessage(person, TEXT, "C", event_id="Ev1")))
            assert not isinstance(capture, BaseException) and not capture.stored
            assert capture.reply is not None and capture.reply.kind == "saved"
            assert snag.outbox is not None and snag.outbox.depth() == 1
            assert took < PING_SECONDS + CONNECT_SECONDS + 3
            proxy.thaw()
            assert snag.replay_outbox() == 1
            with Session(services.engine) as session:
                assert [r.text for r in session.exec(select(Report)).all()].count(TEXT) == 1
        finally:
            proxy.thaw()
            services.engine.dispose()
