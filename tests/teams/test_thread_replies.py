"""A reply in the thread of a channel post that filed a report is added to that report, as a reply
in a Slack report's thread is ("…; also: <reply>", tagged again, "Added to report #N." said in the
reporter's 1:1 chat). Teams names the thread in the conversation id: `<channel>;messageid=<root>`."""

from __future__ import annotations

import json

from tests.teams.connector import OPS, fixture, in_thread, reports, titles
from tests.teams.test_edits import SAM

LEE = {"id": "29:1user-two", "name": "Lee Manager", "aadObjectId": "aad-user-2"}
ROOT = "1700000000007"
ROTA = "the ops rota lives in a spreadsheet nobody updates"


def _reply(url: str, reply_id: str, text: str, sender: dict) -> dict:
    """A reply in the thread under ROOT, @mentioning Snag (Teams sends a bot only those)."""
    activity = in_thread(url, ROOT, text, sender)
    activity.update(id=reply_id, replyToId=ROOT)
    return activity


async def _filed(client, connector) -> None:  # type: ignore[no-untyped-def]
    await client.post("/api/messages", json=in_thread(connector.url, ROOT, ROTA, SAM))


async def test_a_reply_in_a_reports_thread_is_added_to_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await _filed(client, connector)
    seen = len(services.snag.classifier.seen)
    sent = len(connector.calls)
    response = await client.post(
        "/api/messages", json=_reply(connector.url, "1700000000009", "wrong, it's nights", SAM)
    )
    assert response.status == 201
    [row] = reports(services)
    assert row.text == f"{ROTA}; also: wrong, it's nights"
    assert services.snag.classifier.seen[seen:] == [row.text]  # tagged again
    new_calls = connector.calls[sent:]
    in_channel = json.dumps([body for path, body in new_calls if OPS in path])
    assert "report #" not in in_channel and "1:1 chat" in in_channel  # the channel never reads its number
    assert f"Added to report #{row.id}." in json.dumps([body for path, body in new_calls if OPS not in path])


async def test_the_same_reply_again_is_added_and_answered_once(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await _filed(client, connector)
    reply = _reply(connector.url, "1700000000009", "wrong, it's nights", SAM)
    await client.post("/api/messages", json=reply)
    sent = len(connector.calls)
    await client.post("/api/messages", json=reply)
    assert connector.calls[sent:] == []
    assert [r.text for r in reports(services)] == [f"{ROTA}; also: wrong, it's nights"]


async def test_someone_elses_reply_in_the_thread_is_a_report_of_its_own(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await _filed(client, connector)
    await client.post("/api/messages", json=_reply(connector.url, "1700000000009", "and the leave calendar too", LEE))
    assert [r.text for r in reports(services)] == [ROTA, "and the leave calendar too"]


async def test_a_command_in_a_reports_thread_is_answered_as_one(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await _filed(client, connector)
    await client.post("/api/messages", json=_reply(connector.url, "1700000000009", "help", SAM))
    assert [r.text for r in reports(services)] == [ROTA]
    assert titles(connector)[-1] == "Snag commands"


async def test_report_words_in_a_reports_thread_file_a_report_of_their_own(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await _filed(client, connector)
    await client.post("/api/messages", json=_reply(connector.url, "1700000000009", "report the printer jams", SAM))
    assert [r.text for r in reports(services)] == [ROTA, "the printer jams"]


async def test_a_reply_under_a_post_that_filed_nothing_is_a_report_of_its_own(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, ROOT, "help", SAM))
    await client.post("/api/messages", json=_reply(connector.url, "1700000000009", ROTA, SAM))
    assert [r.text for r in reports(services)] == [ROTA]


async def test_a_1to1_message_is_never_taken_for_a_thread_reply(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    await client.post(
        "/api/messages",
        json=fixture("message_personal", connector.url, id="1700000000002", text="the printer on floor 2 jams"),
    )
    assert len(reports(services)) == 2
