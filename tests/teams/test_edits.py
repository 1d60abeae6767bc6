"""A report follows the Teams message it was filed from: messageUpdate (editMessage) and
messageDelete (softDeleteMessage) activities POSTed over HTTP, as Teams sends them.

Teams has no threads in a bot's 1:1 chat, so nothing is added to a report from a reply there."""

from __future__ import annotations

import json

from tests.teams.connector import OPS, fixture, in_thread, reports, titles

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}


def _edit(url: str, text: str, message_id: str = "1700000000001") -> dict:
    """Teams names the edited message by its own id and conversation; `text` is what it says now."""
    return fixture(
        "message_personal",
        url,
        type="messageUpdate",
        id=message_id,
        text=text,
        channelData={"tenant": {"id": "tenant-a"}, "eventType": "editMessage"},
    )


def _delete(url: str, message_id: str = "1700000000001") -> dict:
    return fixture(
        "message_personal",
        url,
        type="messageDelete",
        id=message_id,
        text=None,
        channelData={"tenant": {"id": "tenant-a"}, "eventType": "softDeleteMessage"},
    )


async def test_an_edited_message_updates_its_report_and_says_so(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    seen = len(services.snag.classifier.seen)
    sent = len(connector.calls)
    edited = "refund requests sit in the finance inbox for TWO weeks before anyone looks"
    response = await client.post("/api/messages", json=_edit(connector.url, edited))
    assert response.status in (200, 201)
    [row] = reports(services)
    assert row.text == edited
    assert services.snag.classifier.seen[seen:] == [edited]  # tagged again
    [(path, body)] = connector.calls[sent:]
    assert path.startswith("/v3/conversations/a:1personal-chat-1/activities")
    assert titles(connector)[-1] == f"Updated report #{row.id}."
    assert body["attachments"][0]["content"]["body"]


async def test_the_same_edit_again_says_nothing_more(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    edit = _edit(connector.url, "refund requests sit in the finance inbox for two weeks")
    await client.post("/api/messages", json=edit)
    sent = len(connector.calls)
    await client.post("/api/messages", json=edit)
    assert connector.calls[sent:] == []


async def test_a_deleted_message_says_the_report_is_still_stored(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    sent = len(connector.calls)
    for _ in range(2):  # Teams sending it again says nothing twice
        assert (await client.post("/api/messages", json=_delete(connector.url))).status in (200, 201)
    [row] = reports(services)
    [(path, _body)] = connector.calls[sent:]
    assert path.startswith("/v3/conversations/a:1personal-chat-1/activities")
    assert titles(connector)[-1] == (
        f"You deleted the message I filed as report #{row.id}. It is still stored: "
        f"type erase {row.id} to remove it too."
    )


async def test_edits_and_deletions_of_a_command_are_ignored(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="1700000000005", text="help"))
    sent = len(connector.calls)
    await client.post("/api/messages", json=_edit(connector.url, "help me please", "1700000000005"))
    await client.post("/api/messages", json=_delete(connector.url, "1700000000005"))
    assert connector.calls[sent:] == [] and reports(services) == []


async def test_an_edited_channel_mention_is_answered_in_the_1to1_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    said = in_thread(connector.url, "1700000000007", "the ops rota lives in a spreadsheet nobody updates", SAM)
    await client.post("/api/messages", json=said)
    edit = dict(said, type="messageUpdate", text="<at>Snag</at> the ops rota lives in a spreadsheet only Jo updates")
    edit["channelData"] = dict(said.get("channelData") or {}, eventType="editMessage")
    sent = len(connector.calls)
    await client.post("/api/messages", json=edit)
    [row] = reports(services)
    assert row.text == "the ops rota lives in a spreadsheet only Jo updates"
    new_calls = connector.calls[sent:]
    in_channel = [body for path, body in new_calls if OPS in path]
    assert "Updated report" not in json.dumps(in_channel)  # the channel never reads the report's number
    assert f"Updated report #{row.id}." in json.dumps([body for path, body in new_calls if OPS not in path])


async def test_a_did_you_mean_edited_into_mine_in_a_channel_is_answered_in_the_1to1_chat(teams) -> None:  # type: ignore[no-untyped-def]
    """`mine` lists the asker's reports: sent in a channel it goes to the 1:1 chat, and so it does
    when it is the command a did-you-mean was edited into (it ran, answered in the channel)."""
    services, client, connector = teams
    said = in_thread(connector.url, "1700000000011", "the ops rota lives in a spreadsheet nobody updates", SAM)
    await client.post("/api/messages", json=said)
    slip = in_thread(connector.url, "1700000000012", "mnie", SAM)
    await client.post("/api/messages", json=slip)
    assert "Did you mean" in json.dumps(connector.calls[-1][1]), connector.calls[-1]
    edit = dict(slip, type="messageUpdate", text="<at>Snag</at> mine")
    edit["channelData"] = dict(slip.get("channelData") or {}, eventType="editMessage")
    sent = len(connector.calls)
    await client.post("/api/messages", json=edit)
    [row] = reports(services)
    new_calls = connector.calls[sent:]
    private = json.dumps([body for path, body in new_calls if OPS not in path])
    assert f"#{row.id}" in private and "spreadsheet" in private  # the list went to the 1:1 chat
    in_channel = json.dumps([body for path, body in new_calls if OPS in path])
    assert "spreadsheet" not in in_channel and f"#{row.id}" not in in_channel
