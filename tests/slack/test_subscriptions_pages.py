"""An organisation with more digest subscriptions than one Slack message shows (50 blocks): an
admin's `subscriptions` lists every one, over several messages as long digests are sent."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from digests.subscriptions import subscribe
from store.db import session_scope
from tests.slack.conftest import SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_message

ADMIN = "U2147483697"  # the person of the recorded slash command and DM
COUNT = 60


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"admins": [f"slack:{ADMIN}"]}


def _subscribe_many(slack: SlackDriver) -> list[str]:
    channels = [f"C{i:04d}" for i in range(COUNT)]
    with session_scope(slack.services.engine) as session:
        for channel in channels:
            subscribe(
                session=session,
                platform="slack",
                tenant="T0001",
                audience="all",
                destination=channel,
                cron="0 9 * * mon",
                timezone="Europe/London",
            )
    return channels


def _listed(messages: list[dict[str, Any]]) -> list[str]:
    """The channels named by the messages, in order."""
    for message in messages:
        assert_valid_message(message)
    return re.findall(r"digest to slack:(C\d{4})", "\n".join(answer_text(m) for m in messages))


async def test_subscriptions_by_slash_command_lists_every_one(slack: SlackDriver) -> None:
    channels = _subscribe_many(slack)
    fields = fixture("slash_command") | {"text": "subscriptions", "response_url": slack.fake.hook()}
    status, body = await slack.command(fields)
    assert status == 200 and json.loads(body)["text"].startswith("Working on it")
    pages = [call.params for call in slack.fake.called("response_url")]
    assert len(pages) > 1 and [p["replace_original"] for p in pages] == [True] + [False] * (len(pages) - 1)
    assert all(p["response_type"] == "ephemeral" for p in pages)
    assert _listed(pages) == channels
    assert "more not shown" not in "".join(answer_text(p) for p in pages)


async def test_subscriptions_in_a_dm_lists_every_one(slack: SlackDriver) -> None:
    channels = _subscribe_many(slack)
    event = fixture("event_message_im")
    event["event"]["text"] = "subscriptions"
    event["event"]["blocks"] = []
    await slack.event(event)
    pages = [call.params for call in slack.fake.called("chat.postMessage")]
    assert len(pages) > 1 and all(p["channel"] == "D0PNCRP9N" for p in pages)
    assert _listed(pages) == channels
