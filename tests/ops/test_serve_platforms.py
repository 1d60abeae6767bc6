"""`snag serve` refuses to start with nothing (or half a platform) to serve, and /readyz names what it serves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from tests.conftest import FixedClassifier, run_snag

# Slack API calls (the token check at start) go to a closed local port, never to slack.com
SLACK_HTTP = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "SNAG_SLACK_API_URL": "http://127.0.0.1:9/api/",
}
TEAMS_EMULATOR = {"SNAG_ENV": "dev", "SNAG_TEAMS": "true"}
PLATFORM_PREFIXES = ("SNAG_", "SLACK_", "MICROSOFT", "MicrosoftApp")


@pytest.fixture
def serve(settings: Settings, tmp_path: Path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag serve` with only the given platform settings: (exit code, stderr, the app it would serve)."""
    import bot.app

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    served: list[web.Application] = []
    monkeypatch.setattr(web, "run_app", lambda app, **_kw: served.append(app))  # listen nowhere; keep the app
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in os.environ if n.startswith(PLATFORM_PREFIXES)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SNAG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SNAG_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")

    def run(env: dict[str, str]) -> tuple[int, str, web.Application | None]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code, _out, err = run_snag(monkeypatch, capsys, "serve")
        return code, err, served[-1] if served else None

    return run


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MicrosoftAppId", "SNAG_ENV=dev"]),
        ({"SLACK_SIGNING_SECRET": "test-signing-secret"}, ["SLACK_SIGNING_SECRET is set", "SLACK_BOT_TOKEN is not"]),
        ({"SLACK_APP_TOKEN": "xapp-test"}, ["SLACK_APP_TOKEN is set", "SLACK_BOT_TOKEN is not"]),
        ({"MicrosoftAppPassword": "test-app-password"}, ["MicrosoftAppPassword is set", "MicrosoftAppId is not"]),
        ({"SLACK_BOT_TOKEN": "xoxb-test"}, ["SLACK_SIGNING_SECRET is not set"]),
        ({"SNAG_TEAMS": "true"}, ["MicrosoftAppId and MicrosoftAppPassword are not set"]),
        ({**TEAMS_EMULATOR, "SLACK_APP_TOKEN": "xapp-test"}, ["SLACK_BOT_TOKEN is not"]),
    ],
)
def test_serve_refuses_to_start_without_a_whole_platform(serve, env: dict[str, str], names: list[str]) -> None:  # type: ignore[no-untyped-def]
    code, err, app = serve(env)
    assert code == 2 and app is None
    assert len(err.strip().splitlines()) == 1
    assert all(name in err for name in names), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("env", "platforms", "mounted", "absent"),
    [
        (SLACK_HTTP, ["slack"], "/slack/events", "/api/messages"),
        (TEAMS_EMULATOR, ["teams"], "/api/messages", "/slack/events"),
        ({**SLACK_HTTP, **TEAMS_EMULATOR}, ["slack", "teams"], "/api/messages", "/nothing"),
    ],
)
async def test_readyz_names_the_platforms_serve_mounts(serve, env, platforms, mounted, absent) -> None:  # type: ignore[no-untyped-def]
    code, _err, app = serve(env)
    assert code == 0 and app is not None
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        ready = await client.get("/readyz")
        assert ready.status == 200 and (await ready.json())["platforms"] == platforms
        assert (await client.post(mounted, data=b"{}")).status != 404
        assert (await client.post(absent, data=b"{}")).status == 404
    finally:
        await client.close()


@pytest.mark.parametrize("env", [{"SLACK_BOT_TOKEN": "xoxb-test"}, {"SNAG_TEAMS": "true"}])
def test_a_half_configured_platform_is_refused_before_anything_is_built(serve, monkeypatch, env) -> None:  # type: ignore[no-untyped-def]
    import bot.app

    monkeypatch.setattr(bot.app, "build", lambda *_a, **_kw: pytest.fail("migrated and loaded the model first"))
    code, err, _app = serve(env)
    assert code == 2 and "not set" in err


