"""Three mends from a review of the Slack adapter, over real HTTP with the fake Slack.

A slash command's answer whose response_url Slack would not take (expired after 30 minutes, or
failing) was marked sent and never reached anyone: it goes to the person's DM with Snag now.
Naming an owner asked Slack (users.info) with no time limit before the ack, and a dropped
connection escaped as a 500: the manager waits a second at most, and their line still works.
The bot token is checked once, at start, by whatever starts the app; /readyz knows it before any
request arrives.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.commands import means_me
from tests.slack.conftest import MANAGER, SlackDriver, fixture, serving
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_event_crash import Stuck, die
from tests.slack.test_own_mention import DANA, NAMES, NamingSlack, a_pattern, dm, owner
from tests.slack.validate import answer_text

SAM = "U2147483697"  # who types the fixture's slash command


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = NamingSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def loop_runner(slack: SlackDriver) -> Iterator[None]:
    yield
    runner = slack.services.extras.get("async_runner")
    if runner is not None:
        runner.close()


def dms_to(slack: SlackDriver, user: str) -> list[str]:
    return [c.params["text"] for c in slack.fake.called("chat.postMessage") if c.params["channel"] == user]


# ---- a late answer whose response_url failed goes to the person's DM ----


@pytest.mark.parametrize(("status", "error"), [(404, "expired_url"), (500, "internal_error")])
async def test_a_slash_commands_late_receipt_whose_response_url_failed_goes_to_the_reporters_dm(
    slack: SlackDriver, status: int, error: str
) -> None:
    slack.runtime.budget = 0.0  # "Working on it…" now, the receipt by the response_url
    slack.fake.fail("response_url", status=status, error=error)
    answered, _ = await slack.post_only(fixture("slash_command") | {"response_url": slack.fake.hook()})
    await slack.runtime.drain()
    [row] = slack.reports()
    assert answered == 200
    assert len(slack.fake.called("response_url")) == 1
    assert dms_to(slack, SAM) == [f"Thanks, saved as report #{row.id}."]
    assert not any(slack.runtime.owed.mine.glob("*.json")), "sent: owed no more"


async def test_a_receipt_owed_by_a_process_that_died_reaches_the_reporter_once_its_response_url_expired(
    slack: SlackDriver, classifier: Any
) -> None:
    stuck = Stuck(classifier.classify, then_fail=True)  # the process dies while tagging
    classifier.classify = stuck
    slack.runtime.budget = 0.05
    status, body = await slack.post_only(fixture("slash_command") | {"response_url": slack.fake.hook()})
    assert status == 200 and "Working on it" in body
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    slack.fake.fail("response_url", status=404, error="expired_url")  # the next start came too late for it
    async with serving(slack.services, slack.fake) as restarted:
        await restarted.runtime.drain()
    assert dms_to(slack, SAM) == [f"Thanks, saved as report #{slack.reports()[0].id}."]
    async with serving(slack.services, slack.fake) as again:  # owed once, sent once
        await again.runtime.drain()
    assert len(dms_to(slack, SAM)) == 1 and len(slack.fake.called("response_url")) == 1


# ---- naming an owner never holds the ack up, nor fails it ----


async def own_by_slash(slack: SlackDriver, text: str) -> tuple[float, int, str]:
    """A manager's `/snag` line: seconds until Slack had its answer, its status, and what the
    manager read (in the ack, or by the response_url once it was "Working on it…")."""
    fields = fixture("slash_command") | {"user_id": MANAGER, "text": text, "response_url": slack.fake.hook("own/1")}
    began = time.monotonic()
    status, body = await slack.post_only(fields)
    took = time.monotonic() - began
    await slack.runtime.drain()
    said = str(json.loads(body).get("text", "")) if status == 200 else body
    if said.startswith("Working on it"):
        said = answer_text(slack.fake.called("response_url")[-1].params)
    return took, status, said


@pytest.mark.parametrize("hang", [3.0, 0.0], ids=["users.info-hangs", "connection-dropped"])
async def test_owning_with_a_mention_slack_cannot_name_now_acks_within_a_second_with_the_commands_label(
    slack: SlackDriver, loop_runner: None, hang: float
) -> None:
    pattern_id = await a_pattern(slack)
    slack.runtime.budget = 0.5  # as in production
    slack.fake.stall("users.info", seconds=hang, times=10)  # every try the SDK and aiohttp make
    took, status, said = await own_by_slash(slack, f"own {pattern_id} <@{DANA}|dana>")
    assert status == 200 and took < 1.8, f"Slack had its answer after {took:.2f} s"
    assert "owner dana" in said
    assert owner(slack, pattern_id) == "dana"


async def test_own_me_while_slack_hangs_asks_the_manager_for_their_name(slack: SlackDriver, loop_runner: None) -> None:
    pattern_id = await a_pattern(slack)
    slack.runtime.budget = 0.5
    slack.fake.stall("users.info", seconds=3.0, times=10)
    took, status, said = await own_by_slash(slack, f"own {pattern_id} me")
    assert status == 200 and took < 1.8, f"Slack had its answer after {took:.2f} s"
    assert "Type your name" in said
    assert owner(slack, pattern_id) is None


async def test_an_own_dm_whose_mention_slack_drops_asks_for_the_name(slack: SlackDriver, loop_runner: None) -> None:
    pattern_id = await a_pattern(slack)
    slack.fake.stall("users.info", times=10)
    status, _ = await slack.event(dm(MANAGER, f"own {pattern_id} <@{DANA}>", 7))
    assert status == 200
    [answer] = [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == "D0PNCRP9N"]
    assert "type their name" in answer_text(answer.params)
    assert owner(slack, pattern_id) is None


# ---- one test of "me" for every platform ----


def test_an_owner_means_whoever_typed_it_only_when_every_word_says_so() -> None:
    assert means_me("me") and means_me("Myself.") and means_me("me, myself")
    assert not means_me("me and Dana") and not means_me("Dana") and not means_me("")


async def test_own_myself_in_slack_names_the_manager(slack: SlackDriver, loop_runner: None) -> None:
    pattern_id = await a_pattern(slack)
    _took, status, said = await own_by_slash(slack, f"own {pattern_id} Myself.")
    assert status == 200 and f"owner {NAMES[MANAGER]}" in said
    assert owner(slack, pattern_id) == NAMES[MANAGER]


# ---- the token is checked at start ----


async def test_the_bot_token_is_checked_at_start_before_any_request(slack: SlackDriver) -> None:
    for _ in range(100):
        async with slack.session.get(slack.server.make_url("/readyz")) as ready:
            token = (await ready.json())["slack"]["token"]
        if token != "unchecked":
            break
        await asyncio.sleep(0.05)
    assert token == "ok"
    assert slack.fake.methods() == ["auth.test"]
