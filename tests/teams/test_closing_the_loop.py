"""Closing the loop in Teams: every reporter hears when their pattern changes, in a 1:1 chat."""

from __future__ import annotations

import json

from tests.teams.connector import fixture, in_thread, reports, titles

REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
OTHER = {"id": "29:1user-nine", "name": "Other Person", "aadObjectId": "aad-user-9"}


async def test_a_channel_reporter_is_told_in_a_new_personal_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000010", REFUNDS, SAM))
    chat = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-9"}
    personal = fixture("message_personal", connector.url, conversation=chat, **{"from": OTHER})
    await client.post("/api/messages", json=personal)
    [pattern] = {r.pattern_id for r in reports(services)}
    assert pattern is not None and len(reports(services)) == 2

    manager = {"id": "29:1user-two", "aadObjectId": "aad-user-2"}
    await client.post(
        "/api/messages", json=in_thread(connector.url, "1700000000020", f"status {pattern} resolved", manager)
    )
    assert titles(connector)[-2].endswith("Told its reporters (fewer than 3).")  # in the manager's 1:1 chat
    assert titles(connector)[-1] == "I've sent you the answer in our 1:1 chat."
    receipt_chat, created, managers = connector.created()  # the channel report's receipt went to Sam's 1:1 chat too
    assert managers["members"] == [{"id": manager["id"]}]
    assert receipt_chat["members"] == created["members"] == [{"id": SAM["id"]}] and created["isGroup"] is False
    assert created["channelData"]["tenant"]["id"] == "tenant-a" and created["bot"]["id"] == "28:bot-app-id"
    [update] = connector.sent_to("a:1created-2")
    text = json.dumps(update)
    sams = min(r.id for r in reports(services))  # Sam reported first, in the channel
    assert f"An update on your report #{sams}" in text and REFUNDS in text  # their own report, in their words
    assert not any(other in text for other in (*OTHER.values(), "personal-chat", "aad-user-2", "Sam"))
    assert len(connector.sent_to("a:1personal-chat-9")) == 2  # the receipt, then the update


async def test_a_message_extension_reporter_is_told_too(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("messaging_extension_submit", connector.url))
    [report] = reports(services)
    manager = {"id": "29:1user-two", "aadObjectId": "aad-user-2"}
    status = in_thread(connector.url, "1700000000030", f"status {report.pattern_id} in_progress", manager)
    await client.post("/api/messages", json=status)
    assert titles(connector)[-2].endswith("Told its reporters (fewer than 3).")  # in the manager's 1:1 chat
    created, _managers = connector.created()
    assert created["members"] == [{"id": "29:1user-three"}]
    assert "An update on your report #" in json.dumps(connector.sent_to("a:1created-1"))
