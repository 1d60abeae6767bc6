"""Reports kept in the outbox during a database outage: once filed, their reporters hear back like any other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.server import make_web_app
from adapters.teams.waiting import WAITING_DIR
from bot.app import build
from store.db import make_engine
from store.repository import SqlRepository
from tests.conftest import FixedClassifier
from tests.teams.connector import fixture, in_thread, refs, reports, titles

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
OTHER = {"id": "29:1user-nine", "name": "Other Person", "aadObjectId": "aad-user-9"}
MANAGER = {"id": "29:1user-two", "aadObjectId": "aad-user-2"}
SAVED = "Your report is saved."


@pytest.fixture
def outage(teams: Any) -> Iterator[Any]:
    """The database is unreachable for the core and for Teams' references; `outage()` brings it back."""
    services, client, _connector = teams
    references = client.server.app["teams"].references
    working = (services.snag.repository, references.engine)
    down = make_engine(DOWN_URL)
    services.snag.repository, references.engine = SqlRepository(down), down

    def restore() -> None:
        services.snag.repository, references.engine = working

    yield restore
    restore()
    down.dispose()


async def restart(services: Any) -> None:
    """Start (and stop) the server again on the same database and data directory."""
    app = make_web_app(build(services.settings, classifier=FixedClassifier(), migrate=True))
    server = TestServer(app)
    await server.start_server()
    await app["teams"].drain()
    await server.close()


def waiting_files(services: Any) -> list[str]:
    return [path.name for path in (services.settings.data_dir / WAITING_DIR).glob("*")]


async def set_status(client: Any, connector: Any, pattern: int | None, message_id: str) -> str:
    """A manager changes the pattern's status in a channel thread; the title of Snag's answer (in
    their 1:1 chat: the channel reads only where it went)."""
    await client.post(
        "/api/messages", json=in_thread(connector.url, message_id, f"status {pattern} in_progress", MANAGER)
    )
    assert titles(connector)[-1] == "I've sent you the answer in our 1:1 chat."
    return titles(connector)[-2]


async def test_reporters_whose_reports_waited_in_the_outbox_are_told_when_their_pattern_changes(
    teams: Any, outage: Any
) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000010", REFUNDS, SAM))
    chat = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-9"}
    await client.post(
        "/api/messages", json=fixture("message_personal", connector.url, conversation=chat, **{"from": OTHER})
    )
    assert all(title.startswith(SAVED) for title in titles(connector)) and len(titles(connector)) == 2
    assert services.snag.outbox.depth() == 2

    outage()
    assert await asyncio.to_thread(services.snag.replay_outbox) == 2
    [pattern] = {r.pattern_id for r in reports(services)}
    assert pattern is not None and len(reports(services)) == 2
    assert {r.reporter_key for r in reports(services)} <= {ref.reporter_key for ref in refs(services)}

    assert (await set_status(client, connector, pattern, "1700000000020")).endswith(
        "Told its reporters (fewer than 3)."
    )
    created, _managers = connector.created()  # the channel reporter: a new 1:1 chat, opened for them
    assert created["members"] == [{"id": SAM["id"]}] and created["channelData"]["tenant"]["id"] == "tenant-a"
    assert "An update on your report #" in json.dumps(connector.sent_to("a:1created-1"))
    [_saved, update] = connector.sent_to("a:1personal-chat-9")  # the 1:1 reporter: in their chat with Snag
    assert "An update on your report #" in json.dumps(update)


async def test_a_message_extension_report_from_the_outbox_is_followed_up_too(teams: Any, outage: Any) -> None:
    services, client, connector = teams
    response = await client.post("/api/messages", json=fixture("messaging_extension_submit", connector.url))
    assert SAVED in json.dumps(await response.json())
    outage()
    await asyncio.to_thread(services.snag.replay_outbox)
    [report] = reports(services)
    assert (await set_status(client, connector, report.pattern_id, "1700000000030")).endswith(
        "Told its reporters (fewer than 3)."
    )
    created, _managers = connector.created()
    assert created["members"] == [{"id": "29:1user-three"}]
    assert "An update on your report #" in json.dumps(connector.sent_to("a:1created-1"))


async def test_a_report_filed_before_teams_was_mounted_gets_its_references_when_the_server_starts(
    teams: Any, outage: Any
) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000010", REFUNDS, SAM))
    assert waiting_files(services)
    outage()
    services.snag.on_replayed.clear()  # as `snag serve` replays the outbox before it mounts Teams
    await asyncio.to_thread(services.snag.replay_outbox)
    [report] = reports(services)
    assert report.reporter_key not in {ref.reporter_key for ref in refs(services)}

    await restart(services)
    assert report.reporter_key in {
        ref.reporter_key for ref in refs(services) if ref.conversation_id == "user:29:1user-one"
    }
    assert waiting_files(services) == []


async def test_an_erased_reporter_leaves_nothing_behind(teams: Any, outage: Any) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000010", REFUNDS, SAM))
    assert waiting_files(services)
    outage()
    assert services.snag.erase(services.snag.person("teams", "tenant-a", "aad-user-1")) == 1
    await restart(services)
    assert reports(services) == [] and refs(services) == [] and waiting_files(services) == []


async def test_a_photo_with_a_sentence_kept_in_the_outbox_is_said_not_kept_and_its_reporter_is_reached(
    teams: Any, outage: Any
) -> None:
    services, client, connector = teams
    image = {"contentType": "image/*", "contentUrl": "https://teams.example/img.png"}
    activity = fixture("message_personal", connector.url, id="1700000000040", text=REFUNDS, attachments=[image])
    await client.post("/api/messages", json=activity)
    [saved] = connector.cards()
    assert titles(connector)[0].startswith(SAVED)
    assert "I saved your words, not the file you attached: I can only read words." in json.dumps(saved)
    assert waiting_files(services), "how to reach its reporter waits beside it, as for any report kept"
