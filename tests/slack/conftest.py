"""The Slack adapter as Slack drives it: signed requests over HTTP into the running app,
Web API calls over HTTP into a fake Slack on port 0."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import Handoff, Tags
from store.models import Report
from tests.slack.fake_slack import FakeSlack

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
MANAGER = "U0MANAGER"


class TaggingFake:
    """A classifier that always answers the same tags and remembers what it read."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.tags = Tags(
            stage="billing",
            kinds=("handoff", "waiting"),
            teams=("finance", "support"),
            handoff=Handoff("support", "finance"),
            confidence={"billing": 0.9, "handoff": 0.8, "waiting": 0.7},
            source="model",
            model_version="fake-1",
        )

    def classify(self, text: str) -> Tags:
        self.seen.append(text)
        return self.tags


def fixture(name: str) -> dict[str, Any]:
    """A recorded Slack payload from tests/fixtures/slack (a fresh copy)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Request-Timestamp and the v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}


class SlackDriver:
    """Sends what Slack would send to the running app; waits for its background deliveries."""

    def __init__(
        self,
        server: TestServer,
        session: aiohttp.ClientSession,
        app: Any,
        fake: FakeSlack,
        services: Any,
    ) -> None:
        self.server, self.session, self.app, self.fake, self.services = (
            server,
            session,
            app,
            fake,
            services,
        )

    @property
    def runtime(self) -> Any:
        from adapters.slack.http import RUNTIME

        return self.app[RUNTIME]

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        drain: bool = True,
    ) -> tuple[int, str]:
        all_headers = {
            "Content-Type": content_type,
            **(sign(body) if signed else {}),
            **(headers or {}),
        }
        async with self.session.post(
            self.server.make_url("/slack/events"), data=body.encode(), headers=all_headers
        ) as response:
            text = await response.text()
        if drain:
            await self.runtime.drain()
        return response.status, text

    async def post_only(self, fields: dict[str, Any]) -> tuple[int, str]:
        """A slash command, returning as soon as Slack would have its answer (no waiting)."""
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", drain=False)

    async def command(self, fields: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    async def event(self, payload: dict[str, Any], *, retry: int | None = None, **kw: Any) -> tuple[int, str]:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(payload), "application/json", headers=headers, **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    def reports(self) -> list[Report]:
        with Session(self.services.engine) as session:
            return list(session.exec(select(Report).order_by(Report.id)).all())


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def classifier() -> TaggingFake:
    return TaggingFake()


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test changes: `@pytest.mark.parametrize("overrides", [{...}])`."""
    return {}


@pytest.fixture
def slack_settings(tmp_path: Path, fake_slack: FakeSlack, overrides: dict[str, Any]) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-reporter-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
        slack_api_url=fake_slack.api_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        managers=[f"slack:{MANAGER}"],
    ).model_copy(update=overrides)


@pytest.fixture
def slack_services(slack_settings: Settings, classifier: TaggingFake) -> Any:
    from bot.app import build

    return build(slack_settings, classifier=classifier, migrate=True)


@contextlib.asynccontextmanager
async def serving(services: Any, fake: FakeSlack) -> AsyncIterator[SlackDriver]:
    """The app serving Slack, as one process would from start to stop."""
    from adapters.server import make_web_app

    app = make_web_app(services)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackDriver(server, session, app, fake, services)
    finally:
        await server.close()


@pytest.fixture
async def slack(slack_services: Any, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    async with serving(slack_services, fake_slack) as driver:
        yield driver
    slack_services.engine.dispose()
