"""Events when the process handling the original dies: Slack's retry, on any replica, files it;
a receipt it owed is posted by the next process to start."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from adapters.slack import dedupe
from tests.slack.conftest import SlackDriver, fixture, serving

EVENTS = ("event_message_im", "event_app_mention", "event_reaction_added")


class Stuck:
    """Wraps a call so that its first use stops on the way in, as a killed process would."""

    def __init__(self, call: Callable[..., Any], *, then_fail: bool) -> None:
        self.call, self.then_fail = call, then_fail
        self.entered, self.resume, self.calls = threading.Event(), threading.Event(), 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            self.resume.wait(5)
            if self.then_fail:
                raise RuntimeError("the original died here")
        return self.call(*args)


def posted(slack: SlackDriver) -> list[str]:
    return [c.params["text"] for c in slack.fake.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]


async def original_stuck_then_retry(slack: SlackDriver, name: str, stuck: Stuck) -> asyncio.Task[Any]:
    """Deliver an event whose handling gets stuck at `stuck`, then Slack's retry of it."""
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {"ts": "1700000300.000400", "text": "the van is late"}
    payload = fixture(name)
    original = asyncio.ensure_future(slack.event(payload, drain=False))
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    assert (await slack.event(payload, retry=1))[0] == 200
    return original


async def finish(slack: SlackDriver, original: asyncio.Task[Any], stuck: Stuck) -> None:
    stuck.resume.set()
    await original
    await slack.runtime.drain()


@pytest.mark.parametrize("name", EVENTS)
async def test_a_retry_whose_original_died_before_its_commit_is_filed_and_answered_once(
    slack: SlackDriver, name: str
) -> None:
    stuck = Stuck(slack.services.snag.store_report, then_fail=True)
    slack.services.snag.store_report = stuck
    original = await original_stuck_then_retry(slack, name, stuck)
    assert len(slack.reports()) == 1
    assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]
    await finish(slack, original, stuck)


async def test_an_original_slower_than_its_retry_files_no_second_report_and_no_second_answer(
    slack: SlackDriver,
) -> None:
    stuck = Stuck(slack.services.snag.store_report, then_fail=False)
    slack.services.snag.store_report = stuck
    original = await original_stuck_then_retry(slack, "event_message_im", stuck)
    await finish(slack, original, stuck)
    assert len(slack.reports()) == 1
    assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]


async def test_a_retry_whose_original_died_after_its_commit_answers_once(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = Stuck(dedupe.claim, then_fail=False)
    monkeypatch.setattr(dedupe, "claim", stuck)
    original = await original_stuck_then_retry(slack, "event_message_im", stuck)
    await finish(slack, original, stuck)
    assert len(slack.reports()) == 1
    assert posted(slack) == [f"Already saved as report #{slack.reports()[0].id}."]


async def die(slack: SlackDriver) -> None:
    """End the process as a kill would: its background work never finishes, its locks go."""
    for task in list(slack.runtime.tasks):
        task.cancel()
    await slack.server.close()


async def test_a_receipt_owed_by_a_process_that_died_after_its_claim_is_posted_by_the_next_one(
    slack: SlackDriver, classifier: Any
) -> None:
    stuck = Stuck(classifier.classify, then_fail=True)  # the process dies while tagging
    classifier.classify = stuck
    payload = fixture("event_message_im")
    assert (await slack.event(payload, drain=False))[0] == 200  # Slack has its answer: it will not retry
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    assert posted(slack) == [] and len(slack.reports()) == 1
    async with serving(slack.services, slack.fake) as restarted:
        await restarted.runtime.drain()
        assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]
        assert (await restarted.event(payload, retry=1))[0] == 200  # a retry that comes late anyway
    assert len(posted(slack)) == 1
    async with serving(slack.services, slack.fake) as again:  # owed once, posted once
        await again.runtime.drain()
    assert len(posted(slack)) == 1


async def test_a_process_starting_beside_a_live_one_leaves_it_its_receipts(slack: SlackDriver, classifier: Any) -> None:
    stuck = Stuck(classifier.classify, then_fail=False)  # slow tagging: alive, not dead
    classifier.classify = stuck
    assert (await slack.event(fixture("event_message_im"), drain=False))[0] == 200
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    async with serving(slack.services, slack.fake) as sibling:
        await sibling.runtime.drain()
        assert posted(slack) == []
    stuck.resume.set()
    await slack.runtime.drain()
    assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]


async def test_a_slash_commands_receipt_owed_by_a_process_that_died_goes_to_its_response_url(
    slack: SlackDriver, classifier: Any
) -> None:
    """Slack showed "Working on it…" and the process died while tagging: the next one to start
    answers through the command's response_url (the person may be where Snag cannot post)."""
    stuck = Stuck(classifier.classify, then_fail=True)
    classifier.classify = stuck
    slack.runtime.budget = 0.05
    status, body = await slack.post_only(fixture("slash_command") | {"response_url": slack.fake.hook()})
    assert status == 200 and "Working on it" in body
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    assert slack.fake.called("response_url") == [] and len(slack.reports()) == 1
    async with serving(slack.services, slack.fake) as restarted:
        await restarted.runtime.drain()
    [later] = slack.fake.called("response_url")
    assert later.params["text"] == f"Thanks, saved as report #{slack.reports()[0].id}."
    assert later.params["replace_original"] is True
    async with serving(slack.services, slack.fake) as again:  # owed once, posted once
        await again.runtime.drain()
    assert len(slack.fake.called("response_url")) == 1


async def test_a_slash_command_answered_later_owes_nothing_once_answered(slack: SlackDriver) -> None:
    slack.runtime.budget = 0.0
    status, _ = await slack.post_only(fixture("slash_command") | {"response_url": slack.fake.hook()})
    assert status == 200
    await slack.runtime.drain()
    assert len(slack.fake.called("response_url")) == 1
    assert not any(slack.runtime.owed.mine.glob("*.json"))
