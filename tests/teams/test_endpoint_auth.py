"""/api/messages authenticates before it reads an activity: strangers get 401, broken activities 400, never a trace."""

from __future__ import annotations

import logging
from pathlib import Path

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from bot.app import build
from bot.config import Settings
from tests.conftest import FixedClassifier
from tests.teams.connector import fixture, reports

MINIMAL = {"type": "message", "id": "1", "text": "hi"}
FOREIGN_TOKEN = jwt.encode({"iss": "https://issuer.example.com", "aud": "someone"}, "k" * 32, algorithm="HS256")
BAD_HEADERS = [
    {},
    {"Authorization": "Bearer abc.def.ghi"},
    {"Authorization": "Bearer"},
    {"Authorization": "junk"},
    {"Authorization": f"Bearer {FOREIGN_TOKEN}"},
]


@pytest.fixture
async def production(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The app with real-looking Bot Framework credentials: every request must carry a valid token."""
    settings = Settings(
        _env_file=None,
        env="prod",
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        reporter_secret="test-secret",
        microsoft_app_id="00000000-0000-0000-0000-000000000001",
        microsoft_app_password="test-app-password",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    app = make_web_app(services)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield services, client, app
    await app["teams"].drain()
    await client.close()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records that carry a stack trace, or that aiohttp wrote about an unhandled error."""
    return [r.getMessage() for r in caplog.records if r.exc_info or r.name == "aiohttp.server"]


@pytest.mark.parametrize("headers", BAD_HEADERS)
@pytest.mark.parametrize("body", [MINIMAL, fixture("message_personal", "http://127.0.0.1:9/")])
async def test_an_unauthenticated_message_gets_401_and_stores_nothing(production, caplog, headers, body) -> None:  # type: ignore[no-untyped-def]
    services, client, app = production
    caplog.set_level(logging.DEBUG)
    response = await client.post("/api/messages", json=body, headers=headers)
    await app["teams"].drain()
    assert response.status == 401
    assert reports(services) == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("activity_type", ["invoke", "conversationUpdate", "installationUpdate"])
async def test_other_activities_with_a_bad_token_get_401_too(production, caplog, activity_type: str) -> None:  # type: ignore[no-untyped-def]
    _services, client, _app = production
    caplog.set_level(logging.DEBUG)
    body = {"type": activity_type, "id": "2", "name": "adaptiveCard/action"}
    response = await client.post("/api/messages", json=body, headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status == 401
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    ("drop", "body"),
    [
        ("from", MINIMAL),
        ("from", {**fixture("message_personal", "http://127.0.0.1:9/"), "from": None}),
        ("conversation", {**fixture("message_personal", "http://127.0.0.1:9/"), "conversation": {}}),
        ("recipient", {**fixture("message_personal", "http://127.0.0.1:9/"), "recipient": None}),
        ("from", {**fixture("card_submit", "http://127.0.0.1:9/"), "from": None}),
        ("conversation", {"type": "invoke", "id": "3", "from": {"id": "u"}, "recipient": {"id": "b"}}),
    ],
)
async def test_an_authenticated_activity_without_its_parties_gets_400_and_one_line(teams, caplog, drop, body) -> None:  # type: ignore[no-untyped-def]
    services, client, _connector = teams  # development mode: the Emulator's unauthenticated requests are accepted
    caplog.set_level(logging.DEBUG)
    response = await client.post("/api/messages", json=body)
    assert response.status == 400
    assert drop in (await response.json())["error"]
    assert reports(services) == []
    assert tracebacks(caplog) == []
    refused = [r for r in caplog.records if r.name == "snag.teams" and r.levelno == logging.WARNING]
    assert len(refused) == 1 and drop in refused[0].getMessage() and "\n" not in refused[0].getMessage()


async def test_in_development_a_bearer_token_is_still_checked(teams, caplog) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    caplog.set_level(logging.DEBUG)
    activity = fixture("message_personal", connector.url)
    response = await client.post("/api/messages", json=activity, headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status == 401
    assert reports(services) == [] and connector.calls == []
    assert tracebacks(caplog) == []


async def test_a_complete_activity_still_files_its_report_before_the_ack(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    response = await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m-ok"))
    assert response.status == 201
    assert [r.text for r in reports(services)] == [
        "refund requests sit in the finance inbox for a week before anyone looks"
    ]
    assert connector.cards()
