"""A photo sent to Snag in Slack with a caption that only points at it ("see pic", "look at this")
is answered as a photo without words, over signed HTTP; nothing is filed. A sentence with it is."""

from __future__ import annotations

from tests.slack.conftest import SlackDriver, fixture
from tests.slack.validate import answer_text

ONLY_FILES = "I got your file, but I can only read words"
PHOTO = {"id": "F0PHOTO1", "name": "printer.jpg", "mimetype": "image/jpeg"}


async def send(slack: SlackDriver, n: int, words: str) -> None:
    payload = fixture("event_message_im")
    payload["event"] |= {"text": words, "subtype": "file_share", "files": [PHOTO]}
    payload["event_id"] = f"Ev0CAPTION{n}"
    await slack.event(payload)


async def test_a_photo_with_a_caption_that_only_points_at_it_files_nothing(slack: SlackDriver) -> None:
    captions = ("look at this", "see pic", "pic attached", "as above", "see screenshot")
    for n, words in enumerate(captions):
        await send(slack, n, words)
    posts = slack.fake.called("chat.postMessage")
    assert [p.params["text"].startswith(ONLY_FILES) for p in posts] == [True] * len(captions)
    assert slack.reports() == []


async def test_a_photo_with_a_sentence_is_filed(slack: SlackDriver) -> None:
    await send(slack, 9, "see pic, the label printer on dock 3 jams every morning")
    [post] = slack.fake.called("chat.postMessage")
    assert post.params["text"].startswith("Thanks, saved as report #")
    assert [r.text for r in slack.reports()] == ["see pic, the label printer on dock 3 jams every morning"]


NOT_KEPT = "I saved your words, not the file you attached"


async def test_a_photo_with_a_sentence_gets_a_receipt_saying_the_photo_was_not_kept(slack: SlackDriver) -> None:
    await send(slack, 10, "the label printer on dock 3 jams every morning")
    [post] = slack.fake.called("chat.postMessage")
    [row] = slack.reports()
    assert post.params["text"] == f"Thanks, saved as report #{row.id}.", "the receipt's own words stay"
    assert NOT_KEPT in answer_text(post.params)
    slack.fake.calls.clear()
    payload = fixture("event_message_im")
    payload["event"]["text"] = "the forklift charger in bay 1 trips the breaker"
    payload["event_id"] = "Ev0CAPTION12"
    await slack.event(payload)  # no file: nothing said of one
    [plain] = slack.fake.called("chat.postMessage")
    assert plain.params["text"].startswith("Thanks, saved as report #")
    assert NOT_KEPT not in answer_text(plain.params)
