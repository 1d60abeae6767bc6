"""The bot's Bot Connector token is fetched off the event loop: a slow login endpoint stalls no other request.

The app runs with Bot Framework credentials: channel requests are signed with a key FakeKeys publishes,
replies land on the fake Bot Connector, and the token comes from a fake login endpoint on 127.0.0.1:0
that answers from a thread of its own, as login.microsoftonline.com would.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import ChannelValidation, JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.server import make_web_app
from adapters.teams.connector_token import ConnectorToken, ManagedIdentityToken, OffLoopCredentialsFactory
from adapters.teams.messenger import DeliveryFailed
from bot.app import Services, build
from bot.config import Settings
from bot.domain import Reply
from tests.conftest import FixedClassifier
from tests.teams.connector import FakeConnector, fixture, reports
from tests.teams.fake_http import FakeHTTP, JsonHandler
from tests.teams.test_signing_keys import APP_ID, SLOW, FakeKeys, bearer, until

PASSWORD = "test-app-password-s3cr3t"
CHAT = "a:1personal-chat-1"
UPDATE = Reply(kind="text", title="The pattern you reported was fixed.")


class FakeLogin(FakeHTTP):
    """login.microsoftonline.com's token endpoint, answering after `delay` seconds with `status`."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.status = 200
        self.hits: list[tuple[str, dict[str, str]]] = []
        login = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                login.hits.append((self.path, form))
                time.sleep(login.delay)
                granted = {"token_type": "Bearer", "expires_in": 3599, "access_token": f"token-{len(login.hits)}"}
                refused = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
                self.answer(login.status, granted if login.status == 200 else refused)

        super().__init__(Handler)
        self.server.handle_error = lambda *_args: None  # type: ignore[method-assign]  # a client that gave up


@dataclass
class Teams:
    """The app with credentials and the fakes around it."""

    services: Services
    app: web.Application
    client: TestClient
    connector: FakeConnector
    login: FakeLogin
    signing_key: rsa.RSAPrivateKey

    async def report(self, message_id: str, text: str = "the rota lives in a whatsapp group") -> int:
        """POST a signed 1:1 message that files a report; the HTTP status (the receipt follows in the background)."""
        activity = fixture("message_personal", self.connector.url, id=message_id, text=text)
        headers = bearer(self.signing_key, "key-1", self.connector.url)
        return (await self.client.post("/api/messages", json=activity, headers=headers)).status

    def token(self) -> ConnectorToken:
        credentials = self.app["teams"].credentials
        assert isinstance(credentials, OffLoopCredentialsFactory)
        [token] = credentials.tokens.values()
        return token


@pytest.fixture
async def teams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    keys, login, connector = FakeKeys(), FakeLogin(), FakeConnector()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", keys.url + "/openid")
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})  # this test's keys only
    await connector.server.start_server()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="prod",
        teams=True,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'token.db'}",
        reporter_secret="test-secret",
        microsoft_app_id=APP_ID,
        microsoft_app_password=PASSWORD,
        login_url=login.url,
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    app = make_web_app(services)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield Teams(services, app, client, connector, login, keys.publish("key-1"))
    await app["teams"].drain()
    await client.close()
    await connector.server.close()
    login.close()
    keys.close()


async def test_while_the_token_is_fetched_other_requests_are_answered(teams: Teams) -> None:
    teams.login.delay = SLOW
    started = time.monotonic()
    assert await teams.report("m-1") == 201  # stored and acknowledged; the receipt waits for the token
    await until(lambda: bool(teams.login.hits))  # the fetch has begun
    health = await teams.client.get("/healthz")
    stranger = await teams.client.post("/api/messages", json={"type": "message"}, headers={"Authorization": "Bearer x"})
    assert health.status == 200 and stranger.status == 401
    assert time.monotonic() - started < SLOW / 2 and teams.connector.calls == []
    await teams.app["teams"].drain()
    assert teams.connector.authorizations == ["Bearer token-1"]  # the receipt, signed with the token fetched
    path, form = teams.login.hits[0]
    assert path == "/botframework.com/oauth2/v2.0/token"
    assert form == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": PASSWORD,
        "scope": "https://api.botframework.com/.default",
    }


async def test_replies_share_one_token_and_refresh_it_in_the_background_before_it_expires(teams: Teams) -> None:
    teams.login.delay = 0.5
    assert await asyncio.gather(*(teams.report(f"m-{i}") for i in range(5))) == [201] * 5
    await teams.app["teams"].drain()
    assert len(teams.login.hits) == 1 and teams.connector.authorizations == ["Bearer token-1"] * 5
    token, teams.login.delay = teams.token(), SLOW
    first_expiry = token.expires_at
    token.clock = lambda: time.monotonic() + 3599 - 8 * 60  # 8 minutes left: refresh, and meanwhile send
    messenger = teams.services.extras["messengers"]["teams"]
    started = time.monotonic()
    await messenger.send(platform="teams", tenant="tenant-a", destination=CHAT, reply=UPDATE)
    assert time.monotonic() - started < SLOW / 2 and teams.connector.authorizations[-1] == "Bearer token-1"
    await until(lambda: token.expires_at > first_expiry)
    await messenger.send(platform="teams", tenant="tenant-a", destination=CHAT, reply=UPDATE)
    assert len(teams.login.hits) == 2 and teams.connector.authorizations[-1] == "Bearer token-2"


