"""Deliveries as Teams numbers them: message ids are unique only within one conversation."""

from __future__ import annotations

import json

from store.db import make_engine
from store.repository import SqlRepository
from tests.teams.connector import fixture, reports, titles

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
OTHER = {"id": "29:1user-nine", "name": "Other Person", "aadObjectId": "aad-user-9"}
OTHER_CHAT = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-2"}
PRINTER = "the label printer in bay 4 jams every morning and we hand-write labels"


def other_person(name: str, url: str, **changes: object) -> dict:
    """The fixture as sent by someone else, in their own 1:1 chat, with the same message id."""
    return fixture(name, url, conversation=OTHER_CHAT, **{"from": OTHER}, **changes)


async def test_the_same_message_id_in_two_chats_files_both_reports(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    first = fixture("message_personal", connector.url)
    await client.post("/api/messages", json=first)
    await client.post("/api/messages", json=other_person("message_personal", connector.url, text=PRINTER))
    assert [r.text for r in reports(services)] == [first["text"], PRINTER]
    [reply] = connector.sent_to("a:1personal-chat-2")
    card = json.dumps(reply["attachments"][0]["content"])
    assert "saved as report #2" in card and PRINTER in card and first["text"] not in card


async def test_the_same_submit_id_in_two_chats_counts_twice(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    await client.post("/api/messages", json=other_person("message_personal", connector.url, text=PRINTER))
    await client.post("/api/messages", json=fixture("card_submit", connector.url))
    mine = {"snag": "confirm", "report_id": 2, "value": "2"}
    await client.post("/api/messages", json=other_person("card_submit", connector.url, value=mine))
    assert [r.status for r in reports(services)] == ["confirmed", "confirmed"]


async def test_with_the_database_down_the_person_is_told_the_report_is_saved(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    down = make_engine(DOWN_URL)
    services.snag.repository = SqlRepository(down)
    client.server.app["teams"].references.engine = down  # saving the chat's reference fails too
    response = await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert response.status == 201 and services.snag.outbox.depth() == 1
    [title] = titles(connector)
    assert title.startswith("Your report is saved.") and "Nothing you wrote is lost" in title
