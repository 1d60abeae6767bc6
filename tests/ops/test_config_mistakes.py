"""An admin's mistakes in the settings stop Snag at start with one line naming the setting.

Each of these started "healthy" and did nothing: role ids in a form no platform sends (nobody got the
role), `:snag:` as the reaction (reactions filed nothing), a misspelt SLACK_APP_TOKEN in the environment
(HTTP mode instead of Socket Mode), a port already taken or SNAG_HOST with a port ("unexpected error:
OSError"), and the postgres:// URL many hosts hand out ("only SQLite and PostgreSQL are supported").
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web

from bot.config import Settings
from store.db import make_engine
from tests.conftest import _postgres_schema_url
from tests.ops.conftest import Snag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
PLATFORM_PREFIXES = ("SLACK_", "MICROSOFT", "MicrosoftApp")
GUID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.fixture
def no_platform_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the developer's Slack or Teams variables."""
    for name in [n for n in os.environ if n.upper().startswith(tuple(p.upper() for p in PLATFORM_PREFIXES))]:
        monkeypatch.delenv(name)


@pytest.fixture
def never_served(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    served: list[object] = []
    monkeypatch.setattr("adapters.run.run_server", served.append)  # accepted by mistake: no server left running
    return served


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SNAG_ADMINS", "slack:T0001:U9", "'slack:T0001:U9' names a workspace too: a role names the person alone, "),
        ("SNAG_MANAGERS", "slack:U0123ABCD;slack:U0456EFGH", "'slack:U0123ABCD;slack:U0456EFGH' holds more than one"),
        ("SNAG_MANAGERS", "slack:U1, slack:U2 slack:U3", "'slack:U2 slack:U3' holds more than one entry: separate"),
        ("SNAG_ADMINS", "teams:dana@acme.com", "'teams:dana@acme.com' is not a Teams user id: write teams:<their "),
        ("SNAG_ADMINS", "slack:@dana", "'slack:@dana' is not a Slack member id: write slack:U... with the member ID"),
        ("SNAG_MANAGERS", "teams:group:Managers", "'teams:group:Managers' is not an AAD group id: write teams:group:"),
        ("SNAG_MANAGERS", "slack:group:engineering", "'slack:group:engineering' is not a Slack user group id"),
        ("SNAG_ADMINS", "slack:u0123abcd", "'slack:u0123abcd' is in lower case, but Slack ids are upper case: write "),
    ],
)
def test_a_role_id_in_a_form_no_platform_sends_stops_serve_naming_it(  # type: ignore[no-untyped-def]
    snag_cli: Snag, monkeypatch, no_platform_settings, never_served, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv(name, value)
    code, _out, err = snag_cli("serve")
    assert code == 2 and never_served == []
    assert err.strip().startswith(f"{name}: {says}") and "\n" not in err.strip()


def test_the_slack_workspace_and_user_form_names_the_entry_to_write(snag_cli: Snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_ADMINS", "slack:T0001:U9")  # the form README gives for `snag erase --user`
    code, _out, err = snag_cli("export")
    assert code == 2 and "so write slack:U9; e.g. SNAG_ADMINS=" in err


def test_ids_the_platforms_send_are_accepted_and_the_emulator_s_any_id_in_development() -> None:
    ids = f"slack:U0123ABCD,slack:W0456EFGH,slack:group:S0456EFGH,teams:{GUID},teams:29:1abc,teams:group:{GUID}"
    assert Settings(_env_file=None, admins=ids).admins == ids.split(",")  # type: ignore[call-arg,arg-type]
    made_up = ["teams:user-in-the-emulator", "teams:group:grp-managers"]
    assert Settings(_env_file=None, env="dev", managers=made_up).managers == made_up  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="is not a Teams user id"):
        Settings(_env_file=None, managers=made_up[:1])  # type: ignore[call-arg]


@pytest.mark.parametrize("written", [":snag:", " snag ", ":Snag:"])
def test_the_reaction_written_as_slack_writes_emoji_still_files_the_message(  # type: ignore[no-untyped-def]
    snag_cli: Snag, monkeypatch, written: str
) -> None:
    from adapters.slack.inbound import reaction_target
    from bot.cli import load_settings

    monkeypatch.setenv("SNAG_SLACK_REACTION", written)
    event = json.loads((FIXTURES / "event_reaction_added.json").read_text(encoding="utf-8"))["event"]
    assert event["reaction"] == "snag"
    assert reaction_target(event, load_settings().slack_reaction) == (event["item"]["channel"], event["item"]["ts"])


@pytest.mark.parametrize("written", ["::", "snag face"])
def test_a_reaction_that_is_no_emoji_name_stops_the_command(snag_cli: Snag, monkeypatch, written: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_SLACK_REACTION", written)
    code, _out, err = snag_cli("export")
    assert code == 2 and err.startswith(f"SNAG_SLACK_REACTION: {written!r} is not one emoji's name")


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("SLACK_APP_TOKN", "SLACK_APP_TOKEN"),
        ("slack_signingsecret", "SLACK_SIGNING_SECRET"),
        ("MICROSOFT_APP_PASWORD", "MICROSOFT_APP_PASSWORD"),
        ("MicrosoftAppPasword", "MicrosoftAppPassword"),
    ],
)
def test_a_misspelt_platform_variable_in_the_environment_stops_serve(  # type: ignore[no-untyped-def]
    snag_cli: Snag, monkeypatch, no_platform_settings, never_served, name: str, meant: str
) -> None:
    """Compose hands .env to the containers as environment variables: only SNAG_ names were checked there."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv(name, "xapp-1-A0-bodyofthesecret")
    code, _out, err = snag_cli("serve")
    assert code == 2 and never_served == []
    assert err.strip() == (
        f"{name} is set in the environment but is not a setting Snag reads, so it would be ignored: "
        f"did you mean {meant}?"
    )


def test_a_hosts_other_slack_and_microsoft_variables_are_left_alone(snag_cli: Snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other_tools = ("SLACK_WEBHOOK_URL", "SLACK_USER_TOKEN", "SLACK_TOKEN", "SLACK_API_TOKEN", "SLACK_APP_ID")
    for name in (*other_tools, "SLACK_TEAM_ID", "MICROSOFT_CLIENT_ID"):
        monkeypatch.setenv(name, "x")
    code, _out, err = snag_cli("db", "upgrade")
    assert code == 0, err


@pytest.fixture
def serve_teams_in_development(snag_cli: Snag, monkeypatch: pytest.MonkeyPatch, no_platform_settings: None) -> Snag:
    """`snag serve` for the Bot Framework Emulator; a server that does start is stopped within 20 seconds."""
    monkeypatch.setenv("SNAG_ENV", "dev")
    monkeypatch.setenv("SNAG_TEAMS", "true")
    real_run_app = web.run_app

    async def stop_soon(_app: web.Application) -> None:
        asyncio.get_running_loop().call_later(20, os.kill, os.getpid(), signal.SIGINT)

    def run_app(app: web.Application, **kw: Any) -> None:
        app.on_startup.insert(0, stop_soon)
        real_run_app(app, **kw)

    monkeypatch.setattr(web, "run_app", run_app)
    return snag_cli


def test_serve_on_a_port_in_use_names_snag_port(serve_teams_in_development: Snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("SNAG_HOST", "127.0.0.1")
        monkeypatch.setenv("SNAG_PORT", str(port))
        code, _out, err = serve_teams_in_development("serve")
    assert code == 2, err
    assert err.strip().splitlines()[-1] == (
        f"snag serve cannot listen on 127.0.0.1:{port} (address already in use): set SNAG_PORT to a free port, "
        "or stop what listens on this one."
    )
    assert "unexpected error" not in err and "Traceback" not in err


def test_serve_on_an_address_of_another_machine_names_snag_host(serve_teams_in_development: Snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_HOST", "192.0.2.1")  # TEST-NET-1: never an address of this machine
    code, _out, err = serve_teams_in_development("serve")
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        "snag serve cannot listen on 192.0.2.1:3000 (cannot assign requested address): set SNAG_HOST"
    )


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("localhost:3000", "SNAG_HOST: 'localhost:3000' holds a port: SNAG_HOST is the address alone, and the port "),
        ("[::1]:3000", "SNAG_HOST: '[::1]:3000' holds a port"),
        ("http://0.0.0.0", "SNAG_HOST: 'http://0.0.0.0' is a URL: SNAG_HOST is the address alone, without http://"),
    ],
)
def test_snag_host_with_a_port_or_scheme_stops_serve_before_it_starts(  # type: ignore[no-untyped-def]
    snag_cli: Snag, monkeypatch, no_platform_settings, never_served, host: str, says: str
) -> None:
    monkeypatch.setenv("SNAG_ENV", "dev")
    monkeypatch.setenv("SNAG_TEAMS", "true")
    monkeypatch.setenv("SNAG_HOST", host)
    code, _out, err = snag_cli("serve")
    assert code == 2 and never_served == [] and err.startswith(says)


def test_addresses_alone_are_accepted_as_snag_host() -> None:
    hosts = {"0.0.0.0": "0.0.0.0", " ::1 ": "::1", "[::1]": "::1", "localhost": "localhost", "snag.internal": None}
    for written, read in hosts.items():
        assert Settings(_env_file=None, host=written).host == (read or written)  # type: ignore[call-arg]


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A fresh schema on the local PostgreSQL, as postgresql+psycopg://...?options=-csearch_path..."""
    yield from _postgres_schema_url()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgres_url_as_hosts_hand_it_out_is_read_with_psycopg_and_connects(  # type: ignore[no-untyped-def]
    snag_cli: Snag, monkeypatch, fresh_postgres: str, scheme: str
) -> None:
    url = fresh_postgres.replace("postgresql+psycopg://", f"{scheme}://", 1)
    assert url.startswith(f"{scheme}://")
    assert Settings(_env_file=None, database_url=url).database_url == fresh_postgres  # type: ignore[call-arg]
    monkeypatch.setenv("SNAG_DATABASE_URL", url)
    code, out, err = snag_cli("db", "upgrade")
    assert code == 0, err
    assert out.startswith("Created the database's tables at revision")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()