async def test_a_refused_token_logs_the_failure_and_keeps_the_report(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    teams.login.status = 401
    with caplog.at_level(logging.WARNING, logger="snag.teams"):
        assert await teams.report("m-1", "refunds sit in the finance inbox for a week") == 201
        await teams.app["teams"].drain()
    [row] = reports(teams.services)  # stored before the ack, tagged before the receipt: as without a token
    assert (row.text, row.stage) == ("refunds sit in the finance inbox for a week", "billing")
    assert teams.connector.calls == []
    messages = caplog.messages
    assert "Bot Framework access token not fetched: token request: HTTP 401, invalid_client" in messages
    assert any(m.startswith("teams turn failed: TokenRefused") for m in messages)
    assert any(m.startswith("teams reply after ack failed: TokenRefused") for m in messages)
    assert PASSWORD not in caplog.text
    teams.login.status = 200  # the receipt and the apology each asked; the next reply asks again
    assert await teams.report("m-2") == 201
    await teams.app["teams"].drain()
    assert teams.connector.authorizations == ["Bearer token-3"]


async def test_a_proactive_send_without_a_token_fails_as_before(teams: Teams) -> None:
    assert await teams.report("m-1") == 201
    await teams.app["teams"].drain()
    teams.token().clock = lambda: time.monotonic() + 3600  # expired
    teams.login.status = 401
    messenger = teams.services.extras["messengers"]["teams"]
    with pytest.raises(DeliveryFailed) as failed:
        await messenger.send(platform="teams", tenant="tenant-a", destination=CHAT, reply=UPDATE)
    assert failed.value.status is None and len(teams.connector.calls) == 1


async def test_a_token_endpoint_that_does_not_answer_gives_up_after_the_timeout() -> None:
    login = FakeLogin()
    login.delay = SLOW
    try:
        token = ConnectorToken(login.url + "/tenant/oauth2/v2.0/token", {}, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            await token.get()
        assert time.monotonic() - started < SLOW / 2
    finally:
        login.close()


class FakeIdentityEndpoint(FakeHTTP):
    """Azure App Service's managed-identity endpoint (IDENTITY_ENDPOINT), answering after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.hits: list[tuple[str, str | None]] = []
        endpoint = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                endpoint.hits.append((self.path, self.headers.get("X-IDENTITY-HEADER")))
                time.sleep(endpoint.delay)
                expires_on = str(int(time.time()) + 3600)
                self.answer(200, {"access_token": f"msi-token-{len(endpoint.hits)}", "expires_on": expires_on})

        super().__init__(Handler)
        self.server.handle_error = lambda *_args: None  # type: ignore[method-assign]


async def test_a_managed_identity_token_is_fetched_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UserAssignedMSI: the token comes from Azure's identity endpoint in a worker thread, as the password's does."""
    keys, identity, connector = FakeKeys(), FakeIdentityEndpoint(), FakeConnector()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", keys.url + "/openid")
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity.url + "/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-secret")
    await connector.server.start_server()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="prod",
        teams=True,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'msi.db'}",
        reporter_secret="test-secret",
        microsoft_app_id=APP_ID,
        microsoft_app_type="UserAssignedMSI",
        microsoft_app_tenant_id="tenant-a",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    app = make_web_app(services)
    client = TestClient(TestServer(app))
    await client.start_server()
    signing_key = keys.publish("key-1")
    try:
        identity.delay = SLOW
        activity = fixture("message_personal", connector.url, id="m-1", text="the rota lives in a whatsapp group")
        started = time.monotonic()
        answer = await client.post("/api/messages", json=activity, headers=bearer(signing_key, "key-1", connector.url))
        assert answer.status == 201
        await until(lambda: bool(identity.hits))  # the fetch has begun
        health = await client.get("/healthz")
        assert health.status == 200 and time.monotonic() - started < SLOW / 2 and connector.calls == []
        await app["teams"].drain()
        assert connector.authorizations == ["Bearer msi-token-1"]  # the receipt, signed with the identity's token
        [(path, header)] = identity.hits
        assert path.startswith("/msi/token?") and f"client_id={APP_ID}" in path
        assert "resource=https%3A%2F%2Fapi.botframework.com" in path and header == "identity-header-secret"
        [token] = app["teams"].credentials.tokens.values()
        assert isinstance(token, ManagedIdentityToken)
    finally:
        await app["teams"].drain()
        await client.close()
        await connector.server.close()
        identity.close()
        keys.close()


@pytest.mark.parametrize(
    ("app_type", "given", "refused"),
    [
        ("UserAssignedMSI", {"microsoft_app_tenant_id": "t"}, None),  # no password: the identity has none
        ("userassignedmsi", {}, "MicrosoftAppTenantId is not set"),
        ("SingleTenant", {"microsoft_app_password": "p"}, "MicrosoftAppTenantId is not set"),
        ("SingleTenant", {"microsoft_app_password": "p", "microsoft_app_tenant_id": "t"}, None),
        ("MultiTenant", {}, "MicrosoftAppPassword is not set"),
        ("Single Tenant", {"microsoft_app_password": "p"}, "must be MultiTenant, SingleTenant or UserAssignedMSI"),
    ],
)
def test_what_teams_needs_follows_the_app_type(app_type: str, given: dict[str, str], refused: str | None) -> None:
    from adapters.teams import check_settings
    from bot.errors import ConfigError

    settings = Settings(
        _env_file=None, env="prod", teams=True, microsoft_app_id=APP_ID, microsoft_app_type=app_type, **given
    )  # type: ignore[call-arg]
    if refused is None:
        check_settings(settings)
    else:
        with pytest.raises(ConfigError, match=refused):
            check_settings(settings)
