"""Microsoft's signing keys are fetched off the event loop: a slow key endpoint stalls no other request.

A fake OpenID metadata + JWKS endpoint runs on 127.0.0.1:0 in a thread of its own, and the Bot
Framework's channel tokens are signed with a key it publishes, so the SDK's real token check runs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import ChannelValidation, JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.server import make_web_app
from adapters.teams.signing_keys import SigningKeys
from bot.app import build
from bot.config import Settings
from tests.conftest import FixedClassifier
from tests.teams.fake_http import FakeHTTP, JsonHandler

APP_ID = "00000000-0000-0000-0000-000000000001"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
SLOW = 2.0  # seconds the slow key endpoint takes; requests that must not wait for it answer in under half
PARTIES = {
    "from": {"id": "29:1user-one", "aadObjectId": "aad-user-1"},
    "conversation": {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-1"},
    "recipient": {"id": f"28:{APP_ID}"},
}


class FakeKeys(FakeHTTP):
    """Microsoft's OpenID metadata (/openid) and JWKS (/keys), answering after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.published: list[dict] = []
        self.hits: list[str] = []
        keys = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                keys.hits.append(self.path)
                time.sleep(keys.delay if self.path == "/openid" else 0)
                document = {"jwks_uri": keys.url + "/keys"} if self.path == "/openid" else {"keys": keys.published}
                self.answer(200, document)

        super().__init__(Handler)

    def publish(self, kid: str) -> rsa.RSAPrivateKey:
        """A new signing key, published (endorsed for Teams) beside the others; returns its private half."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        self.published.append({**public, "kid": kid, "use": "sig", "endorsements": ["msteams"]})
        return private


def bearer(private: rsa.RSAPrivateKey, kid: str, service_url: str = SERVICE_URL) -> dict[str, str]:
    """The Authorization header of a request from the Bot Framework channel, signed with this key."""
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": service_url}
    token = jwt.encode({**claims, "nbf": now - 60, "exp": now + 3600}, private, algorithm="RS256", headers={"kid": kid})
    return {"Authorization": f"Bearer {token}"}


def typing(activity_id: str = "t-1") -> dict:
    """An activity Snag answers with nothing, so the request is only authenticated and acknowledged."""
    return {"type": "typing", "id": activity_id, "channelId": "msteams", "serviceUrl": SERVICE_URL, **PARTIES}


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.fixture
async def keys_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The app with Bot Framework credentials, its token checks reading keys from FakeKeys."""
    keys = FakeKeys()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", keys.url + "/openid")
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})  # this test's keys only
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="prod",
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'keys.db'}",
        reporter_secret="test-secret",
        microsoft_app_id=APP_ID,
        microsoft_app_password="test-app-password",
    )
    app = make_web_app(build(settings, classifier=FixedClassifier(), migrate=True))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, keys
    await app["teams"].drain()
    await client.close()
    keys.close()


async def test_while_the_keys_are_fetched_other_requests_are_answered(keys_app: Any) -> None:
    client, keys = keys_app
    private, keys.delay = keys.publish("key-1"), SLOW
    started = time.monotonic()
    first = asyncio.create_task(client.post("/api/messages", json=typing(), headers=bearer(private, "key-1")))
    await until(lambda: bool(keys.hits))  # the fetch has begun
    health = await client.get("/healthz")
    stranger = await client.post("/api/messages", json=typing("t-2"), headers={"Authorization": "Bearer a.b.c"})
    assert health.status == 200 and stranger.status == 401
    assert time.monotonic() - started < SLOW / 2 and not first.done()
    assert (await first).status == 201  # authenticated with the key fetched meanwhile
    assert keys.hits == ["/openid", "/keys"]


async def test_requests_arriving_during_a_fetch_share_it(keys_app: Any) -> None:
    client, keys = keys_app
    private, keys.delay = keys.publish("key-1"), 0.5
    posts = [client.post("/api/messages", json=typing(f"t-{i}"), headers=bearer(private, "key-1")) for i in range(5)]
    assert [r.status for r in await asyncio.gather(*posts)] == [201] * 5
    assert keys.hits == ["/openid", "/keys"]


def held_keys(keys: FakeKeys) -> SigningKeys:
    cached = JwtTokenExtractor.metadataCache.get(keys.url + "/openid")
    assert isinstance(cached, SigningKeys)
    return cached


async def test_the_daily_refresh_runs_in_the_background_while_the_keys_held_still_serve(keys_app: Any) -> None:
    client, keys = keys_app
    private = keys.publish("key-1")
    assert (await client.post("/api/messages", json=typing(), headers=bearer(private, "key-1"))).status == 201
    held, keys.delay = held_keys(keys), SLOW
    first_fetch = held.fetched_at
    held.clock = lambda: datetime.now() + timedelta(days=1, minutes=5)
    started = time.monotonic()
    response = await client.post("/api/messages", json=typing("t-2"), headers=bearer(private, "key-1"))
    assert response.status == 201 and time.monotonic() - started < SLOW / 2
    await until(lambda: held.fetched_at > first_fetch)  # fetched once more, meanwhile
    assert keys.hits == ["/openid", "/keys"] * 2


async def test_a_key_published_since_the_last_fetch_is_fetched_for_the_token_that_names_it(keys_app: Any) -> None:
    client, keys = keys_app
    old = keys.publish("key-1")
    assert (await client.post("/api/messages", json=typing(), headers=bearer(old, "key-1"))).status == 201
    new = keys.publish("key-2")
    assert (await client.post("/api/messages", json=typing("t-2"), headers=bearer(new, "key-2"))).status == 401
    held_keys(keys).clock = lambda: datetime.now() + timedelta(hours=1, minutes=1)  # at most hourly
    assert (await client.post("/api/messages", json=typing("t-3"), headers=bearer(new, "key-2"))).status == 201
    assert keys.hits == ["/openid", "/keys"] * 2
