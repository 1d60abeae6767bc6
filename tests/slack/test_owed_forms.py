"""The report modal and the "Report as friction" shortcut owe their receipt as events do: a process
dying after Slack had its answer leaves it to the next one to start, which DMs the reporter."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.slack.conftest import SlackDriver, fixture, serving
from tests.slack.fake_slack import Call
from tests.slack.test_event_crash import Stuck, die

REPORTER = "U2147483697"  # the user of view_submission_report and message_action


def dms(slack: SlackDriver) -> list[Call]:
    return [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == REPORTER]


def owed_now(slack: SlackDriver) -> int:
    return len(list(slack.runtime.owed.mine.glob("*.json")))


async def submit_modal(slack: SlackDriver) -> dict[str, Any]:
    """The report modal submitted, answered with "Filing…" (tagging is slower than Slack waits)."""
    slack.runtime.budget = 0.05
    status, body = await slack.interaction(fixture("view_submission_report"), drain=False)
    answer: dict[str, Any] = json.loads(body)
    assert status == 200 and "Filing your report" in json.dumps(answer["view"])
    return answer


async def use_shortcut(slack: SlackDriver) -> None:
    payload = fixture("message_action") | {"response_url": slack.fake.hook("app/1")}
    assert (await slack.interaction(payload, drain=False))[0] == 200


async def restart_and_settle(slack: SlackDriver) -> None:
    """The next process to start, then another: what was owed goes once."""
    async with serving(slack.services, slack.fake) as restarted:
        await restarted.runtime.drain()
    async with serving(slack.services, slack.fake) as again:
        await again.runtime.drain()


async def test_a_modal_reports_receipt_owed_by_a_process_that_died_is_sent_to_the_reporter_by_dm(
    slack: SlackDriver, classifier: Any
) -> None:
    stuck = Stuck(classifier.classify, then_fail=True)  # the process dies while tagging
    classifier.classify = stuck
    await submit_modal(slack)
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    assert dms(slack) == [] and len(slack.reports()) == 1
    await restart_and_settle(slack)
    [dm] = dms(slack)
    assert dm.params["text"] == f"Thanks, saved as report #{slack.reports()[0].id}."
    assert slack.fake.called("chat.postEphemeral") == []


async def test_a_shortcut_reports_receipt_owed_by_a_process_that_died_is_sent_to_the_reporter_by_dm(
    slack: SlackDriver, classifier: Any
) -> None:
    stuck = Stuck(classifier.classify, then_fail=True)
    classifier.classify = stuck
    await use_shortcut(slack)
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(slack)
    stuck.resume.set()
    assert dms(slack) == [] and len(slack.reports()) == 1
    await restart_and_settle(slack)
    [dm] = dms(slack)
    assert dm.params["text"] == f"Thanks, saved as report #{slack.reports()[0].id}."
    assert slack.fake.called("response_url") == [], "never replacing the message it was filed from"


async def test_a_modal_report_owes_its_receipt_until_the_modal_shows_it(slack: SlackDriver, classifier: Any) -> None:
    stuck = Stuck(classifier.classify, then_fail=False)  # slow tagging, in a process that lives
    classifier.classify = stuck
    await submit_modal(slack)
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    assert owed_now(slack) == 1
    stuck.resume.set()
    await slack.runtime.drain()
    [update] = slack.fake.called("views.update")
    assert "Thanks, saved as report" in json.dumps(update.params["view"])
    assert owed_now(slack) == 0
    await restart_and_settle(slack)
    assert dms(slack) == []


async def test_a_modal_answered_at_once_owes_nothing(slack: SlackDriver) -> None:
    status, body = await slack.interaction(fixture("view_submission_report"))
    assert status == 200 and "Thanks, saved as report" in body
    assert owed_now(slack) == 0


async def test_a_shortcut_report_owes_its_receipt_until_it_is_shown(slack: SlackDriver, classifier: Any) -> None:
    stuck = Stuck(classifier.classify, then_fail=False)
    classifier.classify = stuck
    await use_shortcut(slack)
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    assert owed_now(slack) == 1
    stuck.resume.set()
    await slack.runtime.drain()
    [update] = slack.fake.called("views.update")
    assert "Thanks, saved as report" in json.dumps(update.params["view"])
    assert owed_now(slack) == 0
    await restart_and_settle(slack)
    assert dms(slack) == []


async def test_a_shortcut_answered_by_its_response_url_owes_nothing_once_answered(slack: SlackDriver) -> None:
    slack.fake.fail("views.open", status=200, error="expired_trigger_id")
    await use_shortcut(slack)
    await slack.runtime.drain()
    [answer] = slack.fake.called("response_url")
    assert answer.params["text"].startswith("Thanks, saved as report #")
    assert owed_now(slack) == 0
