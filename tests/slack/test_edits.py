"""A report follows the DM it was filed from: edits, deletions and replies in its thread, as Slack
sends them over signed HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session, select

from bot.domain import ActionEvent, Handoff
from store.models import Pattern, TermCount
from tests.slack.conftest import SlackDriver, TaggingFake, fixture
from tests.slack.validate import answer_text, assert_valid_message

USER, DM = "U2147483697", "D0PNCRP9N"


def _dm(text: str, n: int) -> dict[str, Any]:
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvDM{n}"
    payload["event"].update(text=text, ts=f"17000001{n:02d}.000200", event_ts=f"17000001{n:02d}.000200")
    payload["event"].pop("blocks")
    return payload


def _reply(text: str, n: int, under: dict[str, Any]) -> dict[str, Any]:
    payload = _dm(text, n)
    payload["event"].update(thread_ts=under["event"]["ts"], parent_user_id=USER)
    return payload


def _edit(original: dict[str, Any], text: str, n: int, *, previous: str | None = None) -> dict[str, Any]:
    """Slack's message_changed event for an edit of a DM (`previous`: its text before, else the original's)."""
    was = original["event"]
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvEDIT{n}"
    payload["event"] = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": was["channel"],
        "channel_type": "im",
        "ts": f"17000009{n:02d}.000100",
        "event_ts": f"17000009{n:02d}.000100",
        "message": {
            "type": "message",
            "user": was["user"],
            "text": text,
            "ts": was["ts"],
            "edited": {"user": was["user"], "ts": f"17000009{n:02d}.000000"},
        },
        "previous_message": {"type": "message", "user": was["user"], "text": previous or was["text"], "ts": was["ts"]},
    }
    return payload


def _delete(original: dict[str, Any], n: int) -> dict[str, Any]:
    was = original["event"]
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvDEL{n}"
    payload["event"] = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": was["channel"],
        "channel_type": "im",
        "ts": f"17000008{n:02d}.000100",
        "event_ts": f"17000008{n:02d}.000100",
        "deleted_ts": was["ts"],
        "previous_message": {"type": "message", "user": was["user"], "text": was["text"], "ts": was["ts"]},
    }
    return payload


def _posts(slack: SlackDriver, since: int) -> list[Any]:
    return slack.fake.called("chat.postMessage")[since:]


async def test_an_edited_dm_updates_its_report_retags_it_and_says_so(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    classifier.tags = replace(classifier.tags, stage="delivery", kinds=("workaround",))
    before = len(slack.fake.called("chat.postMessage"))
    edited = "the label printer on dock 3 jams every morning and we hand-write 200 labels"
    status, _ = await slack.event(_edit(original, edited, 1))
    assert status == 200
    [row] = slack.reports()
    assert row.text == edited
    assert (row.stage, row.kinds) == ("delivery", ["workaround"])
    assert classifier.seen[-1] == edited
    [note] = _posts(slack, before)
    assert note.params["channel"] == DM and note.params["thread_ts"] == original["event"]["ts"]
    assert note.params["text"].startswith(f"Updated report #{row.id}.")
    assert_valid_message(note.params)


async def test_an_edit_is_redacted_as_a_report_is(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    await slack.event(_edit(original, "the label printer jams, mail sam@example.com for the key", 1))
    [row] = slack.reports()
    assert "sam@example.com" not in row.text and row.text.startswith("the label printer jams, mail ")


async def test_an_edit_keeps_the_tags_the_person_corrected(slack: SlackDriver, classifier: TaggingFake) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    [row] = slack.reports()
    snag = slack.services.snag
    person = snag.person("slack", "T0001", USER)
    chosen = {"stage": "delivery", "kinds": ["workaround"], "teams": ["it"], "handoff_from": "", "handoff_to": ""}
    snag.handle_action(ActionEvent(person, row.id, "correct", values=chosen))
    classifier.tags = replace(classifier.tags, stage="billing", kinds=("waiting",), handoff=Handoff("it", "finance"))
    await slack.event(_edit(original, "the label printer on dock 3 jams every single morning", 1))
    [row] = slack.reports()
    assert row.text == "the label printer on dock 3 jams every single morning"
    assert (row.stage, row.kinds, row.teams, row.tag_source) == ("delivery", ["workaround"], ["it"], "person")


async def test_an_edit_keeps_the_axes_a_person_answered_and_retags_the_rest(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    [row] = slack.reports()
    snag = slack.services.snag
    snag.handle_action(ActionEvent(snag.person("slack", "T0001", USER), row.id, "pick_stage", "delivery"))
    classifier.tags = replace(classifier.tags, stage="billing", kinds=("waiting",))
    await slack.event(_edit(original, "the label printer on dock 3 jams every single morning", 1))
    [row] = slack.reports()
    assert (row.stage, row.kinds, row.tag_source) == ("delivery", ["waiting"], "person:stage")


async def test_edits_of_a_command_and_unchanged_words_are_ignored(slack: SlackDriver) -> None:
    command = _dm("help", 1)
    await slack.event(command)
    original = _dm("the label printer jams", 2)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(command, "help me", 1))
    link_preview = _edit(original, "the label printer jams", 2)  # Slack added an unfurl: same words
    await slack.event(link_preview)
    assert [r.text for r in slack.reports()] == ["the label printer jams"]
    assert _posts(slack, before) == []


async def test_an_edit_that_is_no_report_keeps_the_words_and_says_how_to_erase(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(original, "thanks!", 1))
    [row] = slack.reports()
    assert row.text == "the label printer jams"
    [note] = _posts(slack, before)
    said = answer_text(note.params)
    assert f"Report #{row.id} keeps your earlier words." in said and f"erase {row.id}" in said


async def test_a_retried_edit_answers_once(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    edit = _edit(original, "the label printer on dock 3 jams", 1)
    await slack.event(edit)
    await slack.event(edit, retry=1)
    assert len(_posts(slack, before)) == 1


async def test_a_deleted_dm_says_the_report_is_still_stored_and_how_to_erase_it(slack: SlackDriver) -> None:
    original = _dm("Dr Evans keeps skipping the handover checklist on ward 4", 1)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_delete(original, 1))
    [row] = slack.reports()
    [note] = _posts(slack, before)
    assert note.params["channel"] == DM and "thread_ts" not in note.params
    assert note.params["text"].startswith(
        f"You deleted the message I filed as report #{row.id}. It is still stored: "
        f"type `erase {row.id}` to remove it too."
    )
    await slack.event(_dm(f"erase {row.id}", 2))
    assert slack.reports() == []


async def test_a_deleted_message_with_replies_is_a_tombstone_and_still_told(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    tombstone = _edit(original, "This message was deleted.", 1)
    tombstone["event"]["message"].update(subtype="tombstone", user="USLACKBOT", thread_ts=original["event"]["ts"])
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(tombstone)
    [note] = _posts(slack, before)
    assert "You deleted the message I filed as report #1." in answer_text(note.params)
    assert [r.text for r in slack.reports()] == ["the label printer jams"]


async def test_deleting_a_command_says_nothing(slack: SlackDriver) -> None:
    command = _dm("help", 1)
    await slack.event(command)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_delete(command, 1))
    assert _posts(slack, before) == []


async def test_a_reply_in_a_reports_thread_is_added_to_it(slack: SlackDriver, classifier: TaggingFake) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_reply("also it's dock 3, and it happens every night shift", 2, original))
    [row] = slack.reports()
    assert row.text == "the label printer jams; also: also it's dock 3, and it happens every night shift"
    assert classifier.seen[-1] == row.text
    [note] = _posts(slack, before)
    assert note.params["thread_ts"] == original["event"]["ts"]
    assert note.params["text"].startswith(f"Added to report #{row.id}.")
    with Session(slack.services.engine) as session:
        [pattern] = session.exec(select(Pattern)).all()
    assert pattern.report_count == 1 and "w:dock" in pattern.terms  # one report, one person, new words


async def test_a_retried_thread_reply_is_added_once(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    reply = _reply("it's dock 3", 2, original)
    await slack.event(reply)
    await slack.event(reply, retry=1)
    [row] = slack.reports()
    assert row.text == "the label printer jams; also: it's dock 3"


async def test_a_command_in_a_reports_thread_is_answered_as_one(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_reply("erase 1", 2, original))
    assert slack.reports() == []
    [answer] = _posts(slack, before)
    assert answer.params["thread_ts"] == original["event"]["ts"]
    assert "Erased your report #1" in answer_text(answer.params)


async def test_a_reply_under_a_message_that_filed_nothing_is_a_report_of_its_own(slack: SlackDriver) -> None:
    command = _dm("help", 1)
    await slack.event(command)
    await slack.event(_reply("the label printer jams every morning", 2, command))
    assert [r.text for r in slack.reports()] == ["the label printer jams every morning"]


async def test_editing_a_report_with_a_reply_keeps_the_reply(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    await slack.event(_reply("it's dock 3", 2, original))
    await slack.event(_edit(original, "the label printer jams every morning", 1))
    [row] = slack.reports()
    assert row.text == "the label printer jams every morning; also: it's dock 3"


async def test_an_edit_moves_the_words_grouping_counts(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    await slack.event(_edit(original, "the courier van leaves before the dock closes", 1))
    with Session(slack.services.engine) as session:
        terms = dict(session.exec(select(TermCount.term, TermCount.docs)).all())
        [pattern] = session.exec(select(Pattern)).all()
    # word stems: "print" and "jam" went, "couri" and "van" came; still one report counted
    assert "w:print" not in terms and "w:jam" not in terms and terms["w:couri"] == 1 and terms["#"] == 1
    assert "w:couri" in pattern.terms and "w:print" not in pattern.terms
    assert pattern.report_count == 1 and "printer" not in pattern.title.lower()


class _Held:
    """A classifier held until released: tagging that is slow, as under load."""

    def __init__(self, classifier: TaggingFake) -> None:
        import threading

        self.release = threading.Event()
        self.original = classifier.classify
        classifier.classify = self  # type: ignore[method-assign]

    def __call__(self, text: str) -> Any:
        assert self.release.wait(5), "never released"
        return self.original(text)


async def test_an_edit_is_stored_before_slack_gets_its_answer_and_tagged_after(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    held = _Held(classifier)
    before = len(slack.fake.called("chat.postMessage"))
    edited = "the label printer on dock 3 jams every morning"
    status, _ = await slack.event(_edit(original, edited, 1), drain=False)
    assert status == 200, "answered while tagging waits"
    [row] = slack.reports()
    assert row.text == edited, "the new words are stored before the answer"
    assert _posts(slack, before) == [] and classifier.seen == ["the label printer jams"]
    held.release.set()
    await slack.runtime.drain()
    assert classifier.seen[-1] == edited
    [note] = _posts(slack, before)
    assert note.params["text"].startswith(f"Updated report #{row.id}.")


async def test_a_thread_reply_is_added_before_slack_gets_its_answer_and_tagged_after(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    held = _Held(classifier)
    before = len(slack.fake.called("chat.postMessage"))
    status, _ = await slack.event(_reply("it is dock 3", 2, original), drain=False)
    assert status == 200
    [row] = slack.reports()
    assert row.text == "the label printer jams; also: it is dock 3"
    assert _posts(slack, before) == []
    held.release.set()
    await slack.runtime.drain()
    assert classifier.seen[-1] == row.text
    [note] = _posts(slack, before)
    assert note.params["thread_ts"] == original["event"]["ts"]
    assert note.params["text"].startswith(f"Added to report #{row.id}.")
