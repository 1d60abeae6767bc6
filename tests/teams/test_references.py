"""What a stored Teams conversation reference holds: what sending needs, never a name or AAD id;
encrypted with SNAG_ENCRYPTION_KEY when it is set; references stored before are still read, and
rewritten at start."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from adapters.server import make_web_app
from adapters.teams.references import SEALED, References
from bot.app import build
from bot.config import Settings
from store.conversations import save_reference
from store.db import session_scope
from store.models import ConversationRef, Report
from tests.conftest import FixedClassifier
from tests.teams.connector import FakeConnector, fixture, in_thread, reports, titles

KEY = "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E="
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
MANAGER = {"id": "29:1user-two", "name": "Lee Manager", "aadObjectId": "aad-user-2"}
REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
# A 1:1 chat's reference as earlier versions stored it: TurnContext.get_conversation_reference, whole.
OLD_STYLE = {
    "activityId": "1700000000001",
    "user": SAM,
    "bot": {"id": "28:bot-app-id", "name": "Snag"},
    "conversation": {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-1"},
    "channelId": "msteams",
    "locale": "en-GB",
    "serviceUrl": "",  # the fake connector's address, filled in
}


async def serving(tmp_path: Path, connector: FakeConnector, **settings: Any) -> AsyncIterator[Any]:
    """The app in development mode, as tests/teams/conftest.py serves it, with settings of our own."""
    services = build(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            env="dev",
            teams=True,
            data_dir=tmp_path / "var",
            database_url=f"sqlite:///{tmp_path / 'teams.db'}",
            reporter_secret="test-secret",
            managers=["teams:aad-user-2"],
            **settings,
        ),
        classifier=FixedClassifier(),
        migrate=True,
    )
    app = make_web_app(services)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield services, client, app
    finally:
        await client.close()
        services.engine.dispose()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


async def post(client: TestClient, app: Any, activity: dict[str, Any]) -> None:
    await client.post("/api/messages", json=activity)
    await app["teams"].drain()


def stored(services: Any) -> list[ConversationRef]:
    with Session(services.engine) as session:
        return list(session.exec(select(ConversationRef).where(ConversationRef.platform == "teams")).all())


async def test_a_reference_keeps_no_name_or_aad_id_of_the_reporter(tmp_path: Path, connector: FakeConnector) -> None:
    async for services, client, app in serving(tmp_path, connector):
        await post(client, app, fixture("message_personal", connector.url))
        await post(client, app, in_thread(connector.url, "1700000000010", REFUNDS, SAM))
        with Session(services.engine) as session:
            joined = session.exec(
                select(Report.id, ConversationRef.reference).join(
                    ConversationRef, ConversationRef.reporter_key == Report.reporter_key
                )
            ).all()
        assert len(joined) >= 2, "the reporter can still be reached: a 1:1 chat, and their user id"
        every = json.dumps([row.reference for row in stored(services)])
        assert "Sam Reporter" not in every and "aad-user-1" not in every
        personal = next(r.reference for r in stored(services) if r.conversation_id.startswith("user:"))
        assert personal["user"] == {"id": "29:1user-one"}, "opening a 1:1 chat needs the Teams user id"


async def test_with_an_encryption_key_references_are_sealed_and_still_reach_the_reporter(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async for services, client, app in serving(tmp_path, connector, encryption_key=KEY):
        await post(client, app, in_thread(connector.url, "1700000000010", REFUNDS, SAM))
        rows = stored(services)
        assert rows and all(list(r.reference) == [SEALED] for r in rows)
        assert not any(word in json.dumps(r.reference) for r in rows for word in ("tenant-a", connector.url, "29:"))
        [report] = reports(services)
        status = in_thread(connector.url, "1700000000020", f"status {report.pattern_id} resolved", MANAGER)
        await post(client, app, status)
        assert any(t.endswith("Told its reporters (fewer than 3).") for t in titles(connector))
        assert connector.created()[-2]["members"] == [{"id": SAM["id"]}]  # then the manager's own 1:1 chat


def _old_row(services: Any, service_url: str) -> None:
    with session_scope(services.engine) as session:
        save_reference(
            session=session,
            platform="teams",
            tenant="tenant-a",
            conversation_id="a:1personal-chat-1",
            reference=OLD_STYLE | {"serviceUrl": service_url},
            reporter_key="k" * 64,
        )


async def test_references_stored_before_are_read_then_rewritten(tmp_path: Path, connector: FakeConnector) -> None:
    async for services, _client, _app in serving(tmp_path, connector):
        _old_row(services, connector.url)
        plain = References(services.engine)
        sealed = References(services.engine, KEY)
        loaded = sealed.load("a:1personal-chat-1")  # read both: a plain row with the key set
        assert loaded is not None and loaded.conversation.id == "a:1personal-chat-1"
        assert sealed.reseal() == 1 and sealed.reseal() == 0
        [row] = stored(services)
        assert list(row.reference) == [SEALED] and "Sam" not in json.dumps(row.reference)
        assert "aad-user-1" not in json.dumps(row.reference)
        opened = sealed.load("a:1personal-chat-1")
        assert opened is not None and opened.service_url == connector.url and opened.user is None
        assert plain.load("a:1personal-chat-1") is None, "sealed, and no key to open it: not sent"


async def test_the_server_rewrites_old_references_at_start_without_a_key(
    tmp_path: Path, connector: FakeConnector
) -> None:
    services = build(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "var",
            database_url=f"sqlite:///{tmp_path / 'teams.db'}",
            reporter_secret="test-secret",
        ),
        classifier=FixedClassifier(),
        migrate=True,
    )
    _old_row(services, connector.url)
    services.engine.dispose()
    async for services, _client, app in serving(tmp_path, connector):
        await app["teams"].drain()
        [row] = stored(services)
        assert "user" not in row.reference and "Sam" not in json.dumps(row.reference)
        assert row.reference["conversation"]["id"] == "a:1personal-chat-1"


async def test_a_reporter_kept_under_their_aad_id_is_renamed_to_their_teams_user_id(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async for services, _client, _app in serving(tmp_path, connector):
        old = OLD_STYLE | {"serviceUrl": connector.url, "conversation": {"id": "user:aad-user-1", "tenantId": "t"}}
        with session_scope(services.engine) as session:
            save_reference(
                session=session, platform="teams", tenant="t", conversation_id="user:aad-user-1", reference=old
            )
        references = References(services.engine)
        assert references.reseal() == 1
        [row] = stored(services)
        assert row.conversation_id == "user:29:1user-one" and row.reference["user"] == {"id": "29:1user-one"}
        assert "aad-user-1" not in json.dumps(row.reference) and references.load("user:29:1user-one") is not None
