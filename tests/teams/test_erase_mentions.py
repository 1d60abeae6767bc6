"""Teams, activities POSTed to the endpoint: an admin's `erase @person` erases the person the mention
entity names (the text only says "@someone"), a reporter takes back their own report, and a
greeting in the 1:1 chat is answered without being filed."""

from __future__ import annotations

import json
from typing import Any

from tests.teams.connector import fixture, reports

ADMIN = {"id": "29:1admin", "name": "Ada Admin", "aadObjectId": "aad-admin"}
ADMIN_CHAT = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1admin-chat"}
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}


def said(connector: Any) -> str:
    """Everything the last card said, as text."""
    return json.dumps(connector.cards()[-1], ensure_ascii=False)


def mention(who: dict) -> dict:
    return {"type": "mention", "text": f"<at>{who['name']}</at>", "mentioned": who}


async def test_an_admin_erases_the_person_they_mention(teams: Any) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert len(reports(services)) == 1
    bot = {"id": "28:bot-app-id", "name": "Snag"}
    erase = fixture(
        "message_personal",
        connector.url,
        id="a-2",
        **{
            "from": ADMIN,
            "conversation": ADMIN_CHAT,
            "text": "<at>Snag</at> erase <at>Sam Reporter</at>",
            "entities": [mention(bot), mention(SAM)],
        },
    )
    await client.post("/api/messages", json=erase)
    assert "reported here is erased" in said(connector)
    assert reports(services) == []


async def test_an_erase_naming_nobody_teams_knows_is_refused(teams: Any) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    typed = fixture(
        "message_personal", connector.url, id="a-3", **{"from": ADMIN, "conversation": ADMIN_CHAT, "text": "erase @Sam"}
    )
    await client.post("/api/messages", json=typed)
    assert "I can't tell who" in said(connector) and "Azure AD object ID" in said(connector)
    assert len(reports(services)) == 1


async def test_a_reporter_takes_back_their_report_and_a_greeting_is_not_filed(teams: Any) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    [report] = reports(services)
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="b-1", text="hi there"))
    assert "Hi!" in said(connector) and len(reports(services)) == 1
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="b-2", text="undo that"))
    assert f"erase {report.id}" in said(connector) and len(reports(services)) == 1
    await client.post(
        "/api/messages", json=fixture("message_personal", connector.url, id="b-3", text=f"erase {report.id}")
    )
    assert f"Erased your report #{report.id}" in said(connector)
    assert reports(services) == []


async def test_a_mention_without_its_aad_id_is_looked_up_in_the_roster(teams: Any) -> None:
    """Teams often sends a mention with the Teams id alone; reports are kept by the AAD object id."""
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    connector.roster[SAM["id"]] = dict(SAM, objectId=SAM["aadObjectId"])
    bot = {"id": "28:bot-app-id", "name": "Snag"}
    erase = fixture(
        "message_personal",
        connector.url,
        id="a-4",
        **{
            "from": ADMIN,
            "conversation": ADMIN_CHAT,
            "text": "<at>Snag</at> erase <at>Sam Reporter</at>",
            "entities": [mention(bot), mention({"id": SAM["id"], "name": SAM["name"]})],
        },
    )
    await client.post("/api/messages", json=erase)
    assert connector.asked == [SAM["id"]]
    assert "reported here is erased" in said(connector)
    assert reports(services) == []


async def test_a_member_teams_cannot_find_keeps_its_teams_id_and_nothing_is_erased(teams: Any) -> None:
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    erase = fixture(
        "message_personal",
        connector.url,
        id="a-5",
        **{
            "from": ADMIN,
            "conversation": ADMIN_CHAT,
            "text": "erase <at>Someone Else</at>",
            "entities": [mention({"id": "29:1nobody", "name": "Someone Else"})],
        },
    )
    await client.post("/api/messages", json=erase)
    assert connector.asked == ["29:1nobody"]
    assert "reported here is erased" in said(connector) and "Azure AD object ID" in said(connector)
    assert len(reports(services)) == 1
