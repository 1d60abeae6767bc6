"""When Teams will not open the asker's 1:1 chat, the channel's note says whether what they asked
was done: asked again, a change already made reads "Nothing changed", an erased report "isn't one of yours"."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from store.models import Pattern
from tests.teams.connector import OPS, fixture, in_thread, reports
from tests.teams.test_private_answers import LEE, REFUNDS, SAM, file_privately, in_channel, in_private, title


def status_of_pattern(services) -> str:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        [pattern] = s.exec(select(Pattern)).all()
        return pattern.status


async def test_a_change_made_says_done_when_the_answer_cannot_reach_the_managers_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    connector.statuses = [200, 403]  # Sam hears of the change; Teams refuses to open Lee's 1:1 chat
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000090", "status 1 in_progress", LEE))
    assert status_of_pattern(services) == "in_progress"
    [update] = connector.sent_to("a:1personal-1")
    assert "An update on your report #1" in json.dumps(update)
    [note] = in_channel(connector)
    said = json.dumps(note).lower()
    assert title(note).startswith("Done, so there's no need to ask again.") and "ask there" not in said
    assert "reporter" not in said and "#1" not in said and "in progress" not in said
    assert in_private(connector) == []


async def test_a_button_pressed_in_a_channel_says_done_when_its_answer_cannot_go_privately(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    connector.statuses = [403]
    conversation = {"isGroup": True, "conversationType": "channel", "tenantId": "tenant-a", "id": OPS}
    confirm = {"snag": "confirm", "report_id": 1, "value": "1"}  # on a receipt posted before answers went 1:1
    submit = fixture("card_submit", connector.url, id="c-9", value=confirm, conversation=conversation, **{"from": SAM})
    await client.post("/api/messages", json=submit)
    assert [r.status for r in reports(services)] == ["confirmed"]
    [note] = in_channel(connector)
    assert title(note).startswith("Done") and REFUNDS not in json.dumps(note) and "#1" not in json.dumps(note)


async def test_an_answer_that_only_shows_something_is_still_to_be_asked_for_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    connector.calls.clear()
    connector.statuses = [403]
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000091", "mine", SAM))
    [note] = in_channel(connector)
    assert "couldn't open our 1:1 chat" in title(note) and "ask there" in title(note)
    assert not title(note).startswith("Done") and REFUNDS not in json.dumps(note)


async def test_an_erase_says_not_to_ask_again_and_reads_the_same_whether_the_report_was_theirs(teams) -> None:  # type: ignore[no-untyped-def]
    """ "Done" after `erase 1` would tell the channel that report #1 was theirs."""
    services, client, connector = teams
    await file_privately(client, connector.url, SAM, 1)
    notes = []
    for n, typed in enumerate(("erase 7", "erase 1")):  # #7 is nobody's; #1 is Sam's, and is erased
        connector.calls.clear()
        connector.statuses = [403]
        await client.post("/api/messages", json=in_thread(connector.url, f"170000000010{n}", typed, SAM))
        [note] = in_channel(connector)
        notes.append(title(note))
    assert reports(services) == []
    assert notes[0] == notes[1] and "type mine" in notes[1] and "asking again would not find it" in notes[1]
    assert "ask there" not in notes[1] and not notes[1].startswith("Done")
