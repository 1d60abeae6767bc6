"""Teams as Teams drives it: activities POSTed over real HTTP into /api/messages, the bot's
replies and proactive messages landing on a local fake Bot Connector that records them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from adapters.teams import check_settings
from adapters.teams.messenger import DeliveryFailed
from bot.app import build
from bot.config import Settings
from bot.domain import Reply, Section
from bot.errors import ConfigError
from tests.conftest import FixedClassifier
from tests.teams.cards import assert_valid_card
from tests.teams.connector import fixture, refs, reports, titles


async def test_personal_message_files_a_report_and_replies_with_a_card(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    response = await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert response.status in (200, 201)
    stored = reports(services)
    assert [r.text for r in stored] == ["refund requests sit in the finance inbox for a week before anyone looks"]
    assert stored[0].platform == "teams" and stored[0].channel == "a:1personal-chat-1"
    path, body = connector.calls[-1]
    assert path.startswith("/v3/conversations/a:1personal-chat-1/activities")
    card = body["attachments"][0]["content"]
    assert_valid_card(card)
    texts = json.dumps(card)
    assert "saved as report #1" in texts and "Looks right" in texts and "Fix tags" in texts
    assert [a["data"]["snag"] for a in card["actions"]] == ["confirm", "fix", "answers"]
    assert refs(services)[0].reporter_key is not None  # personal chat: closing the loop works


async def test_the_same_activity_twice_makes_one_report(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    activity = fixture("message_personal", connector.url)
    for _ in range(2):
        assert (await client.post("/api/messages", json=activity)).status in (200, 201)
    assert len(reports(services)) == 1
    assert "Already saved" in json.dumps(connector.cards()[-1])


async def test_card_buttons_confirm_answer_and_correct(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    await client.post("/api/messages", json=fixture("card_submit", connector.url))
    answers = fixture(
        "card_submit",
        connector.url,
        id="submit-2",
        value={"snag": "answers", "report_id": 1, "answer_frequency": "weekly", "answer_customer_facing": "yes"},
    )
    await client.post("/api/messages", json=answers)
    fix = fixture("card_submit", connector.url, id="submit-3", value={"snag": "fix", "report_id": 1, "value": "1"})
    await client.post("/api/messages", json=fix)
    form = connector.cards()[-1]
    assert_valid_card(form)
    assert [e["id"] for e in form["body"] if e["type"] == "Input.ChoiceSet"] == [
        "stage",
        "kinds",
        "teams",
        "handoff_from",
        "handoff_to",
    ]
    correct = fixture(
        "card_submit",
        connector.url,
        id="submit-4",
        value={
            "snag": "correct",
            "report_id": 1,
            "stage": "support",
            "kinds": "waiting,handoff",
            "teams": "finance",
            "handoff_from": "",
            "handoff_to": "finance",
        },
    )
    await client.post("/api/messages", json=correct)
    row = reports(services)[0]
    assert (row.frequency, row.customer_facing) == ("weekly", True)
    assert (row.stage, row.kinds, row.teams, row.handoff_from, row.handoff_to, row.status) == (
        "support",
        ["waiting", "handoff"],
        ["finance"],
        None,
        "finance",
        "corrected",
    )


async def test_channel_mention_runs_a_command(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_channel_mention", connector.url))
    card = connector.cards()[-1]
    assert_valid_card(card)
    assert "Top patterns (last 30 days to midnight UTC, since " in json.dumps(card)
    assert reports(services) == []


async def test_bad_command_gets_a_usage_card(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    activity = fixture("message_channel_mention", connector.url, text="<at>Snag</at> top finance")
    await client.post("/api/messages", json=activity)
    card = connector.cards()[-1]
    assert_valid_card(card)
    assert titles(connector)[-1].startswith("top takes") and "top [7d|30d|90d]" in json.dumps(card)


async def test_a_filter_slip_gets_one_line_with_the_closest_name(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    for typed, said in (
        ("top team:financ", "financ is not a team I know: did you mean team:finance?"),
        ("top team:accounts", ", team Finance)"),  # an alias of finance
    ):
        activity = fixture("message_channel_mention", connector.url, text=f"<at>Snag</at> {typed}")
        await client.post("/api/messages", json=activity)
        card = connector.cards()[-1]
        assert_valid_card(card)
        assert said in titles(connector)[-1] and "top [7d|30d|90d]" not in json.dumps(card)


async def test_user_text_stays_literal_in_cards(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    sneaky = "<at>Boss</at> **bold** [link](http://x) <!channel> the rota is in a whatsapp group"
    await client.post("/api/messages", json=fixture("message_personal", connector.url, text=sneaky, id="m-sneaky"))
    _, body = connector.calls[-1]
    assert "entities" not in body or not any(e.get("type") == "mention" for e in body.get("entities") or [])
    runs = [
        i["text"]
        for b in body["attachments"][0]["content"]["body"]
        if b["type"] == "RichTextBlock"
        for i in b["inlines"]
    ]
    assert sneaky.replace("<at>Boss</at>", "@someone") in runs  # <at> in Teams text is a mention: a person
    assert all(b["type"] != "TextBlock" for b in body["attachments"][0]["content"]["body"])


async def test_message_extension_files_the_message_text(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    response = await client.post("/api/messages", json=fixture("messaging_extension_submit", connector.url))
    assert response.status == 200
    task = (await response.json())["task"]
    assert task["type"] == "continue"
    assert_valid_card(task["value"]["card"]["content"])
    [row] = reports(services)
    assert row.text == 'we keep the "returns" list in a shared spreadsheet because the WMS drops them'
    assert "original" not in row.reporter_key


async def test_installation_update_stores_and_remove_deletes_references(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("installation_update_add", connector.url))
    assert [r.conversation_id for r in refs(services)] == ["19:channel-leads@thread.tacv2"]
    upgrade = fixture("installation_update_add", connector.url, id="f:2", action="remove-upgrade")
    await client.post("/api/messages", json=upgrade)
    assert len(refs(services)) == 1
    remove = fixture("installation_update_add", connector.url, id="f:3", action="remove")
    await client.post("/api/messages", json=remove)
    assert refs(services) == []


async def test_proactive_digest_retries_429_and_stops_on_403(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("installation_update_add", connector.url))
    messenger = services.extras["messengers"]["teams"]
    messenger.base_delay = 0.01
    connector.calls.clear()
    reply = Reply(kind="digest", title="Weekly digest", sections=(Section(text="3 new patterns"),))
    connector.statuses = [429, 502, 200]
    await messenger.send(platform="teams", tenant="tenant-a", destination="19:channel-leads@thread.tacv2", reply=reply)
    assert len(connector.calls) == 3
    assert_valid_card(connector.cards()[-1])
    connector.calls.clear()
    connector.statuses = [403]
    with pytest.raises(DeliveryFailed) as failed:
        await messenger.send(
            platform="teams", tenant="tenant-a", destination="19:channel-leads@thread.tacv2", reply=reply
        )
    assert failed.value.status == 403 and len(connector.calls) == 1
    assert refs(services)[0].blocked is True
    with pytest.raises(DeliveryFailed):
        await messenger.send(
            platform="teams", tenant="tenant-a", destination="19:channel-leads@thread.tacv2", reply=reply
        )
    assert len(connector.calls) == 1


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"text": "no type"}', b"[" * 100_000 + b"]" * 100_000])
async def test_malformed_bodies_get_400_and_store_nothing(teams, body: bytes) -> None:  # type: ignore[no-untyped-def]
    services, client, _connector = teams
    response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert reports(services) == []


async def test_unknown_activity_types_are_ignored_quietly(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    activity = fixture("message_personal", connector.url, type="somethingNew", id="x-1")
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201) and reports(services) == []


def test_without_credentials_teams_refuses_to_start_outside_dev() -> None:
    prod = Settings(_env_file=None, env="prod", teams=True)
    with pytest.raises(ConfigError, match="MicrosoftAppId and MicrosoftAppPassword"):
        check_settings(prod)
    check_settings(Settings(_env_file=None, env="dev", teams=True))
    check_settings(
        Settings(_env_file=None, env="prod", microsoft_app_id="id", microsoft_app_password="test-app-password")
    )


async def test_with_credentials_an_unsigned_activity_is_rejected(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        env="prod",
        teams=True,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        reporter_secret="test-secret",
        microsoft_app_id="00000000-0000-0000-0000-000000000001",
        microsoft_app_password="test-app-password",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    client = TestClient(TestServer(make_web_app(services)))
    await client.start_server()
    try:
        activity = copy.deepcopy(fixture("message_personal", "http://127.0.0.1:9/"))
        response = await client.post("/api/messages", json=activity)
        assert response.status == 401
        assert reports(services) == []
    finally:
        await client.close()


async def test_universal_action_invoke_updates_the_card_in_place(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    invoke = fixture(
        "card_submit",
        connector.url,
        id="exec-1",
        type="invoke",
        value={
            "action": {
                "type": "Action.Execute",
                "verb": "frequency",
                "data": {"snag": "frequency", "report_id": 1, "value": "monthly"},
            }
        },
    )
    invoke["name"] = "adaptiveCard/action"
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(body["value"])
    assert "monthly" in json.dumps(body["value"])
    assert reports(services)[0].frequency == "monthly"


async def test_an_explicit_report_word_is_not_stored_with_the_report(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    activity = fixture("message_personal", connector.url, id="explicit-1", text="report the depot lost the manifest")
    await client.post("/api/messages", json=activity)
    assert [r.text for r in reports(services)] == ["the depot lost the manifest"]
