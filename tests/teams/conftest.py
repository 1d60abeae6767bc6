"""The running app in development mode with its Bot Connector pointed at a fake on port 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from bot.app import build
from bot.config import Settings
from tests.conftest import FixedClassifier
from tests.teams.connector import FakeConnector


@pytest.fixture
async def teams(tmp_path: Path):  # type: ignore[no-untyped-def]
    connector = FakeConnector()
    await connector.server.start_server()
    settings = Settings(
        _env_file=None,
        env="dev",
        teams=True,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'teams.db'}",
        reporter_secret="test-secret",
        managers=["teams:aad-user-2"],
        admins=["teams:aad-admin"],
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    app = make_web_app(services)
    client = TestClient(TestServer(app))
    await client.start_server()
    original_post = client.post

    async def post_and_drain(*args, **kwargs):  # type: ignore[no-untyped-def]
        response = await original_post(*args, **kwargs)
        await app["teams"].drain()
        return response

    client.post = post_and_drain  # type: ignore[method-assign]
    yield services, client, connector
    await client.close()
    await connector.server.close()
