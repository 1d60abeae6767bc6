"""An edit of a message that filed nothing (too short, not understood) whose new words are a report
files it, as if sent now: in the 1:1 chat, or in a channel when the message @mentions Snag.

Edits of a command or small talk into another command are left alone: the person was answered
when they sent it, and Teams never says what the message said before."""

from __future__ import annotations

import json

from tests.teams.connector import OPS, fixture, in_thread, refs, reports, titles
from tests.teams.test_edits import SAM, _edit

MEDS = "the medication chart is on paper so we copy it twice"


async def test_an_edit_of_a_too_short_message_into_a_report_files_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m2", text="the"))
    assert "“the” is a bit short to file" in json.dumps(connector.cards()[-1], ensure_ascii=False)
    assert reports(services) == []
    sent = len(connector.calls)
    response = await client.post("/api/messages", json=_edit(connector.url, MEDS, "m2"))
    assert response.status == 201
    [row] = reports(services)
    assert (row.text, row.message_id, row.channel) == (MEDS, "m2", "a:1personal-chat-1")
    [(path, _body)] = connector.calls[sent:]
    assert path.startswith("/v3/conversations/a:1personal-chat-1/activities")
    assert titles(connector)[-1] == f"Thanks, saved as report #{row.id}."  # the normal receipt
    assert [r.reporter_key is not None for r in refs(services)] == [True]  # closing the loop reaches them
    assert (
        list((services.settings.data_dir / "teams-owed").glob("*/*.json")) == []
    )  # its receipt was sent, not held for later


async def test_the_filing_edit_again_files_once_and_a_later_edit_updates_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m2", text="the"))
    edit = _edit(connector.url, MEDS, "m2")
    await client.post("/api/messages", json=edit)
    sent = len(connector.calls)
    await client.post("/api/messages", json=edit)  # Teams sent it again
    assert connector.calls[sent:] == [] and len(reports(services)) == 1
    await client.post("/api/messages", json=_edit(connector.url, MEDS + " on every ward", "m2"))
    [row] = reports(services)
    assert row.text == MEDS + " on every ward" and titles(connector)[-1] == f"Updated report #{row.id}."


async def test_an_edit_of_a_message_not_understood_files_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m3", text="top blah"))
    assert reports(services) == []
    await client.post(
        "/api/messages", json=_edit(connector.url, "the top shelf of the stock room is never labelled", "m3")
    )
    assert [r.text for r in reports(services)] == ["the top shelf of the stock room is never labelled"]


async def test_an_edit_still_too_short_is_answered_as_when_sent(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m2", text="the"))
    await client.post("/api/messages", json=_edit(connector.url, "teh", "m2"))
    assert "“teh” is a bit short to file" in json.dumps(connector.cards()[-1], ensure_ascii=False)
    assert reports(services) == []


async def test_an_edit_of_a_command_into_another_command_is_left_alone(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="m4", text="top"))
    sent = len(connector.calls)
    await client.post("/api/messages", json=_edit(connector.url, "top 7d", "m4"))
    await client.post("/api/messages", json=_edit(connector.url, "thanks!", "m4"))
    assert connector.calls[sent:] == [] and reports(services) == []


def _channel_edit(said: dict, text: str) -> dict:
    edit = dict(said, type="messageUpdate", text=text)
    edit["channelData"] = dict(said.get("channelData") or {}, eventType="editMessage")
    return edit


async def test_an_edited_channel_mention_files_privately(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    said = in_thread(connector.url, "1700000000007", "rota", SAM)
    await client.post("/api/messages", json=said)
    assert reports(services) == []
    sent = len(connector.calls)
    await client.post("/api/messages", json=_channel_edit(said, "<at>Snag</at> the ops rota lives in a spreadsheet"))
    [row] = reports(services)
    assert (row.text, row.channel, row.message_id, row.shared) == (
        "the ops rota lives in a spreadsheet",
        OPS,
        "1700000000007",
        True,
    )
    new_calls = connector.calls[sent:]
    in_channel = json.dumps([body for path, body in new_calls if OPS in path])
    assert "report #" not in in_channel and "your report is saved" in in_channel
    assert f"saved as report #{row.id}" in json.dumps([body for path, body in new_calls if OPS not in path])


async def test_an_edited_channel_message_that_no_longer_mentions_snag_files_nothing(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    said = in_thread(connector.url, "1700000000007", "rota", SAM)
    await client.post("/api/messages", json=said)
    sent = len(connector.calls)
    edit = _channel_edit(said, "the ops rota lives in a spreadsheet")
    edit["entities"] = []
    await client.post("/api/messages", json=edit)
    assert connector.calls[sent:] == [] and reports(services) == []


async def test_an_edited_reply_in_a_channel_thread_files_nothing(teams) -> None:  # type: ignore[no-untyped-def]
    """A reply under another message may have been added to a report: filed again, its words would count twice."""
    services, client, connector = teams
    reply = in_thread(connector.url, "1700000000007", "ok", SAM)
    reply["id"] = "1700000000009"  # under the post 1700000000007
    await client.post("/api/messages", json=reply)
    sent = len(connector.calls)
    await client.post("/api/messages", json=_channel_edit(reply, "<at>Snag</at> the ops rota lives in a spreadsheet"))
    assert connector.calls[sent:] == [] and reports(services) == []
