"""Who sees Snag's answers: every command, typed as `/snag` or to @Snag, is answered to the asker alone.

Answers quote reports (a manager's digest, pattern and search) or list the asker's own reports
(`mine`, receipts), and whoever is answered in a channel is seen to have asked or reported, so
none is posted for the channel to see. The only messages others may see are the announcement
that a subscribed channel will get digests, and the DMs that tell reporters what became of
their pattern.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.slack.handlers.commands import ANNOUNCE
from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.fake_slack import Call

STAFF = "U2147483697"  # the fixtures' user
ADMIN = "U0ADMIN"
CHANNEL = "C2147483705"
DM_OF = {STAFF: "D0PNCRP9N", MANAGER: "D0MANAGER", ADMIN: "D0ADMIN"}  # each one's direct message with Snag
# Three colleagues report the same problem last week: a pattern with quotes, and a digest with them.
EARLIER = (
    ("U0STAFF1", "D0STAFF1", "refunds sit in the finance inbox for a week before anyone picks them up"),
    ("U0STAFF2", "D0STAFF2", "refunds wait in the finance inbox for days until someone picks them up"),
    ("U0STAFF3", "D0STAFF3", "refund requests sit in the finance inbox for a week unanswered"),
)

# Where Snag tells a reporter about their pattern: their DM with Snag, or their user id (which opens it).
REPORTERS_PRIVATE = {c for _, c, _ in EARLIER} | {u for u, _, _ in EARLIER} | set(DM_OF.values()) | set(DM_OF)


@dataclass(frozen=True)
class Asked:
    text: str
    user: str = STAFF
    shows: str = ""  # what the answer quotes, to be sure it is one the channel must not see


# Every command of the help, as each role may type it, and text Snag does not understand.
COMMANDS = (
    Asked("the refund form loses the order number when finance opens it"),  # a report
    Asked("report refunds sit in the finance inbox again"),
    Asked("help"),
    Asked("top 30d"),
    Asked("mine", shows=EARLIER[0][2]),
    Asked("search refunds"),  # refused: for managers
    Asked("search refunds", MANAGER, shows=EARLIER[1][2]),
    Asked("pattern 1"),
    Asked("pattern 1", MANAGER, shows="finance inbox"),
    Asked("stats"),
    Asked("digest"),
    Asked("digest", MANAGER, shows="finance inbox"),  # "In their words"
    Asked("digest team:finance", MANAGER),
    Asked("own 1 Finance ops", MANAGER),
    Asked("status 1 in_progress", MANAGER),
    Asked("status 1 resolved", ADMIN),
    Asked("subscribe", ADMIN),
    Asked("unsubscribe", ADMIN),
    Asked("subscribe", MANAGER),  # refused: for admins
    Asked("erase U0STAFF3", ADMIN),
    Asked("retrain", ADMIN),
    Asked("reload", ADMIN),
    Asked("retrain", MANAGER),  # refused
    Asked("tops 30d"),  # a slip: "did you mean top?"
    Asked("pattern twelve"),  # a usage message
    Asked("ok"),  # too short to be a report
)


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"admins": [f"slack:{ADMIN}"]}


def dm_event(user: str, channel: str, text: str, event_id: str, at: float) -> dict[str, Any]:
    payload = fixture("event_message_im")
    payload["event"] |= {"user": user, "channel": channel, "text": text, "client_msg_id": event_id}
    payload |= {"event_id": event_id, "event_time": int(at)}
    return payload


async def file_last_weeks_reports(slack: SlackDriver) -> None:
    week_ago = time.time() - 7 * 24 * 3600
    for n, (user, channel, text) in enumerate(EARLIER):
        await slack.event(dm_event(user, channel, text, f"Ev0EARLIER{n}", week_ago + n))
    await slack.event(dm_event(STAFF, DM_OF[STAFF], EARLIER[0][2], "Ev0EARLIERSTAFF", week_ago + 9))


async def ask(slack: SlackDriver, route: str, asked: Asked, n: int) -> dict[str, Any] | None:
    """Type the command as Slack would deliver it; the slash command's immediate answer, if any."""
    if route in ("slash", "slash, answered later"):
        if route == "slash, answered later":
            slack.runtime.budget = 0  # "Working on it…" at once, the answer by response_url
        command = fixture("slash_command") | {
            "text": asked.text,
            "user_id": asked.user,
            "trigger_id": f"13345224609.738474920.{n:04d}",
            "response_url": slack.fake.hook(f"commands/T0001/{n}/x"),
        }
        status, body = await slack.command(command)
        assert status == 200
        return json.loads(body) if body else None
    if route == "@mention":
        payload = fixture("event_app_mention")
        payload["event"] |= {"user": asked.user, "channel": CHANNEL, "text": f"<@UBOT> {asked.text}"}
    else:  # a direct message to Snag
        payload = fixture("event_message_im")
        payload["event"] |= {"user": asked.user, "channel": DM_OF[asked.user], "text": asked.text}
    payload["event_id"] = f"Ev0ASKED{n:04d}"
    assert (await slack.event(payload))[0] == 200
    return None


def seen_by_others(call: Call, asked: Asked, route: str) -> bool:
    """Whether anyone but the asker (or a reporter told by DM) can read what this call posted."""
    if call.method == "response_url":
        return call.params.get("response_type") != "ephemeral"
    if call.method == "chat.postEphemeral":
        return call.params.get("user") != asked.user or call.params.get("channel") != CHANNEL
    if call.method == "chat.postMessage":
        channel = call.params.get("channel")
        if route == "DM" and channel == DM_OF[asked.user]:
            return False  # the asker's own direct message with Snag
        if channel in REPORTERS_PRIVATE:  # a reporter told by DM what became of their pattern
            return not call.params["text"].startswith("An update on your report #")
        return not (asked.text == "subscribe" and call.params["text"] == ANNOUNCE)
    return call.method.startswith(("chat.", "files."))  # any other way of posting is not private


def answers(immediate: dict[str, Any] | None, calls: list[Call], asked: Asked, route: str) -> list[Any]:
    """What the asker was sent in answer."""
    if route.startswith("slash"):
        return [immediate, *(c.params for c in calls if c.method == "response_url")] if immediate else []
    if route == "@mention":
        return [c.params for c in calls if c.method == "chat.postEphemeral" and c.params["user"] == asked.user]
    return [c.params for c in calls if c.method == "chat.postMessage" and c.params["channel"] == DM_OF[asked.user]]


@pytest.mark.parametrize("route", ["slash", "slash, answered later", "@mention", "DM"])
async def test_every_command_is_answered_to_the_asker_alone(
    slack: SlackDriver, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.retrain_now", lambda services: None)  # only the answer matters here
    await file_last_weeks_reports(slack)
    public: list[str] = []
    for n, asked in enumerate(COMMANDS):
        slack.fake.calls.clear()
        immediate = await ask(slack, route, asked, n)
        calls = list(slack.fake.calls)
        if immediate is not None and immediate.get("response_type") != "ephemeral":
            public.append(f"{asked.text!r} by {asked.user}: {immediate.get('response_type')}: {immediate['text']}")
        for call in calls:
            if seen_by_others(call, asked, route):
                public.append(f"{asked.text!r} by {asked.user}: {call.method} {call.params}")
        answered = answers(immediate, calls, asked, route)
        assert answered, f"{asked.text!r} by {asked.user} got no answer"
        assert asked.shows in json.dumps(answered, ensure_ascii=False), f"{asked.text!r} by {asked.user}"
    assert not public, "seen by the channel:\n" + "\n".join(line[:300] for line in public)
