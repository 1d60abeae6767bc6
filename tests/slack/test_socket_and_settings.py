"""Socket Mode end to end over a real WebSocket, and the settings checks at start."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from adapters.slack.runtime import check_settings
from bot.config import Settings
from bot.errors import ConfigError
from tests.slack.conftest import TaggingFake, fixture
from tests.slack.fake_slack import FakeSlack


class FakeSocketSlack:
    """Slack's side of a Socket Mode connection: sends envelopes, collects the app's acks."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001SNAG"}})
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(msg.data))
        return ws


@pytest.fixture
def socket_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="r",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
        slack_api_url=fake_slack.api_url,
        slack_bot_token="xoxb-socket-bot",
        slack_app_token="xapp-1-A0001-socket",
    )


async def test_socket_mode_files_a_slash_command_report_and_acks_with_the_receipt(
    socket_settings: Settings, fake_slack: FakeSlack
) -> None:
    from adapters.server import make_web_app
    from bot.app import build

    slack_side = FakeSocketSlack()
    ws_app = web.Application()
    ws_app.router.add_get("/link", slack_side.handle)
    ws_server = TestServer(ws_app, host="127.0.0.1", port=0)
    await ws_server.start_server()
    fake_slack.answer = lambda method, params, _old=fake_slack.answer: (  # type: ignore[method-assign]
        {"ok": True, "url": str(ws_server.make_url("/link")).replace("http", "ws")}
        if method == "apps.connections.open"
        else _old(method, params)
    )
    services = build(socket_settings, classifier=TaggingFake(), migrate=True)
    app = make_web_app(services)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()  # on_startup opens the Socket Mode connection
    try:
        await asyncio.wait_for(slack_side.connected.wait(), 5)
        [opened] = fake_slack.called("apps.connections.open")
        assert opened.token == "xapp-1-A0001-socket"
        assert slack_side.ws is not None
        await slack_side.ws.send_json(
            {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": fixture("slash_command"),
            }
        )
        ack = await asyncio.wait_for(slack_side.acks.get(), 5)
        assert ack["envelope_id"] == "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
        assert ack["payload"]["text"].startswith("Thanks, saved as report #")
        from adapters.slack.http import RUNTIME

        await app[RUNTIME].drain()
        async with aiohttp.ClientSession() as session:  # Socket Mode serves no HTTP events route
            async with session.post(server.make_url("/slack/events"), data=b"{}") as response:
                assert response.status in (404, 405)
    finally:
        await server.close()
        await ws_server.close()


def test_http_mode_without_a_signing_secret_stops_at_start(settings: Settings) -> None:
    unsafe = settings.model_copy(update={"slack_bot_token": "xoxb-1", "slack_signing_secret": None})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        check_settings(unsafe, socket_mode=False)
    check_settings(unsafe, socket_mode=True)  # Socket Mode needs no signing secret


def test_oauth_without_a_client_secret_stops_at_start(settings: Settings) -> None:
    half = settings.model_copy(update={"slack_client_id": "1.2", "slack_signing_secret": "s"})
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        check_settings(half, socket_mode=False)


def test_mount_refuses_to_serve_http_without_a_signing_secret(settings: Settings) -> None:
    from adapters.server import make_web_app
    from bot.app import build

    unsafe = settings.model_copy(update={"slack_bot_token": "xoxb-1", "slack_signing_secret": None})
    services = build(unsafe, classifier=TaggingFake(), migrate=True)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        make_web_app(services)
