"""A reply in the thread of Snag's receipt, rather than under the person's own DM, is about that
receipt's report: added to it, edited and deleted as a reply under the DM is. Over signed HTTP,
with the ts the fake Slack gave each receipt."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.slack.conftest import SlackDriver, fixture, serving
from tests.slack.fake_slack import BOT_USER
from tests.slack.test_event_crash import Stuck, die
from tests.slack.validate import answer_text, assert_valid_message

USER, DM = "U2147483697", "D0PNCRP9N"
PRINTER = "the returns label printer jams every morning so we handwrite labels"


class Posts:
    """The fake Slack's chat.postMessage, noting the ts it answers each message with."""

    def __init__(self, slack: SlackDriver) -> None:
        self.slack, answer = slack, slack.fake._chat_postMessage
        self.ts: list[str] = []

        def noted(params: dict[str, Any]) -> dict[str, Any]:
            answered = answer(params)
            self.ts.append(answered["ts"])
            return answered

        setattr(slack.fake, "_chat_postMessage", noted)  # noqa: B010 (an instance's, over the method)

    def since(self, n: int) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.fake.called("chat.postMessage")[n:]]

    def __len__(self) -> int:
        return len(self.slack.fake.called("chat.postMessage"))


def _dm(text: str, n: int, *, receipt: str | None = None) -> dict[str, Any]:
    """A DM to Snag; with `receipt`, a reply in the thread of that message of Snag's."""
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvRT{n}"
    payload["event"].update(text=text, ts=f"17000005{n:02d}.000200", event_ts=f"17000005{n:02d}.000200")
    payload["event"].pop("blocks")
    if receipt is not None:
        payload["event"].update(thread_ts=receipt, parent_user_id=BOT_USER)
    return payload


def _changed(reply: dict[str, Any], n: int, text: str | None) -> dict[str, Any]:
    """Slack's message_changed (new `text`) or message_deleted (None) for a reply in a thread."""
    was = reply["event"]
    thread = {"thread_ts": was["thread_ts"], "parent_user_id": BOT_USER}
    previous = {"type": "message", "user": USER, "text": was["text"], "ts": was["ts"], **thread}
    payload = fixture("event_message_im")
    payload["event_id"] = f"EvRTCH{n}"
    event: dict[str, Any] = {
        "type": "message",
        "hidden": True,
        "channel": DM,
        "channel_type": "im",
        "ts": f"17000008{n:02d}.000100",
        "event_ts": f"17000008{n:02d}.000100",
        "previous_message": previous,
    }
    if text is None:
        event.update(subtype="message_deleted", deleted_ts=was["ts"])
    else:
        event.update(subtype="message_changed", message={**previous, "text": text})
    payload["event"] = event
    return payload


async def _filed(slack: SlackDriver, posts: Posts) -> str:
    """File the printer report by DM; the ts of its receipt."""
    await slack.event(_dm(PRINTER, 1))
    [receipt] = posts.since(0)
    assert receipt["channel"] == DM and "thread_ts" not in receipt
    return posts.ts[-1]


async def test_a_reply_in_the_thread_of_snags_receipt_is_added_to_its_report(slack: SlackDriver) -> None:
    posts = Posts(slack)
    receipt = await _filed(slack, posts)
    await slack.event(_dm("also the spare printer in bay 4 has no toner", 2, receipt=receipt))
    await slack.event(_dm("it happens on the night shift mostly", 3, receipt=receipt))
    [row] = slack.reports()
    assert row.text == (
        f"{PRINTER}; also: also the spare printer in bay 4 has no toner; also: it happens on the night shift mostly"
    )
    answers = posts.since(1)
    assert [a["text"] for a in answers] == [f"Added to report #{row.id}."] * 2
    assert all(a["channel"] == DM and a["thread_ts"] == receipt for a in answers), "answered in that thread"
    for answer in answers:
        assert_valid_message(answer)


