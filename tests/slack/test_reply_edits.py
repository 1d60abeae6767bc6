"""A reply in a report's thread was added to the report ("…; also: <reply>"): editing the reply
changes its part of the report, as editing the report's own message does; deleting it is said,
as deleting the report's message is. Over signed HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.slack.conftest import SlackDriver, TaggingFake, fixture
from tests.slack.validate import answer_text, assert_valid_message

USER, DM = "U2147483697", "D0PNCRP9N"


def _dm(text: str, n: int, under: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvRE{n}"
    payload["event"].update(text=text, ts=f"17000003{n:02d}.000200", event_ts=f"17000003{n:02d}.000200")
    payload["event"].pop("blocks")
    if under is not None:
        payload["event"].update(thread_ts=under["event"]["ts"], parent_user_id=USER)
    return payload


def _edit(reply: dict[str, Any], text: str, n: int) -> dict[str, Any]:
    """Slack's message_changed for an edit of a reply in a thread of the DM."""
    was = reply["event"]
    thread = {"thread_ts": was["thread_ts"], "parent_user_id": USER}
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvREEDIT{n}"
    payload["event"] = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": DM,
        "channel_type": "im",
        "ts": f"17000007{n:02d}.000100",
        "event_ts": f"17000007{n:02d}.000100",
        "message": {"type": "message", "user": USER, "text": text, "ts": was["ts"], **thread},
        "previous_message": {
            "type": "message",
            "user": USER,
            "text": was["text"],
            "ts": was["ts"],
            **thread,
        },
    }
    return payload


def _delete(reply: dict[str, Any], n: int) -> dict[str, Any]:
    was = reply["event"]
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvREDEL{n}"
    payload["event"] = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": DM,
        "channel_type": "im",
        "ts": f"17000006{n:02d}.000100",
        "event_ts": f"17000006{n:02d}.000100",
        "deleted_ts": was["ts"],
        "previous_message": {
            "type": "message",
            "user": USER,
            "text": was["text"],
            "ts": was["ts"],
            "thread_ts": was["thread_ts"],
            "parent_user_id": USER,
        },
    }
    return payload


async def _report_with_reply(slack: SlackDriver, reply: str) -> tuple[dict[str, Any], dict[str, Any]]:
    original = _dm("the label printer jams every morning", 1)
    await slack.event(original)
    added = _dm(reply, 2, original)
    await slack.event(added)
    [row] = slack.reports()
    assert row.text == f"the label printer jams every morning; also: {reply}"
    return original, added


def _posts(slack: SlackDriver, since: int) -> list[Any]:
    return slack.fake.called("chat.postMessage")[since:]


async def test_an_edited_reply_replaces_its_part_of_the_report_retags_it_and_says_so(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    original, reply = await _report_with_reply(slack, "it happens in bay 5 when it is cold")
    classifier.tags = replace(classifier.tags, stage="delivery", kinds=("workaround",))
    before = len(slack.fake.called("chat.postMessage"))
    status, _ = await slack.event(_edit(reply, "it happens in bay 6 when it is cold", 3))
    assert status == 200
    [row] = slack.reports()
    assert row.text == "the label printer jams every morning; also: it happens in bay 6 when it is cold"
    assert (row.stage, row.kinds) == ("delivery", ["workaround"]), "tagged again, as an edited DM is"
    assert classifier.seen[-1] == row.text
    [note] = _posts(slack, before)
    assert note.params["channel"] == DM and note.params["thread_ts"] == original["event"]["ts"]
    assert note.params["text"].startswith(f"Updated report #{row.id}.")
    assert_valid_message(note.params)


async def test_editing_one_reply_keeps_the_others_and_the_reports_own_words(slack: SlackDriver) -> None:
    original, first = await _report_with_reply(slack, "it is dock 3")
    await slack.event(_dm("and the night shift hand-writes 200 labels", 4, original))
    await slack.event(_edit(first, "it is dock 3 and dock 4", 3))
    [row] = slack.reports()
    assert row.text == (
        "the label printer jams every morning; also: it is dock 3 and dock 4; "
        "also: and the night shift hand-writes 200 labels"
    )


async def test_an_edited_reply_is_redacted_as_a_report_is(slack: SlackDriver) -> None:
    _, reply = await _report_with_reply(slack, "it is dock 3")
    await slack.event(_edit(reply, "it is dock 3, mail sam@example.com for the key", 3))
    [row] = slack.reports()
    assert "sam@example.com" not in row.text
    assert row.text.startswith("the label printer jams every morning; also: it is dock 3, mail ")


async def test_a_reply_edited_into_no_report_keeps_its_words_and_says_how_to_erase(slack: SlackDriver) -> None:
    original, reply = await _report_with_reply(slack, "it is dock 3")
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(reply, "thanks!", 3))
    [row] = slack.reports()
    assert row.text == "the label printer jams every morning; also: it is dock 3"
    [note] = _posts(slack, before)
    said = answer_text(note.params)
    assert f"Report #{row.id} keeps your earlier words." in said and f"erase {row.id}" in said
    assert note.params["thread_ts"] == original["event"]["ts"]


async def test_a_retried_edit_of_a_reply_answers_once(slack: SlackDriver) -> None:
    _, reply = await _report_with_reply(slack, "it is dock 3")
    before = len(slack.fake.called("chat.postMessage"))
    edit = _edit(reply, "it is dock 4", 3)
    await slack.event(edit)
    await slack.event(edit, retry=1)
    assert len(_posts(slack, before)) == 1
    assert slack.reports()[0].text == "the label printer jams every morning; also: it is dock 4"


async def test_editing_a_command_answered_in_the_thread_changes_nothing(slack: SlackDriver) -> None:
    original = _dm("the label printer jams every morning", 1)
    await slack.event(original)
    command = _dm("mine", 2, original)
    await slack.event(command)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(command, "mine please", 3))
    assert [r.text for r in slack.reports()] == ["the label printer jams every morning"]
    assert _posts(slack, before) == []


async def test_a_deleted_reply_is_said_to_stay_in_the_report_with_how_to_erase_it(slack: SlackDriver) -> None:
    original, reply = await _report_with_reply(slack, "it is dock 3")
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_delete(reply, 3))
    [row] = slack.reports()
    assert row.text == "the label printer jams every morning; also: it is dock 3", "deleting never erases"
    [note] = _posts(slack, before)
    assert note.params["channel"] == DM and note.params["thread_ts"] == original["event"]["ts"]
    assert note.params["text"].startswith(
        f"You deleted a reply I added to report #{row.id}. Its words are still in the report: "
        f"type `erase {row.id}` to remove the whole report."
    )
    assert_valid_message(note.params)


async def test_deleting_a_command_answered_in_the_thread_says_nothing(slack: SlackDriver) -> None:
    original = _dm("the label printer jams every morning", 1)
    await slack.event(original)
    command = _dm("mine", 2, original)
    await slack.event(command)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_delete(command, 3))
    assert _posts(slack, before) == []
