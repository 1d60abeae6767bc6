"""Closing the loop in Slack: whatever way someone reported, they hear when the pattern changes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from store.models import ConversationRef
from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_message

SAM, ALEX = "U2147483697", "U0ALEX"
SENTENCE = "refunds sit in the finance inbox for a week before anyone picks them up"


@pytest.fixture
def loop_runner(slack: SlackDriver) -> Iterator[None]:
    yield
    runner = slack.services.extras.get("async_runner")
    if runner is not None:
        runner.close()


def references(slack: SlackDriver) -> dict[str, str | None]:
    with Session(slack.services.engine) as session:
        return {r.conversation_id: r.reporter_key for r in session.exec(select(ConversationRef)).all()}


def key(slack: SlackDriver, user: str) -> str:
    return slack.services.snag.key_of(slack.services.snag.person("slack", "T0001", user))


async def file_every_way(slack: SlackDriver) -> None:
    """/snag, the modal, the shortcut, an @mention and the reaction, each by another person."""
    await slack.command(fixture("slash_command"))
    modal = fixture("view_submission_report")
    modal["user"]["id"] = "U0MODAL"
    await slack.interaction(modal)
    shortcut = fixture("message_action")
    shortcut["user"]["id"] = "U0SHORTCUT"
    await slack.interaction(shortcut)
    mention = fixture("event_app_mention")
    mention["event"]["user"] = "U0MENTION"
    await slack.event(mention)
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {"ts": "1700000300.000400", "text": "the van is late"}
    reaction = fixture("event_reaction_added")
    reaction["event"]["user"] = "U0REACTION"
    await slack.event(reaction)


async def test_every_slack_entry_point_keeps_where_to_reach_the_reporter(slack: SlackDriver) -> None:
    await file_every_way(slack)
    people = (SAM, "U0MODAL", "U0SHORTCUT", "U0MENTION", "U0REACTION")
    assert len(slack.reports()) == 5
    assert references(slack) == {user: key(slack, user) for user in people}


async def test_a_slash_reporter_hears_when_the_pattern_changes_and_no_one_else_is_named(
    slack: SlackDriver, loop_runner: None
) -> None:
    await slack.command(fixture("slash_command"))
    await slack.command(fixture("slash_command") | {"user_id": ALEX, "trigger_id": "t-alex"})
    [pattern_id] = {r.pattern_id for r in slack.reports()}
    assert pattern_id is not None
    slack.runtime.budget = 10  # the answer to the manager comes in the ack
    status = fixture("slash_command") | {"user_id": MANAGER, "text": f"status {pattern_id} resolved"}
    answer = json.loads((await slack.command(status))[1])
    assert "Told its reporters (fewer than 3)." in answer["text"]  # two: how many is not said under k
    updates = {c.params["channel"]: c for c in slack.fake.called("chat.postMessage")}
    assert sorted(updates) == sorted([SAM, ALEX])
    for user, other in ((SAM, ALEX), (ALEX, SAM)):
        assert_valid_message(updates[user].params)
        sent = answer_text(updates[user].params)
        [own] = [r.id for r in slack.reports() if r.reporter_key == key(slack, user)]
        assert f"An update on your report #{own}" in sent and "resolved" in sent
        assert other not in json.dumps(updates[user].params)


async def test_no_reference_is_kept_without_its_report_and_failing_to_keep_one_loses_no_answer(
    slack: SlackDriver,
) -> None:
    await slack.command(fixture("slash_command") | {"text": "help"})
    assert references(slack) == {}, "a question is no report"
    with Session(slack.services.engine) as session:
        session.execute(text("DROP TABLE conversation_refs"))
        session.commit()
    await slack.event(fixture("event_message_im"))
    [row] = slack.reports()
    [answer] = slack.fake.called("chat.postMessage")
    assert answer.params["text"] == f"Thanks, saved as report #{row.id}."
