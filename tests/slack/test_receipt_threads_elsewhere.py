"""A reply in the thread of a receipt Snag posted to the reporter's DM for a report filed from no
message of theirs (`/snag` whose response_url failed; the report form or the shortcut, whose receipt
the next process sent) is added to that report, as one under a DM's receipt is. Over signed HTTP,
with the fake Slack answering a post to a user id with their DM's id, as Slack does. (A receipt
posted ephemeral, as a reaction's or an @mention's always is, takes no replies.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.slack.conftest import SlackDriver, fixture, serving
from tests.slack.test_event_crash import Stuck, die
from tests.slack.test_owed_forms import restart_and_settle, submit_modal, use_shortcut
from tests.slack.test_receipt_threads import DM, USER, _dm

NIGHTS = "it happens on the night shift mostly"


class DirectPosts:
    """The fake Slack's chat.postMessage: one to the reporter's user id lands in their DM, whose id
    the answer names; the ts of each message posted, in order."""

    def __init__(self, slack: SlackDriver) -> None:
        self.slack, answer = slack, slack.fake._chat_postMessage
        self.ts: list[str] = []

        def in_dm(params: dict[str, Any]) -> dict[str, Any]:
            answered = answer(params)
            self.ts.append(answered["ts"])
            return answered | {"channel": DM} if params.get("channel") == USER else answered

        setattr(slack.fake, "_chat_postMessage", in_dm)  # noqa: B010 (an instance's, over the method)

    def since(self, n: int) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.fake.called("chat.postMessage")[n:]]


async def reply_in_thread(slack: SlackDriver, posts: DirectPosts, receipt: str) -> dict[str, Any]:
    """The reporter replies in the receipt's thread, in their DM; Snag's answer."""
    before = len(posts.since(0))
    await slack.event(_dm(NIGHTS, 7, receipt=receipt))
    [answer] = posts.since(before)
    return answer


async def test_a_reply_under_a_slash_commands_receipt_sent_to_the_dm_is_added_to_its_report(
    slack: SlackDriver,
) -> None:
    posts = DirectPosts(slack)
    slack.runtime.budget = 0.0  # "Working on it…" now, the receipt by the response_url, which fails
    slack.fake.fail("response_url", status=404, error="expired_url")
    await slack.post_only(fixture("slash_command") | {"response_url": slack.fake.hook()})
    await slack.runtime.drain()
    [dmed] = posts.since(0)
    [receipt] = posts.ts
    assert dmed["channel"] == USER and "thread_ts" not in dmed
    answer = await reply_in_thread(slack, posts, receipt)
    [row] = slack.reports()
    assert row.text == f"{fixture('slash_command')['text']}; also: {NIGHTS}"
    assert answer["text"] == f"Added to report #{row.id}." and answer["thread_ts"] == receipt


@pytest.mark.parametrize("filing", [submit_modal, use_shortcut], ids=["form", "shortcut"])
async def test_a_reply_under_a_receipt_the_next_process_dmed_is_added_to_its_report(
    slack: SlackDriver, classifier: Any, filing: Callable[[SlackDriver], Awaitable[Any]]
) -> None:
    posts = DirectPosts(slack)
    stuck = Stuck(classifier.classify, then_fail=True)  # the process dies while tagging
    classifier.classify = stuck
    await filing(slack)
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    await restart_and_settle(slack)
    [row] = slack.reports()
    [receipt] = posts.ts
    assert posts.since(0)[0]["text"] == f"Thanks, saved as report #{row.id}."
    async with serving(slack.services, slack.fake) as another:
        answer = await reply_in_thread(another, posts, receipt)
    [again] = slack.reports()
    assert again.text == f"{row.text}; also: {NIGHTS}"
    assert answer["text"] == f"Added to report #{row.id}." and answer["thread_ts"] == receipt
