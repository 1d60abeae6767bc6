"""Mentions in Teams reports, as in Slack: Snag's own removed, colleagues as "@someone", teams,
channels and tags by name, and every other word kept as written."""

from __future__ import annotations

import json

import pytest

from tests.teams.connector import fixture, in_thread, reports

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
SNAG = {"type": "mention", "text": "<at>Snag</at>", "mentioned": {"id": "28:bot-app-id", "name": "Snag"}}


def mention(name: str, target: str, **more: str) -> dict:
    """A mention entity as Teams sends it beside the message's text."""
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": target, "name": name, **more}}


async def report_in_channel(client, url: str, text: str, entities: list[dict]) -> None:  # type: ignore[no-untyped-def]
    activity = in_thread(url, "1700000000100", text, SAM)
    activity["entities"] = [SNAG, *entities]
    await client.post("/api/messages", json=activity)


@pytest.mark.parametrize(
    ("typed", "entities", "stored"),
    [
        (
            "<at>Sam Jones</at> never sends the signed forms back to the depot",
            [mention("Sam Jones", "29:1sam-jones")],
            "@someone never sends the signed forms back to the depot",
        ),
        (  # Teams splits a full name into one mention per word
            "<at>Sam</at> <at>Jones</at> keeps the returns list in his own spreadsheet",
            [mention("Sam", "29:1sam-jones"), mention("Jones", "29:1sam-jones")],
            "@someone keeps the returns list in his own spreadsheet",
        ),
        (
            "<at>Sam Jones</at> and <at>Ali Khan</at> both re-key every refund by hand",
            [mention("Sam Jones", "29:1sam-jones"), mention("Ali Khan", "8:orgid:aad-ali")],
            "@someone and @someone both re-key every refund by hand",
        ),
        (  # a tag and a channel are no one's name: kept, as Slack keeps #channel and @group
            "<at>Finance</at> never answers refund questions posted in <at>Returns Desk</at>",
            [mention("Finance", "tag-finance-1", type="tag"), mention("Returns Desk", "19:returns@thread.tacv2")],
            "@Finance never answers refund questions posted in @Returns Desk",
        ),
        (  # markup Teams describes with no entity is still a mention, of someone unknown
            "<at>Sam Jones</at> never sends the signed forms back",
            [],
            "@someone never sends the signed forms back",
        ),
        (  # Snag's name as a word is the person's word, not a mention
            "Snag tickets from <at>Sam Jones</at> never reach the Snag board",
            [mention("Sam Jones", "29:1sam-jones")],
            "Snag tickets from @someone never reach the Snag board",
        ),
    ],
)
async def test_a_channel_report_keeps_no_colleagues_name(teams, typed: str, entities: list, stored: str) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await report_in_channel(client, connector.url, typed, entities)
    assert [r.text for r in reports(services)] == [stored]
    sent = json.dumps([body for _, body in connector.calls])
    assert "Sam Jones" not in sent and "Ali Khan" not in sent and "<at>" not in sent


async def test_a_personal_chat_report_keeps_no_colleagues_name(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    typed = "the signed forms wait on <at>Sam Jones</at> for a week"
    entities = [mention("Sam Jones", "29:1sam-jones")]
    await client.post("/api/messages", json=fixture("message_personal", connector.url, text=typed, entities=entities))
    assert [r.text for r in reports(services)] == ["the signed forms wait on @someone for a week"]


def reported(html: str, mentions: list[dict]) -> dict:
    """'Report as friction' on a message with this HTML body and these mentions."""
    activity = fixture("messaging_extension_submit", "")
    activity["value"]["messagePayload"]["body"]["content"] = html
    activity["value"]["messagePayload"]["mentions"] = mentions
    return activity


def user(mention_id: int, name: str, aad: str) -> dict:
    """One of a reported message's mentions, as Teams gives them (Microsoft Graph's shape)."""
    person = {"id": aad, "displayName": name, "userIdentityType": "aadUser"}
    return {"id": mention_id, "mentionText": name, "mentioned": {"user": person, "application": None}}


@pytest.mark.parametrize(
    ("html", "mentions", "stored"),
    [
        (
            '<p><at id="0">Sam Jones</at> lost the returns paperwork again</p>',
            [user(0, "Sam Jones", "aad-sam")],
            "@someone lost the returns paperwork again",
        ),
        (
            '<div><at id="0">Sam</at>&nbsp;<at id="1">Jones</at> lost the returns paperwork</div>',
            [user(0, "Sam", "aad-sam"), user(1, "Jones", "aad-sam")],
            "@someone lost the returns paperwork",
        ),
        (
            '<p>ask <at id="0">Returns Desk</at> or <at id="1">Finance</at>, <at id="2">Ali Khan</at> is out</p>',
            [
                {"id": 0, "mentionText": "Returns Desk", "mentioned": {"conversation": {"id": "19:r@thread.tacv2"}}},
                {"id": 1, "mentionText": "Finance", "mentioned": {"tag": {"id": "tag-1", "displayName": "Finance"}}},
                user(2, "Ali Khan", "aad-ali"),
            ],
            "ask @Returns Desk or @Finance, @someone is out",
        ),
        ('<p><at id="7">Sam Jones</at> lost it</p>', [], "@someone lost it"),
        (  # a message that mentioned Snag itself
            '<p><at id="0">Snag</at> the label printer jams on every second order</p>',
            [{"id": 0, "mentionText": "Snag", "mentioned": {"application": {"id": "bot-app-id"}}}],
            "the label printer jams on every second order",
        ),
    ],
)
async def test_report_as_friction_keeps_no_colleagues_name(teams, html: str, mentions: list, stored: str) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    activity = reported(html, mentions)
    activity["serviceUrl"] = connector.url
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    assert [r.text for r in reports(services)] == [stored]
    dialog = json.dumps(await response.json())
    assert "Sam" not in dialog and "Ali Khan" not in dialog
