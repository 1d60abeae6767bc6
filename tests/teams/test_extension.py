"""The "Report as friction" message extension: its dialog, its note, one report per person and message."""

from __future__ import annotations

import json

from tests.teams.cards import assert_valid_card
from tests.teams.connector import fixture, reports

RETURNS = 'we keep the "returns" list in a shared spreadsheet because the WMS drops them'


async def invoke(client, url: str, activity_id: str, data: dict, **changes: object) -> dict:  # type: ignore[no-untyped-def]
    """The extension's submitAction as Teams sends it; returns the task the bot answered."""
    activity = fixture("messaging_extension_submit", url, id=activity_id, **changes)
    activity["value"]["data"] = data
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    return (await response.json())["task"]


async def test_fix_tags_in_the_dialog_shows_the_fix_form_and_stores_the_correction(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await invoke(client, connector.url, "f:me-1", {"note": ""})
    task = await invoke(client, connector.url, "f:me-2", {"snag": "fix", "report_id": 1, "value": "1"})
    assert task["type"] == "continue"
    form = task["value"]["card"]["content"]
    assert_valid_card(form)
    assert "stage" in [e.get("id") for e in form["body"]]
    correct = {"snag": "correct", "report_id": 1, "stage": "support", "kinds": "waiting", "teams": "finance"}
    task = await invoke(client, connector.url, "f:me-3", correct)
    assert task == {"type": "message", "value": "Tags on report #1 corrected. Thank you."}
    [row] = reports(services)
    assert (row.stage, row.status) == ("support", "corrected")


async def test_the_note_typed_in_the_dialog_is_filed_with_the_report(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await invoke(client, connector.url, "f:me-1", {"note": "  this costs us two hours every Friday "})
    assert [r.text for r in reports(services)] == [f"{RETURNS}\n\nNote: this costs us two hours every Friday"]


async def test_one_report_per_person_per_message(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await invoke(client, connector.url, "f:me-1", {"note": ""})
    again = await invoke(client, connector.url, "f:me-2", {"note": ""})
    assert "Already saved as report #1." in json.dumps(again["value"]["card"]["content"])
    someone_else = {"id": "29:1user-nine", "aadObjectId": "aad-user-9"}
    await invoke(client, connector.url, "f:me-3", {"note": ""}, **{"from": someone_else})
    assert [r.text for r in reports(services)] == [RETURNS, RETURNS]