@pytest.fixture
def fresh_postgres():  # type: ignore[no-untyped-def]
    """A schema of its own (the session's shared one is at head)."""
    from tests.conftest import _postgres_schema_url

    yield from _postgres_schema_url()


def test_serve_does_not_upgrade_postgresql_behind_the_operator(serve, fresh_postgres: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`snag serve` upgraded a PostgreSQL database at an older revision itself (no backup, no
    `migrate` step), though README says only `snag db upgrade` migrates PostgreSQL."""
    from sqlalchemy import text

    from store.db import make_engine, upgrade

    engine = make_engine(fresh_postgres)
    upgrade(engine, "0012_report_message")
    monkeypatch.setenv("SNAG_DATABASE_URL", fresh_postgres)
    code, err, app = serve({**TEAMS_EMULATOR})
    assert code == 2 and app is None
    assert "The database is at revision 0012_report_message" in err and "snag db upgrade" in err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0012_report_message"
    engine.dispose()


def test_serve_listens_though_the_database_cannot_be_reached_at_start(serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A restart during a database outage exited (code 2) and kept the port closed: Slack's slash
    commands were lost, though a server already running keeps reports in the outbox."""
    monkeypatch.setenv("SNAG_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/test")  # nothing listens
    code, err, app = serve({**TEAMS_EMULATOR})
    assert code == 0 and app is not None, err
    assert "Serving anyway: reports wait in the outbox until it answers" in err


def test_the_schema_is_checked_once_the_database_answers(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import store.db
    from bot.app import SCHEMA_UNCHECKED, build, schema_checked
    from bot.errors import StoreUnavailable

    real = store.db.check_revision
    down = [True]

    def check(engine):  # type: ignore[no-untyped-def]
        if down[0]:
            raise StoreUnavailable("Cannot reach the database.")
        return real(engine)

    monkeypatch.setattr(store.db, "check_revision", check)
    services = build(settings, classifier=FixedClassifier(), migrate=True, unreachable_ok=True)
    assert callable(services.extras.get(SCHEMA_UNCHECKED))
    assert schema_checked(services) is False  # still down: nothing is replayed into it
    down[0] = False
    assert schema_checked(services) is True
    assert SCHEMA_UNCHECKED not in services.extras
    services.engine.dispose()


def test_nothing_is_written_to_a_database_that_comes_back_at_another_revision(
    tmp_path: Path, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    """Started while the database was unreachable, the server wrote reports into it once it answered,
    at an older schema, and `erase mine confirm` then failed on a missing table."""
    import logging
    from contextlib import closing

    import store.db
    from bot.app import build, schema_checked
    from bot.domain import IncomingMessage
    from store.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0015_owed_updates")
    old.dispose()
    monkeypatch.setattr(store.db, "check_revision", _unreachable_once(store.db.check_revision))
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", database_url=url, reporter_secret="s")  # type: ignore[call-arg]
    services = build(settings, classifier=FixedClassifier(), migrate=False, unreachable_ok=True)
    person = services.snag.person("slack", "T1", "U1")
    reply = services.snag.handle_message(IncomingMessage(person, "the rota lives in a spreadsheet again", "D1"))
    assert reply.kind == "saved", reply.title  # kept in the outbox, not written to the old schema
    with caplog.at_level(logging.ERROR, logger="snag.app"):
        assert schema_checked(services) is False
    assert "The database is at revision 0015_owed_updates" in caplog.text and "snag db upgrade" in caplog.text
    from bot.errors import StoreUnavailable

    services.engine.dispose()
    with pytest.raises(StoreUnavailable, match="0015_owed_updates"), services.engine.connect():
        pass  # the guard stays: a new connection is refused too
    import sqlite3

    with closing(sqlite3.connect(tmp_path / "old.db")) as db:
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)


def _unreachable_once(real):  # type: ignore[no-untyped-def]
    from bot.errors import StoreUnavailable

    calls = []

    def check(engine):  # type: ignore[no-untyped-def]
        calls.append(engine)
        if len(calls) == 1:
            raise StoreUnavailable("Cannot reach the database.")
        return real(engine)

    return check
