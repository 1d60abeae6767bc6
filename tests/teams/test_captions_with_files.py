"""A photo sent to Snag in Teams with a caption that only points at it is answered as a photo
without words, as on Slack; a greeting in another language is answered, never filed."""

from __future__ import annotations

from tests.teams.connector import fixture, reports, titles

ONLY_FILES = "I got your file, but I can only read words"
IMAGE = {"contentType": "image/*", "contentUrl": "https://teams.example/img.png"}


async def test_a_photo_with_a_caption_that_only_points_at_it_files_nothing(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    for n, text in enumerate(("look at this", "see pic", "as above")):
        activity = fixture("message_personal", connector.url, id=f"17000000300{n}", text=text, attachments=[IMAGE])
        await client.post("/api/messages", json=activity)
    said = titles(connector)
    assert len(said) == 3 and all(t.startswith(ONLY_FILES) for t in said)
    assert reports(services) == []


async def test_a_greeting_in_another_language_is_answered_and_not_filed(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    for n, text in enumerate(("مرحبا", "你好", "Спасибо большое")):
        await client.post(
            "/api/messages", json=fixture("message_personal", connector.url, id=f"17000000400{n}", text=text)
        )
    said = titles(connector)
    assert [t.split("!")[0] for t in said] == ["Hi", "Hi", "You're welcome"]
    assert reports(services) == []


NOT_KEPT = "I saved your words, not the file you attached"


def card_text(card: dict) -> str:
    """Every run of a card's text blocks, joined (what a person would read)."""
    return "\n".join("".join(r.get("text", "") for r in e.get("inlines", [])) for e in card["body"])


async def test_a_photo_with_a_sentence_gets_a_receipt_saying_the_photo_was_not_kept(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    text = "the label printer on dock 3 jams every morning"
    activity = fixture("message_personal", connector.url, id="170000005001", text=text, attachments=[IMAGE])
    await client.post("/api/messages", json=activity)
    plain = fixture("message_personal", connector.url, id="170000005002", text="the scanner in bay 2 drops scans")
    await client.post("/api/messages", json=plain)
    first, second = reports(services)
    assert first.text == text
    with_photo, without = connector.cards()
    assert titles(connector) == [f"Thanks, saved as report #{first.id}.", f"Thanks, saved as report #{second.id}."]
    assert NOT_KEPT in card_text(with_photo)
    assert NOT_KEPT not in card_text(without)
