"""An edit of a DM that filed nothing (too short, not understood) whose new words are a report files
it, as if sent now, as Teams does: the same rule, in bot.editing. Edits into a command are left alone."""

from __future__ import annotations

from tests.slack.conftest import SlackDriver
from tests.slack.test_edits import DM, _dm, _edit, _posts, _reply
from tests.slack.validate import answer_text

MEDS = "the medication chart is on paper so we copy it twice"


async def test_an_edit_of_a_too_short_dm_into_a_report_files_it(slack: SlackDriver) -> None:
    short = _dm("the", 1)
    await slack.event(short)
    assert "is a bit short to file" in answer_text(slack.fake.called("chat.postMessage")[-1].params)
    before = len(slack.fake.called("chat.postMessage"))
    status, _ = await slack.event(_edit(short, MEDS, 1))
    assert status == 200
    [row] = slack.reports()
    assert (row.text, row.message_id, row.channel) == (MEDS, short["event"]["ts"], DM)
    [receipt] = _posts(slack, before)
    assert receipt.params["channel"] == DM and f"saved as report #{row.id}" in answer_text(receipt.params)


async def test_a_retried_filing_edit_files_and_answers_once(slack: SlackDriver) -> None:
    short = _dm("the", 1)
    await slack.event(short)
    before = len(slack.fake.called("chat.postMessage"))
    edit = _edit(short, MEDS, 1)
    await slack.event(edit)
    await slack.event(edit, retry=1)
    assert len(slack.reports()) == 1 and len(_posts(slack, before)) == 1


async def test_an_edit_of_a_command_into_another_command_is_left_alone(slack: SlackDriver) -> None:
    command = _dm("top", 1)
    await slack.event(command)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(command, "top 7d", 1))
    assert _posts(slack, before) == [] and slack.reports() == []


async def test_an_edited_reply_under_a_report_is_not_filed_again(slack: SlackDriver) -> None:
    original = _dm("the label printer jams", 1)
    await slack.event(original)
    reply = _reply("dock 3", 2, original)
    await slack.event(reply)
    edit = _edit(reply, "it's dock 3 and the night shift hand-writes labels", 2)
    edit["event"]["message"]["thread_ts"] = original["event"]["ts"]
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(edit)
    # its part of the report takes the new words (tests/slack/test_reply_edits.py), no report of its own
    assert [r.text for r in slack.reports()] == [
        "the label printer jams; also: it's dock 3 and the night shift hand-writes labels"
    ]
    [note] = _posts(slack, before)
    assert note.params["text"].startswith("Updated report #1.")


async def test_an_edit_of_the_message_behind_an_erased_report_files_nothing(slack: SlackDriver) -> None:
    """A person who took a report back (`erase N`) and then edited the original message, say to take
    a name out, had it stored again: only a message answered without filing is filed by an edit."""
    original = _dm(MEDS, 1)
    await slack.event(original)
    [row] = slack.reports()
    await slack.event(_dm(f"erase {row.id}", 2))
    assert slack.reports() == []
    before = len(slack.fake.called("chat.postMessage"))
    status, _ = await slack.event(_edit(original, MEDS.replace("twice", "twice, ask Priya"), 1))
    assert status == 200
    assert slack.reports() == [] and _posts(slack, before) == []


async def test_an_edit_of_a_message_snag_never_answered_files_nothing(slack: SlackDriver) -> None:
    """Only a message Snag answered without filing (too short, not understood) is filed by its edit."""
    unseen = _dm("the", 3)  # never delivered to Snag (sent before it was installed, say)
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(_edit(unseen, MEDS, 3))
    assert slack.reports() == [] and _posts(slack, before) == []
