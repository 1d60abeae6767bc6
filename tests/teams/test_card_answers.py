"""Adaptive Cards send every input with whichever submit button is pressed."""

from __future__ import annotations

from tests.teams.cards import assert_valid_card
from tests.teams.connector import fixture, reports, titles

ANSWERS = {"answer_frequency": "weekly", "answer_customer_facing": "yes"}


async def submit(client, url: str, activity_id: str, value: dict) -> None:  # type: ignore[no-untyped-def]
    await client.post("/api/messages", json=fixture("card_submit", url, id=activity_id, value=value))


async def test_looks_right_keeps_the_answers_chosen_on_the_card(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    sent = len(connector.calls)
    await submit(client, connector.url, "s-1", {"snag": "confirm", "report_id": 1, "value": "1", **ANSWERS})
    [row] = reports(services)
    assert (row.frequency, row.customer_facing, row.status) == ("weekly", True, "confirmed")
    assert titles(connector)[sent:] == ["Thanks, tags confirmed. This helps Snag learn."]


async def test_fix_tags_keeps_the_answers_and_shows_the_form(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    await submit(
        client, connector.url, "s-1", {"snag": "fix", "report_id": 1, "value": "1", "answer_frequency": "daily"}
    )
    assert reports(services)[0].frequency == "daily"
    form = connector.cards()[-1]
    assert_valid_card(form)
    assert titles(connector)[-1] == "Fix tags on #1"


async def test_send_answers_with_nothing_chosen_asks_for_an_answer(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    await submit(client, connector.url, "s-1", {"snag": "answers", "report_id": 1})
    assert titles(connector)[-1] == "Pick an answer first, then press Send answers."
    assert reports(services)[0].frequency is None


async def test_a_universal_action_keeps_the_answers_too(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    data = {"snag": "confirm", "report_id": 1, "value": "1", **ANSWERS}
    invoke = fixture(
        "card_submit",
        connector.url,
        id="exec-1",
        type="invoke",
        value={"action": {"type": "Action.Execute", "verb": "confirm", "data": data}},
    )
    invoke["name"] = "adaptiveCard/action"
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    [row] = reports(services)
    assert (row.frequency, row.customer_facing, row.status) == ("weekly", True, "confirmed")
