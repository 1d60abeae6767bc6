"""A manager's `own 5 <at>Dana Lee</at>` in Teams names Dana as the pattern's owner, never "@someone"."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from store.models import Pattern
from tests.teams.connector import fixture, in_thread, reports, titles

REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
ALEX = {"id": "29:1user-nine", "name": "Alex Other", "aadObjectId": "aad-user-9"}
MANAGER = {"id": "29:1user-two", "name": "Morgan Reyes", "aadObjectId": "aad-user-2"}
CHATS = {"a:1personal-chat-1", "a:1personal-chat-9"}  # Sam's and Alex's 1:1 chats with Snag
MANAGERS_CHAT = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-2"}
SNAG = {"type": "mention", "text": "<at>Snag</at>", "mentioned": {"id": "28:bot-app-id", "name": "Snag"}}


def mention(shown: str, name: str = "Dana Lee", target: str = "29:1dana") -> dict:
    """A mention entity as Teams sends it beside the text: `shown` is what the text's span says."""
    return {"type": "mention", "text": f"<at>{shown}</at>", "mentioned": {"id": target, "name": name}}


async def a_pattern(client, connector, services) -> int:  # type: ignore[no-untyped-def]
    """Sam and Alex report the same thing in their 1:1 chats: one pattern, whose reporters hear of changes."""
    await client.post("/api/messages", json=fixture("message_personal", connector.url, text=REFUNDS))
    alex = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-9"}
    other = fixture("message_personal", connector.url, id="1700000000009", conversation=alex, **{"from": ALEX})
    await client.post("/api/messages", json=other | {"text": REFUNDS})
    [pattern_id] = {r.pattern_id for r in reports(services)}
    assert pattern_id is not None
    return pattern_id


async def say(client, connector, text: str, entities: list[dict], *, sender: dict = MANAGER, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    """`text` typed in the sender's 1:1 chat with Snag."""
    chat = MANAGERS_CHAT if sender is MANAGER else {**MANAGERS_CHAT, "id": f"a:1chat-{sender['id']}"}
    activity = fixture("message_personal", connector.url, id=f"17000000001{n:02d}", text=text, conversation=chat)
    activity["from"] = sender
    activity["entities"] = [*activity["entities"], *entities]
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)


def owner(services, pattern_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with Session(services.engine) as session:
        row = session.get(Pattern, pattern_id)
        assert row is not None
        return row.owner


def told(connector) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What each reporter's 1:1 chat was sent after their receipt."""
    return {chat: json.dumps(connector.sent_to(chat)[1:]) for chat in CHATS if connector.sent_to(chat)[1:]}


@pytest.mark.parametrize(
    ("typed", "entities"),
    [
        ("own {} <at>Dana Lee</at>", [mention("Dana Lee")]),
        ("own {} <at>Dana</at>", [mention("Dana")]),  # the last name taken out of the span: Teams names her
        ("assign {} to <at>Dana</at>", [mention("Dana")]),
        # Teams splits a full name into one mention per word, each naming the whole person or its word
        ("own {} <at>Dana</at> <at>Lee</at>", [mention("Dana"), mention("Lee")]),
        ("own {} <at>Dana</at>&nbsp;<at>Lee</at>", [mention("Dana", "Dana"), mention("Lee", "Lee")]),
    ],
)
async def test_own_with_a_mention_names_the_person_and_their_reporters_read_it(
    teams, typed: str, entities: list[dict]
) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    pattern_id = await a_pattern(client, connector, services)
    await say(client, connector, typed.format(pattern_id), entities)
    assert owner(services, pattern_id) == "Dana Lee"
    [answer] = connector.sent_to(MANAGERS_CHAT["id"])
    assert "owner Dana Lee" in json.dumps(answer) and "@someone" not in json.dumps(answer)
    sent = told(connector)
    assert sorted(sent) == sorted(CHATS)
    assert all("Dana Lee" in text and "@someone" not in text for text in sent.values())
    assert len(reports(services)) == 2  # nothing filed


async def test_own_in_a_channel_names_the_person_not_snag(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    pattern_id = await a_pattern(client, connector, services)
    activity = in_thread(connector.url, "1700000000200", f"own {pattern_id} <at>Dana Lee</at>", MANAGER)
    activity["entities"] = [SNAG, mention("Dana Lee")]
    await client.post("/api/messages", json=activity)
    assert owner(services, pattern_id) == "Dana Lee"
    assert all("Dana Lee" in text for text in told(connector).values()) and len(told(connector)) == 2
    assert len(reports(services)) == 2


async def test_own_me_names_the_manager(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    pattern_id = await a_pattern(client, connector, services)
    await say(client, connector, f"own {pattern_id} me", [])
    assert owner(services, pattern_id) == "Morgan Reyes"
    assert "owner Morgan Reyes" in json.dumps(connector.sent_to(MANAGERS_CHAT["id"]))
    assert all("Morgan Reyes" in text for text in told(connector).values()) and len(told(connector)) == 2


@pytest.mark.parametrize(
    ("typed", "entities", "sender"),
    [
        ("own {} <at>Dana Lee</at>", [], MANAGER),  # markup Teams describes with no entity: nobody known
        ("own {} <at>Dana Lee</at>", [mention("Dana Lee", name="")], MANAGER),  # an entity without a name
        ("own {} <at>Dana</at> <at>Lee</at>", [mention("Dana", "Dana"), mention("Lee", "")], MANAGER),  # half a name
        ("own {} me", [], {k: v for k, v in MANAGER.items() if k != "name"}),  # Teams did not say who sent it
    ],
)
async def test_a_name_teams_does_not_give_is_asked_for_and_nothing_is_stored(
    teams, typed: str, entities: list[dict], sender: dict
) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    pattern_id = await a_pattern(client, connector, services)
    chat = {**MANAGERS_CHAT, "id": "a:1chat-nameless"}
    activity = fixture("message_personal", connector.url, id="1700000000300", conversation=chat)
    activity |= {"from": sender, "text": typed.format(pattern_id)}
    activity["entities"] = [*activity["entities"], *entities]
    await client.post("/api/messages", json=activity)
    [answer] = connector.sent_to(chat["id"])
    assert "type" in json.dumps(answer).lower() and "name" in json.dumps(answer)
    assert owner(services, pattern_id) is None
    assert told(connector) == {}  # nobody was told "@someone will look after it"
    assert len(reports(services)) == 2


async def test_a_staff_members_own_is_refused_and_stores_nothing(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    pattern_id = await a_pattern(client, connector, services)
    await say(client, connector, f"own {pattern_id} <at>Dana</at>", [mention("Dana")], sender=SAM)
    assert "for managers" in titles(connector)[-1]
    assert "Dana" not in json.dumps(connector.calls)
    assert owner(services, pattern_id) is None
    assert told(connector) == {}
    assert len(reports(services)) == 2


@pytest.mark.parametrize("sender", [MANAGER, SAM])
@pytest.mark.parametrize(
    "typed",
    [
        "<at>Dana Lee</at> retypes every refund into the finance sheet by hand",
        "assign 2 people to <at>Dana Lee</at> every night and nobody tells the rota",
        "own goals: <at>Dana Lee</at> keeps the returns list in her own spreadsheet again",
    ],
)
async def test_a_report_that_mentions_a_colleague_keeps_them_as_someone(teams, typed: str, sender: dict) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await say(client, connector, typed, [mention("Dana Lee")], sender=sender)
    assert [r.text for r in reports(services)] == [typed.replace("<at>Dana Lee</at>", "@someone")]
    assert "Dana" not in json.dumps(connector.calls)
