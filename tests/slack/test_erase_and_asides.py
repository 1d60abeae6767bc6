"""Slack, over signed HTTP: an admin's `erase @person` erases that person (the mention's id, never
the "@someone" the text shows), a reporter takes back their own report, colleagues @mentioned in a
`/snag` report are stored as @someone, and a greeting is answered without being filed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.slack.conftest import SlackDriver, fixture
from tests.slack.test_visibility import dm_event

ADMIN = "U0ADMIN"
MANIFEST = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "manifest.yml"


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"admins": [f"slack:{ADMIN}"]}


async def slash(slack: SlackDriver, user: str, text: str, n: int) -> str:
    command = fixture("slash_command") | {
        "text": text,
        "user_id": user,
        "trigger_id": f"13345224609.738474920.{n:04d}",
        "response_url": slack.fake.hook(f"commands/T0001/{n}/x"),
    }
    status, body = await slack.command(command)
    assert status == 200
    return str(json.loads(body)["text"])


async def dm(slack: SlackDriver, user: str, text: str, event_id: str) -> str:
    before = len(slack.fake.called("chat.postMessage"))
    await slack.event(dm_event(user, f"D{user}", text, event_id, time.time()))
    [answer] = slack.fake.called("chat.postMessage")[before:]
    return f"{answer.params['text']}\n{json.dumps(answer.params.get('blocks'), ensure_ascii=False)}"


def test_the_manifest_has_slack_send_mentions_as_ids() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True


@pytest.mark.parametrize(
    ("route", "typed"),
    [("dm", "erase <@U0VICTIM>"), ("slash", "erase <@U0VICTIM|victim>")],  # as Slack delivers `erase @victim`
)
async def test_an_admin_erases_the_person_they_mention(slack: SlackDriver, route: str, typed: str) -> None:
    await dm(slack, "U0VICTIM", "refunds sit in the finance inbox for a week", "Ev0V1")
    await dm(slack, "U0OTHER", "the rota lives in a whatsapp group", "Ev0O1")
    answer = await (dm(slack, ADMIN, typed, "Ev0A1") if route == "dm" else slash(slack, ADMIN, typed, 1))
    assert "anything that person (U0VICTIM) reported here is erased" in answer
    assert [r.text for r in slack.reports()] == ["the rota lives in a whatsapp group"]


async def test_a_typed_name_slack_did_not_turn_into_a_mention_is_refused_not_called_done(slack: SlackDriver) -> None:
    await dm(slack, "U2147483697", "refunds sit in the finance inbox for a week", "Ev0S1")
    answer = await slash(slack, ADMIN, "erase @sam", 1)  # an install whose /snag still has should_escape: false
    assert "I can't tell who" in answer and "member ID" in answer and "Erased" not in answer
    assert len(slack.reports()) == 1
    nobody = await slash(slack, ADMIN, "erase <@U0NOBODY|nobody>", 2)
    assert "anything that person (U0NOBODY) reported here is erased" in nobody and len(slack.reports()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "refunds wait for ages because <@U0SAM|sam.jones> never approves them",
        "refunds wait for ages because <@U0SAM> never approves them",
    ],
)
async def test_a_colleague_mentioned_in_a_slash_report_is_stored_as_someone(slack: SlackDriver, text: str) -> None:
    await slash(slack, "U2147483697", text, 1)
    assert [r.text for r in slack.reports()] == ["refunds wait for ages because @someone never approves them"]


async def test_a_reporter_takes_back_their_report_in_the_dm(slack: SlackDriver) -> None:
    await dm(slack, "U0PICKER", "the label printer on dock 3 jams every morning", "Ev0P1")
    [report] = slack.reports()
    asked = await dm(slack, "U0PICKER", "erase my last report", "Ev0P2")
    assert f"Your last report is #{report.id}" in asked and f"erase {report.id}" in asked
    assert len(slack.reports()) == 1  # the sentence was not filed, and nothing is erased unconfirmed
    done = await dm(slack, "U0PICKER", f"erase {report.id}", "Ev0P3")
    assert f"Erased your report #{report.id}" in done and "admins" not in done
    assert slack.reports() == []


async def test_greetings_and_emoji_in_the_dm_are_answered_and_not_filed(slack: SlackDriver) -> None:
    answers = [
        await dm(slack, "U0PICKER", text, f"Ev0G{n}")
        for n, text in enumerate(["hi there", "thank you!", ":face_with_rolling_eyes:", "how do I use this?"])
    ]
    assert slack.reports() == []
    assert answers[0].startswith("Hi!") and "report hi there" in answers[0]
    assert "is a bit short to file" in answers[2]
