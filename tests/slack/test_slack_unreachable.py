"""Slack's Web API unreachable: signed requests are still stored and answered, receipts wait for Slack.

Bolt's own authorization asked Slack (auth.test) before Snag's handler ran: with Slack down, a
slash command and a DM got 500, and nothing was stored (Slack does not send a command again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot

from adapters.slack.installations import SqlInstallationStore
from bot.config import Settings
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackDriver, TaggingFake, fixture, serving
from tests.slack.fake_slack import Call, FakeSlack, _handler, _Server

INSTALLED_TOKEN = "xoxb-installed-secret-token"
KEY = "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E="


def down(fake: FakeSlack) -> int:
    """Stop the fake Slack: every call is refused, as when Slack is blocked on the way out. Its port."""
    port = int(fake.server.server_address[1])
    fake.stop()
    return port


def back(fake: FakeSlack, port: int) -> None:
    """Slack answers again, at the same address."""
    fake.server = _Server(("127.0.0.1", port), _handler(fake))
    fake.server.daemon_threads = True
    fake.thread = threading.Thread(target=fake.server.serve_forever, args=(0.02,), daemon=True)
    fake.thread.start()


async def posted(fake: FakeSlack, method: str, *, within: float = 10.0) -> list[Call]:
    """The calls of `method` once there is one (or none after `within` seconds)."""
    for _ in range(int(within / 0.05)):
        if fake.called(method):
            break
        await asyncio.sleep(0.05)
    return fake.called(method)


async def settled(slack: SlackDriver, *, within: float = 5.0) -> None:
    """Wait until no receipt is held any more (Slack took it a moment before Snag hears so)."""
    for _ in range(int(within / 0.05)):
        if not slack.runtime.held.waiting:
            return
        await asyncio.sleep(0.05)


def owed_files(slack: SlackDriver) -> list[Path]:
    return sorted((slack.services.settings.data_dir / "slack" / "owed").glob("*/*.json"))


async def test_a_signed_slash_command_is_stored_and_answered_while_slack_is_unreachable(slack: SlackDriver) -> None:
    down(slack.fake)
    status, body = await slack.command(fixture("slash_command"))
    assert status == 200
    [row] = slack.reports()
    assert json.loads(body)["text"] == f"Thanks, saved as report #{row.id}."


async def test_a_dm_is_stored_while_slack_is_unreachable_and_its_receipt_posted_once_slack_is_back(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    slack.runtime.held.delays = (0.1,)
    port = down(slack.fake)
    with caplog.at_level(logging.INFO, logger="snag"):
        status, _ = await slack.event(fixture("event_message_im"))
        assert status == 200
        [row] = slack.reports()
        assert row.text == "we retype every order into SAP & the CRM"
        assert slack.runtime.held.waiting and len(owed_files(slack)) == 1, "held, and written down meanwhile"
        await asyncio.sleep(0.3)  # tries while Slack is still down: the receipt stays held
        assert slack.runtime.held.waiting

        back(slack.fake, port)
        [post] = await posted(slack.fake, "chat.postMessage")
        await settled(slack)
    assert post.params["channel"] == "D0PNCRP9N" and post.token == BOT_TOKEN
    assert post.params["text"] == f"Thanks, saved as report #{row.id}."
    assert slack.runtime.held.waiting == [] and owed_files(slack) == []
    assert "posted 1 receipt(s) held while Slack could not be reached" in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "one line per failure, no traceback"


async def test_the_first_event_learns_the_bot_user_from_its_payload_while_slack_is_unreachable(
    slack: SlackDriver,
) -> None:
    down(slack.fake)
    await slack.event(fixture("event_app_mention"))
    [row] = slack.reports()
    assert row.text == "the intake form asks customers for their address twice", "Snag's own mention left out"


async def test_the_token_is_checked_once_and_the_bot_user_kept(slack: SlackDriver) -> None:
    await slack.event(fixture("event_message_im"))
    await slack.event(fixture("event_message_im") | {"event_id": "Ev0SECOND"})
    assert len(slack.fake.called("auth.test")) == 1
    identity = slack.runtime.identity
    assert (identity.state, identity.bot_user_id, identity.team_id) == ("ok", "UBOT", "T0001")
    ready = await slack.session.get(slack.server.make_url("/readyz"))
    assert (await ready.json())["slack"] == {"mode": "http", "token": "ok", "receipts_held": 0}


async def test_readyz_says_slack_is_unreachable_and_stays_ready(slack_services: Any, fake_slack: FakeSlack) -> None:
    slack_services.classifier.version = "fake-1"  # a model loaded: ready but for Slack
    down(fake_slack)  # since before the start: the token is checked then, and Slack does not answer
    async with serving(slack_services, fake_slack) as slack:
        slack.runtime.held.delays = (60.0,)
        await slack.event(fixture("event_message_im"))
        async with slack.session.get(slack.server.make_url("/readyz")) as ready:
            body = await ready.json()
    slack_services.engine.dispose()
    assert ready.status == 200 and body["ready"] is True, "reports are still stored: keep sending them here"
    assert body["slack"] == {"mode": "http", "token": "unreachable", "receipts_held": 1}


@pytest.fixture
def oauth_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="r",
        encryption_key=KEY,
        slack_api_url=fake_slack.api_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id="1111.2222",
        slack_client_secret="client-secret-value",
    )


@pytest.fixture
async def oauth_slack(oauth_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    from bot.app import build

    services = build(oauth_settings, classifier=TaggingFake(), migrate=True)
    SqlInstallationStore(services.engine, KEY).save_bot(
        Bot(
            team_id="T0002",
            team_name="Beta",
            bot_token=INSTALLED_TOKEN,
            bot_id="B2",
            bot_user_id="UBOT2",
            bot_scopes="commands,chat:write",
            installed_at=1700000000.0,
        )
    )
    async with serving(services, fake_slack) as driver:
        yield driver
    services.engine.dispose()


async def test_an_installed_workspace_is_served_from_the_database_while_slack_is_unreachable(
    oauth_slack: SlackDriver,
) -> None:
    slack = oauth_slack
    slack.runtime.held.delays = (0.1,)
    port = down(slack.fake)
    event = fixture("event_message_im") | {"team_id": "T0002", "context_team_id": "T0002"}
    event["authorizations"][0]["team_id"] = "T0002"
    status, _ = await slack.event(event)
    assert status == 200
    [row] = slack.reports()

    back(slack.fake, port)
    [post] = await posted(slack.fake, "chat.postMessage")
    assert post.token == INSTALLED_TOKEN and post.params["text"] == f"Thanks, saved as report #{row.id}."
    assert slack.fake.called("auth.test") == [], "the stored install is trusted: nothing asked on the way"


async def test_a_workspace_never_installed_is_told_so_without_asking_slack(oauth_slack: SlackDriver) -> None:
    event = fixture("event_message_im") | {"team_id": "T0404", "context_team_id": "T0404"}
    event["authorizations"][0]["team_id"] = "T0404"
    status, _ = await oauth_slack.event(event)
    assert status == 200 and oauth_slack.reports() == []
    assert oauth_slack.fake.calls == []


@pytest.fixture
def socket_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="r",
        encryption_key=KEY,
        slack_api_url=fake_slack.api_url,
        slack_bot_token="xoxb-socket-bot",
        slack_app_token="xapp-1-A0001-socket",
    )


async def test_socket_mode_serves_health_while_slack_is_unreachable_and_connects_once_it_is_back(
    socket_settings: Settings, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from adapters.server import make_web_app
    from adapters.slack import SOCKET
    from bot.app import build
    from tests.slack.test_socket_and_settings import FakeSocketSlack

    port = down(fake_slack)
    services = build(socket_settings, classifier=TaggingFake(), migrate=True)
    app = make_web_app(services)
    app[SOCKET].delays = (0.2,)
    server = TestServer(app, host="127.0.0.1", port=0)
    slack_side = FakeSocketSlack()
    ws_app = web.Application()
    ws_app.router.add_get("/link", slack_side.handle)
    ws_server = TestServer(ws_app, host="127.0.0.1", port=0)
    await ws_server.start_server()
    try:
        with caplog.at_level(logging.INFO, logger="snag"):
            await asyncio.wait_for(server.start_server(), 5)  # the port opens without waiting for Slack
            async with aiohttp.ClientSession() as session:
                async with session.get(server.make_url("/healthz")) as health:
                    assert health.status == 200
                async with session.get(server.make_url("/readyz")) as ready:
                    assert (await ready.json())["slack"]["connected"] is False
                for _ in range(100):  # Snag keeps trying: one line each time
                    if caplog.text.count("cannot connect to Slack in Socket Mode") >= 2:
                        break
                    await asyncio.sleep(0.05)

                fake_slack.answer = lambda method, params, _old=fake_slack.answer: (  # type: ignore[method-assign,misc]
                    {"ok": True, "url": str(ws_server.make_url("/link")).replace("http", "ws")}
                    if method == "apps.connections.open"
                    else _old(method, params)
                )
                back(fake_slack, port)
                await asyncio.wait_for(slack_side.connected.wait(), 10)
                for _ in range(100):
                    async with session.get(server.make_url("/readyz")) as ready:
                        if (await ready.json())["slack"]["connected"]:
                            break
                    await asyncio.sleep(0.05)
                else:
                    pytest.fail("/readyz never said Slack is connected")
            assert slack_side.ws is not None
            await slack_side.ws.send_json(
                {
                    "envelope_id": "e-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": fixture("slash_command"),
                }
            )
            ack = await asyncio.wait_for(slack_side.acks.get(), 5)
            assert ack["payload"]["text"].startswith("Thanks, saved as report #")
    finally:
        await server.close()
        await ws_server.close()
        services.engine.dispose()
    failures = [r for r in caplog.records if "cannot connect to Slack in Socket Mode" in r.getMessage()]
    assert len(failures) >= 2 and all("ClientConnectorError" in r.getMessage() for r in failures)
    assert "connected to Slack in Socket Mode" in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "one line per failure, no traceback"
