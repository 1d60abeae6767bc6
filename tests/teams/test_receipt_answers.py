"""What a reporter sees on and around a receipt in Teams, with activities POSTed to the endpoint:
answering the stage is an answer, not a "corrected" receipt; a channel report says who could see
it; an erased report's buttons say so plainly; a photo or file without words is acknowledged."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.teams.connector import fixture, in_thread, reports, titles

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
SHARED = "People in that channel or chat can see who posted this message."
ONLY_FILES = "I got your file, but I can only read words"
IMAGE = {"contentType": "image/*", "contentUrl": "https://teams.example/img.png"}
FILE = {
    "contentType": "application/vnd.microsoft.teams.file.download.info",
    "name": "rota.xlsx",
    "content": {"downloadUrl": "https://teams.example/rota.xlsx", "fileType": "xlsx"},
}
SENTENCE = "the label printer on dock 3 jams every morning"
HTML = {"contentType": "text/html", "content": f"<p>{SENTENCE}</p>"}


async def submit(client, url: str, activity_id: str, value: dict) -> None:  # type: ignore[no-untyped-def]
    await client.post("/api/messages", json=fixture("card_submit", url, id=activity_id, value=value))


async def test_sending_the_stage_answer_says_the_stage_and_not_corrected(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    classifier = services.snag.classifier
    classifier.tags = replace(classifier.tags, confidence={"billing": 0.1})  # unsure: the card asks the stage
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    [card] = connector.cards()
    assert "answer_pick_stage" in json.dumps(card)
    await submit(client, connector.url, "s-1", {"snag": "answers", "report_id": 1, "answer_pick_stage": "delivery"})
    [row] = reports(services)
    assert (row.stage, row.status) == ("delivery", "corrected")
    assert titles(connector)[1:] == ["Stage: Delivery."]
    assert "corrected" not in json.dumps(connector.cards()[1:])


async def test_a_button_on_an_erased_reports_card_says_it_was_erased(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    snag = services.snag
    assert snag.erase(snag.person("teams", "tenant-a", "aad-user-1")) == 1
    await submit(client, connector.url, "s-1", {"snag": "confirm", "report_id": 1, "value": "1"})
    assert titles(connector)[-1] == (
        "Report #1 is no longer stored (it may have been erased), so there is nothing to change."
    )


async def test_a_channel_report_says_who_can_see_it_and_a_personal_one_does_not(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000010", SENTENCE, SAM))
    [receipt] = connector.sent_to("a:1created-1")  # the receipt went to Sam's 1:1 chat
    assert SHARED in json.dumps(receipt) and "To report privately, send me a direct message." in json.dumps(receipt)
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    [personal] = connector.sent_to("a:1personal-chat-1")
    assert "Thanks, saved as report #2." in json.dumps(personal) and SHARED not in json.dumps(personal)
    assert len(reports(services)) == 2


async def test_a_photo_or_file_without_words_is_acknowledged_as_on_slack(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    cases = [("", [IMAGE]), (None, [FILE]), ("this", [IMAGE]), ("<at>Snag</at> see", [FILE])]
    for n, (text, attachments) in enumerate(cases):
        activity = fixture("message_personal", connector.url, id=f"17000000100{n}", text=text, attachments=attachments)
        await client.post("/api/messages", json=activity)
    said = titles(connector)
    assert len(said) == 4 and all(t.startswith(ONLY_FILES) for t in said)
    assert reports(services) == []


async def test_words_with_a_file_or_formatting_are_filed_or_answered_as_usual(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    cases = [(SENTENCE, [HTML, IMAGE]), ("help", [FILE])]
    for n, (text, attachments) in enumerate(cases):
        activity = fixture("message_personal", connector.url, id=f"17000000200{n}", text=text, attachments=attachments)
        await client.post("/api/messages", json=activity)
    assert titles(connector) == ["Thanks, saved as report #1.", "Snag commands"]
    assert [r.text for r in reports(services)] == [SENTENCE]
