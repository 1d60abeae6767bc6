"""A manager's `own 5 @dana` in Slack names Dana as the pattern's owner, never "@someone"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from store.models import Pattern
from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.fake_slack import FakeSlack
from tests.slack.validate import answer_text

SAM, ALEX, DANA = "U2147483697", "U0ALEX", "U0DANA"
NAMES = {DANA: "Dana Lee", MANAGER: "Morgan Reyes"}


class NamingSlack(FakeSlack):
    """The fake Slack, answering users.info as Slack does for an app with users:read."""

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = p.get("user", "")
        if user not in NAMES:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user, "name": user.lower(), "profile": {"display_name": NAMES[user]}}}


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


async def a_pattern(slack: SlackDriver) -> int:
    """Two people report the same thing: one pattern, whose reporters hear when it changes."""
    await slack.command(fixture("slash_command"))
    await slack.command(fixture("slash_command") | {"user_id": ALEX, "trigger_id": "t-alex"})
    [pattern_id] = {r.pattern_id for r in slack.reports()}
    assert pattern_id is not None
    slack.runtime.budget = 10  # the answer to the manager comes in the ack
    return pattern_id


def owner(slack: SlackDriver, pattern_id: int) -> str | None:
    with Session(slack.services.engine) as session:
        row = session.get(Pattern, pattern_id)
        assert row is not None
        return row.owner


def told(slack: SlackDriver) -> dict[str, str]:
    """What each reporter was told in their DM."""
    return {
        c.params["channel"]: answer_text(c.params)
        for c in slack.fake.called("chat.postMessage")
        if c.params["channel"] in (SAM, ALEX)
    }


async def slash(slack: SlackDriver, user: str, text: str) -> str:
    fields = fixture("slash_command") | {"user_id": user, "text": text, "trigger_id": f"t-{user}-{text}"}
    return str(json.loads((await slack.command(fields))[1])["text"])


def dm(user: str, text: str, n: int) -> dict[str, Any]:
    payload = fixture("event_message_im")
    payload["event_id"] = f"Ev0OWN{n}"
    payload["event"] |= {"user": user, "text": text, "ts": f"1700000200.00{n}", "client_msg_id": f"own-{n}"}
    payload["event"].pop("blocks")
    return payload


async def test_own_with_a_mention_names_the_person_and_their_reporters_read_it(
    slack: SlackDriver, loop_runner: None
) -> None:
    pattern_id = await a_pattern(slack)
    answer = await slash(slack, MANAGER, f"own {pattern_id} <@{DANA}|dana>")
    assert "owner Dana Lee" in answer and "@someone" not in answer
    assert owner(slack, pattern_id) == "Dana Lee"
    assert [c.params["user"] for c in slack.fake.called("users.info")] == [DANA]
    sent = told(slack)
    assert sorted(sent) == sorted([SAM, ALEX])
    assert all("Dana Lee" in text and "@someone" not in text for text in sent.values())
    assert len(slack.reports()) == 2  # nothing filed


async def test_assign_in_a_dm_names_the_person_from_a_mention_without_a_label(
    slack: SlackDriver, loop_runner: None
) -> None:
    pattern_id = await a_pattern(slack)
    await slack.event(dm(MANAGER, f"assign {pattern_id} to <@{DANA}>", 1))
    assert owner(slack, pattern_id) == "Dana Lee"
    [answer] = [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == "D0PNCRP9N"]
    assert "owner Dana Lee" in answer_text(answer.params)
    assert len(slack.reports()) == 2


async def test_own_me_names_the_manager(slack: SlackDriver, loop_runner: None) -> None:
    pattern_id = await a_pattern(slack)
    answer = await slash(slack, MANAGER, f"own {pattern_id} me")
    assert "owner Morgan Reyes" in answer
    assert owner(slack, pattern_id) == "Morgan Reyes"


async def test_without_users_read_a_slash_mention_falls_back_to_its_user_name(
    slack: SlackDriver, loop_runner: None
) -> None:
    pattern_id = await a_pattern(slack)
    slack.fake.fail("users.info", status=200, error="missing_scope")
    answer = await slash(slack, MANAGER, f"own {pattern_id} <@{DANA}|dana>")
    assert "owner dana" in answer
    assert owner(slack, pattern_id) == "dana"


async def test_a_mention_slack_will_not_name_asks_for_the_name_and_stores_nothing(
    slack: SlackDriver, loop_runner: None
) -> None:
    pattern_id = await a_pattern(slack)
    slack.fake.fail("users.info", status=200, error="missing_scope")
    await slack.event(dm(MANAGER, f"own {pattern_id} <@{DANA}>", 2))
    [answer] = [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == "D0PNCRP9N"]
    assert "type their name" in answer_text(answer.params)
    assert owner(slack, pattern_id) is None
    assert told(slack) == {}  # nobody was told "@someone will look after it"
    assert len(slack.reports()) == 2


async def test_only_a_managers_own_line_looks_a_name_up(slack: SlackDriver) -> None:
    pattern_id = await a_pattern(slack)
    answer = await slash(slack, ALEX, f"own {pattern_id} <@{DANA}|dana>")
    assert "for managers" in answer
    assert slack.fake.called("users.info") == []
    assert owner(slack, pattern_id) is None
    # a report that mentions a colleague keeps them as @someone, whoever files it, however it starts
    for typed in (
        f"<@{DANA}|dana> retypes every refund into the finance sheet by hand",
        f"assign 2 people to <@{DANA}|dana> every night and nobody tells the rota",
    ):
        await slash(slack, MANAGER, typed)
        assert slack.reports()[-1].text == typed.replace(f"<@{DANA}|dana>", "@someone")
    assert slack.fake.called("users.info") == []
