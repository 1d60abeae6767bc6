"""Teams has no ephemeral messages: what names the asker's reports or quotes reports, asked for in a
channel, goes to the asker's 1:1 chat with Snag; the channel reads only where it went."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.teams.connector import OPS, FakeConnector, fixture, in_thread, reports

REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
LEE = {"id": "29:1user-two", "name": "Lee Manager", "aadObjectId": "aad-user-2"}  # a manager
SENT = "I've sent you the answer in our 1:1 chat."


def in_channel(connector: FakeConnector) -> list[dict]:
    """What the ops channel (any of its threads) was sent."""
    return [body for path, body in connector.calls if path.startswith(f"/v3/conversations/{OPS}")]


def in_private(connector: FakeConnector) -> list[dict]:
    """What went to 1:1 chats Snag opened."""
    return [body for path, body in connector.calls if path.startswith("/v3/conversations/a:1created-")]


def title(body: dict) -> str:
    return body["attachments"][0]["content"]["body"][0]["inlines"][0]["text"]


async def file_privately(client, url: str, sender: dict, n: int) -> None:  # type: ignore[no-untyped-def]
    """A report sent in the person's own 1:1 chat with Snag."""
    chat = {"conversationType": "personal", "tenantId": "tenant-a", "id": f"a:1personal-{n}"}
    message = fixture("message_personal", url, id=f"p-{n}", conversation=chat, **{"from": sender})
    await client.post("/api/messages", json=message)


async def test_mine_in_a_channel_goes_to_the_askers_personal_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000040", "mine", SAM))
    [note] = in_channel(connector)
    assert title(note) == SENT and REFUNDS not in json.dumps(note)
    [created] = connector.created()
    assert created["members"] == [{"id": SAM["id"]}] and created["isGroup"] is False
    [answer] = in_private(connector)
    assert title(answer) == "Your reports" and REFUNDS in json.dumps(answer)


@pytest.mark.parametrize(
    ("command", "shown"),
    [("search refund", REFUNDS), ("pattern 1", REFUNDS), ("mine", REFUNDS), ("digest", "Snag digest")],
)
async def test_a_managers_answers_quoting_reports_never_reach_the_channel(teams, command: str, shown: str) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    for n in range(3):  # three reporters: a pattern shows its quotes to managers
        await file_privately(client, connector.url, {"id": f"29:1r{n}", "aadObjectId": f"aad-r{n}"}, n)
    await file_privately(client, connector.url, LEE, 9)
    assert {r.pattern_id for r in reports(services)} == {1}
    services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # the day's reports are in from midnight
    connector.calls.clear()
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000050", command, LEE))
    [note] = in_channel(connector)
    assert title(note) == SENT and "refund" not in json.dumps(note).lower()
    [answer] = in_private(connector)
    assert shown in json.dumps(answer)  # the digest preview quotes reports of a full week to managers


@pytest.mark.parametrize("command", ["top 30d", "stats", "help", "pattern 1"])
async def test_counts_and_help_stay_in_the_channel(teams, command: str) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    for n in range(3):
        await file_privately(client, connector.url, {"id": f"29:1r{n}", "aadObjectId": f"aad-r{n}"}, n)
    services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # the day's reports are in from midnight
    connector.calls.clear()
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000060", command, SAM))  # staff
    [answer] = in_channel(connector)
    assert title(answer) != SENT and REFUNDS not in json.dumps(answer)
    assert connector.created() == []


async def test_a_report_in_a_channel_gets_its_receipt_in_the_personal_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    text = "the courier portal logs us out every hour so we re-enter every parcel"
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000070", text, SAM))
    assert [r.text for r in reports(services)] == [text]
    [note] = in_channel(connector)
    channel = json.dumps(note)
    assert title(note) == "Thanks, your report is saved. I've sent you the details in our 1:1 chat."
    assert "courier" not in channel and "#1" not in channel and "actions" not in note["attachments"][0]["content"]
    [receipt] = in_private(connector)
    card = receipt["attachments"][0]["content"]
    assert title(receipt) == "Thanks, saved as report #1." and text in json.dumps(card)
    assert [a["data"]["snag"] for a in card["actions"]] == ["confirm", "fix", "answers"]


async def test_when_the_personal_chat_cannot_be_opened_the_channel_is_told_without_the_answer(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    connector.statuses = [403]  # Teams refuses to open the 1:1 chat
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000080", "mine", SAM))
    [(refused, _), (_, note)] = connector.calls
    assert refused == "/v3/conversations" and in_private(connector) == [] and in_channel(connector) == [note]
    assert "couldn't open our 1:1 chat" in title(note) and REFUNDS not in json.dumps(note)

    connector.calls.clear()
    connector.statuses = [403]
    text = "the courier portal logs us out every hour so we re-enter every parcel"
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000081", text, SAM))
    [note] = in_channel(connector)
    assert title(note).startswith("Thanks, your report is saved, but I couldn't open our 1:1 chat")
    assert "courier" not in json.dumps(note) and text in [r.text for r in reports(services)]


async def test_a_button_pressed_on_a_card_in_a_channel_answers_in_the_personal_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    conversation = {"isGroup": True, "conversationType": "channel", "tenantId": "tenant-a", "id": OPS}
    fix = {"snag": "fix", "report_id": 1, "value": "1"}  # e.g. on a receipt posted before answers went 1:1
    submit = fixture("card_submit", connector.url, id="c-1", value=fix, conversation=conversation, **{"from": SAM})
    await client.post("/api/messages", json=submit)
    [note] = in_channel(connector)
    assert title(note) == SENT and REFUNDS not in json.dumps(note)
    [form] = in_private(connector)
    assert title(form) == "Fix tags on #1" and REFUNDS in json.dumps(form)


@pytest.mark.parametrize("command", ["status 1 resolved", "own 1 Finance ops"])
async def test_a_managers_change_to_a_pattern_is_answered_in_their_chat_not_the_channel(teams, command: str) -> None:  # type: ignore[no-untyped-def]
    """The answer, who was told, would tell the channel that someone reported it."""
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    assert {r.pattern_id for r in reports(services)} == {1}
    connector.calls.clear()
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000070", command, LEE))
    [note] = in_channel(connector)
    assert title(note) == SENT and "reporter" not in json.dumps(note).lower()
    answers = [title(body) for body in in_private(connector)]
    assert any(t.endswith("Told its reporters (fewer than 3).") for t in answers), answers