async def test_in_a_receipts_thread_a_command_is_answered_and_report_files_one_of_its_own(
    slack: SlackDriver,
) -> None:
    posts = Posts(slack)
    receipt = await _filed(slack, posts)
    await slack.event(_dm("mine", 2, receipt=receipt))
    [row] = slack.reports()
    assert row.text == PRINTER, "a command is no addition"
    [mine] = posts.since(1)
    assert mine["thread_ts"] == receipt and f"#{row.id}" in answer_text(mine)
    await slack.event(_dm("report the scanner in bay 2 drops every scan twice", 3, receipt=receipt))
    first, second = slack.reports()
    assert first.text == PRINTER and second.text == "the scanner in bay 2 drops every scan twice"
    [filed] = posts.since(2)
    assert filed["thread_ts"] == receipt and filed["text"] == f"Thanks, saved as report #{second.id}."


async def test_a_reply_in_a_receipts_thread_edited_or_deleted_behaves_as_one_under_the_dm(
    slack: SlackDriver,
) -> None:
    posts = Posts(slack)
    receipt = await _filed(slack, posts)
    reply = _dm("it happens in bay 5 when it is cold", 2, receipt=receipt)
    await slack.event(reply)
    before = len(posts)
    await slack.event(_changed(reply, 3, "it happens in bay 6 when it is cold"))
    [row] = slack.reports()
    assert row.text == f"{PRINTER}; also: it happens in bay 6 when it is cold"
    [updated] = posts.since(before)
    assert updated["thread_ts"] == receipt and updated["text"].startswith(f"Updated report #{row.id}.")
    reply["event"]["text"] = "it happens in bay 6 when it is cold"
    await slack.event(_changed(reply, 4, None))
    [row] = slack.reports()
    assert row.text == f"{PRINTER}; also: it happens in bay 6 when it is cold", "deleting never erases"
    [deleted] = posts.since(before + 1)
    assert deleted["thread_ts"] == receipt
    assert deleted["text"].startswith(f"You deleted a reply I added to report #{row.id}.")


async def test_replies_under_snags_other_messages_or_an_erased_reports_receipt_are_filed(
    slack: SlackDriver,
) -> None:
    posts = Posts(slack)
    receipt = await _filed(slack, posts)
    await slack.event(_dm("help", 2))
    helped = posts.ts[-1]
    await slack.event(_dm("the loading dock door sticks every single morning", 3, receipt=helped))
    assert [r.text for r in slack.reports()] == [PRINTER, "the loading dock door sticks every single morning"]
    first = slack.reports()[0].id
    await slack.event(_dm(f"erase {first}", 4))
    await slack.event(_dm("the forklift charger in bay 1 trips the breaker", 5, receipt=receipt))
    [row] = slack.reports()[1:]
    assert row.text == "the forklift charger in bay 1 trips the breaker", "its receipt went with the report"
    assert posts.since(len(posts) - 1)[0]["text"] == f"Thanks, saved as report #{row.id}."


async def test_a_receipt_posted_by_the_next_process_takes_replies_in_its_thread(
    slack: SlackDriver, classifier: Any
) -> None:
    """The receipt owed by a process that died while tagging is posted at the next start; its ts
    is kept in the database, so a reply in its thread, on any process, finds the report."""
    posts = Posts(slack)
    stuck = Stuck(classifier.classify, then_fail=True)
    classifier.classify = stuck
    assert (await slack.event(_dm(PRINTER, 1), drain=False))[0] == 200
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    async with serving(slack.services, slack.fake) as restarted:
        await restarted.runtime.drain()
        [row] = slack.reports()
        [receipt] = posts.since(0)
        assert receipt["text"] == f"Thanks, saved as report #{row.id}." and "thread_ts" not in receipt
    async with serving(slack.services, slack.fake) as another:
        await another.event(_dm("it happens on the night shift mostly", 2, receipt=posts.ts[0]))
    [row] = slack.reports()
    assert row.text == f"{PRINTER}; also: it happens on the night shift mostly"
    assert posts.since(1)[0]["thread_ts"] == posts.ts[0]
