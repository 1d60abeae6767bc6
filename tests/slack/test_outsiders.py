"""Slack Connect: people of another organisation in a shared channel may not use Snag.

They get one short answer seen by them alone; they read none of the workspace's reports, and
nothing they write is stored. Members of the workspace keep using Snag in the same channel.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.slack import inbound
from adapters.slack.handlers.outsiders import CANNOT_TELL, NOT_HERE
from store.models import ConversationRef
from tests.slack.conftest import SlackDriver, fixture
from tests.slack.test_visibility import EARLIER, dm_event
from tests.slack.validate import answer_text

SHARED = "C0SHARED"
STRANGER = "U0EXTERNAL"


def shared_mention(text: str, event_id: str, *, user_team: str | None = "T0OTHERORG") -> dict[str, Any]:
    """An @mention in a channel shared with another organisation, as the host workspace receives it."""
    payload = fixture("event_app_mention")
    payload["event"] |= {"user": STRANGER, "channel": SHARED, "text": f"<@UBOT> {text}"}
    payload["event"].pop("team")
    if user_team:
        payload["event"] |= {"user_team": user_team, "team": user_team}
    return payload | {"event_id": event_id, "is_ext_shared_channel": True}


def conversation_refs(slack: SlackDriver) -> list[ConversationRef]:
    with Session(slack.services.engine) as session:
        return list(session.exec(select(ConversationRef)).all())


async def test_someone_from_another_organisation_reads_nothing_and_files_nothing(slack: SlackDriver) -> None:
    week_ago = time.time() - 7 * 24 * 3600
    for n, (user, channel, text) in enumerate(EARLIER):
        await slack.event(dm_event(user, channel, text, f"Ev0E{n}", week_ago + n))
    before = len(slack.reports())
    refs, posted = len(conversation_refs(slack)), len(slack.fake.called("chat.postMessage"))
    asked = ["top 30d", "pattern 1", "digest", "stats", "mine", "your refunds team is useless and slow"]
    for n, text in enumerate(asked):
        assert (await slack.event(shared_mention(text, f"Ev0EXT{n}")))[0] == 200
    answers = slack.fake.called("chat.postEphemeral")
    assert [a.params["user"] for a in answers] == [STRANGER] * len(asked), "one answer each, to them alone"
    assert {a.params["text"] for a in answers} == {NOT_HERE}
    assert not any("finance" in answer_text(a.params) for a in answers), "no report of the host is quoted"
    assert len(slack.reports()) == before and len(conversation_refs(slack)) == refs
    assert len(slack.fake.called("chat.postMessage")) == posted, "nothing posted for the channel to see"


async def test_a_retried_event_from_another_organisation_is_refused_once(slack: SlackDriver) -> None:
    payload = shared_mention("top", "Ev0EXTRETRY")
    await slack.event(payload)
    await slack.event(payload, retry=1)
    assert len(slack.fake.called("chat.postEphemeral")) == 1


async def test_their_other_messages_in_the_shared_channel_get_no_answer(slack: SlackDriver) -> None:
    payload = shared_mention("just chatting", "Ev0EXTCHAT")
    payload["event"] |= {"type": "message", "channel_type": "channel", "text": "just chatting"}
    await slack.event(payload)
    assert "chat.postEphemeral" not in slack.fake.methods() and slack.reports() == []


@pytest.mark.parametrize("user_team", ["T0001", "E0HOSTORG"])
async def test_members_still_use_snag_in_a_shared_channel(slack: SlackDriver, user_team: str) -> None:
    payload = shared_mention("the intake form asks customers for their address twice", "Ev0OWN")
    payload["event"] |= {"user": "U2147483697", "user_team": user_team, "team": user_team}
    payload["authorizations"][0]["enterprise_id"] = "E0HOSTORG"  # an Enterprise Grid org's workspace
    await slack.event(payload)
    [row] = slack.reports()
    assert row.text == "the intake form asks customers for their address twice"
    assert NOT_HERE not in [c.params.get("text") for c in slack.fake.called("chat.postEphemeral")]


async def test_a_reaction_from_another_organisation_files_nothing(slack: SlackDriver) -> None:
    slack.fake.messages[(SHARED, "1700000300.000400")] = {"ts": "1700000300.000400", "text": "our refunds are slow"}
    payload = fixture("event_reaction_added")
    payload["event"] |= {"user": STRANGER, "user_team": "T0OTHERORG"}
    payload["event"]["item"]["channel"] = SHARED
    await slack.event(payload | {"is_ext_shared_channel": True})
    [answer] = slack.fake.called("chat.postEphemeral")
    assert (answer.params["user"], answer.params["channel"], answer.params["text"]) == (STRANGER, SHARED, NOT_HERE)
    assert slack.reports() == [] and "conversations.history" not in slack.fake.methods()


async def test_a_reaction_in_a_shared_channel_that_names_no_team_is_refused_with_another_way(
    slack: SlackDriver,
) -> None:
    payload = fixture("event_reaction_added")  # Slack sends no team with a reaction
    await slack.event(payload | {"is_ext_shared_channel": True})
    [answer] = slack.fake.called("chat.postEphemeral")
    assert answer.params["text"] == CANNOT_TELL and "Report as friction" in CANNOT_TELL
    assert slack.reports() == []


async def test_the_shortcut_from_another_organisation_files_nothing(slack: SlackDriver) -> None:
    payload = fixture("message_action")
    payload["user"]["team_id"] = "T0OTHERORG"
    payload["response_url"] = slack.fake.hook("app/1")
    await slack.interaction(payload)
    [answer] = slack.fake.called("response_url")
    assert answer.params["text"] == NOT_HERE and answer.params["response_type"] == "ephemeral"
    assert slack.reports() == [] and "views.open" not in slack.fake.methods()


async def test_the_report_form_from_another_organisation_files_nothing(slack: SlackDriver) -> None:
    payload = fixture("view_submission_report")
    payload["user"]["team_id"] = "T0OTHERORG"
    answer = json.loads((await slack.interaction(payload))[1])
    assert answer["response_action"] == "update" and NOT_HERE in json.dumps(answer["view"])
    assert slack.reports() == []


async def test_a_button_pressed_by_another_organisation_changes_nothing_and_says_why(slack: SlackDriver) -> None:
    await slack.command(fixture("slash_command"))
    [row] = slack.reports()
    payload = fixture("block_actions_confirm")
    action = payload["actions"][0]
    action["block_id"] = action["block_id"].replace(":1:", f":{row.id}:")
    payload["user"]["team_id"] = "T0OTHERORG"
    payload["response_url"] = slack.fake.hook()
    await slack.interaction(payload)
    assert slack.reports()[0].status == row.status
    [answer] = slack.fake.called("response_url")  # the refusal the other entry points give, not silence
    assert NOT_HERE in json.dumps(answer.params) and answer.params["replace_original"] is False


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"user_team": "T0001"}, inbound.MEMBER),
        ({"user_team": "T0OTHER"}, inbound.OUTSIDER),
        ({"user_team": "E0OTHER"}, inbound.OUTSIDER),
        ({}, inbound.UNKNOWN),
    ],
)
def test_membership_of_an_event_in_a_shared_channel(event: dict[str, Any], expected: str) -> None:
    body = {
        "team_id": "T0001",
        "is_ext_shared_channel": True,
        "event": {"type": "reaction_added", "user": "U1", **event},
    }
    assert inbound.membership(body) == expected
    assert (inbound.who(body) is None) == (expected != inbound.MEMBER)


def test_membership_of_an_ordinary_dm_and_a_slash_command() -> None:
    assert inbound.membership(fixture("event_message_im")) == inbound.MEMBER
    in_the_org = fixture("event_app_mention")  # a Grid channel across the org's workspaces: not shared
    in_the_org["event"]["user_team"] = "T0SISTER"
    assert inbound.membership(in_the_org) == inbound.MEMBER
    assert inbound.membership(fixture("slash_command")) == inbound.MEMBER
    assert inbound.who(fixture("slash_command")) == inbound.Who("T0001", "U2147483697", "acme")
