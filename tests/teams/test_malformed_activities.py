"""Activities Teams would not send as they are here: a field of the wrong shape is taken as absent
(the person gets the usual answer, never an apology or a 500); one without a serviceUrl, which no
answer could ever reach, is refused before anything is stored. And Teams' HTML entities in text."""

from __future__ import annotations

import json

import pytest

from tests.teams.connector import fixture, refs, reports, titles

MEDS = "the medication chart is on paper so we copy it twice"


async def test_a_card_submit_whose_value_is_no_object_gets_the_usual_answer(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    submit = fixture("card_submit", connector.url, value="just a string")
    response = await client.post("/api/messages", json=submit)
    assert response.status == 201
    said = json.dumps(connector.cards(), ensure_ascii=False)
    assert "Sorry" not in said and titles(connector) == [
        'Tell me in a sentence what got in the way, e.g. "refund requests sit in the '
        'finance inbox for a week before anyone picks them up".'
    ]
    assert reports(services) == []


async def test_a_message_with_a_value_that_is_no_object_is_read_as_typed(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url, text=MEDS, value="x"))
    assert [r.text for r in reports(services)] == [MEDS]
    assert titles(connector)[-1] == "Thanks, saved as report #1."


async def test_channel_data_that_is_no_object_is_taken_as_absent(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    response = await client.post("/api/messages", json=fixture("message_personal", connector.url, channelData="bad"))
    assert response.status == 201
    [row] = reports(services)
    assert titles(connector)[-1] == f"Thanks, saved as report #{row.id}."
    with_data = fixture("message_personal", connector.url, id="1700000000002", text="help")
    await client.post("/api/messages", json=with_data)  # the same tenant, from the conversation either way
    assert len({r.tenant_id for r in refs(services)}) == 1


@pytest.mark.parametrize("service_url", [None, "", "   ", "not a url", "ftp://example.com/"])
async def test_an_activity_without_a_service_url_is_refused_and_nothing_stored(teams, service_url) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    activity = fixture("message_personal", connector.url)
    if service_url is None:
        del activity["serviceUrl"]
    else:
        activity["serviceUrl"] = service_url
    response = await client.post("/api/messages", json=activity)
    assert response.status == 400
    assert "serviceUrl" in (await response.json())["error"]
    assert reports(services) == [] and refs(services) == [] and connector.calls == []
    assert list((services.settings.data_dir / "teams-owed").glob("*/*.json")) == []


async def test_a_nbsp_after_the_mention_is_a_space(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    mention = fixture("message_channel_mention", connector.url, text="<at>Snag</at>&nbsp;help")
    await client.post("/api/messages", json=mention)
    assert titles(connector) == ["Snag commands"] and reports(services) == []


async def test_html_entities_are_stored_as_the_characters_they_stand_for(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    text = "<at>Snag</at>&nbsp;returns&nbsp;&amp; refunds sit in the &quot;later&quot; pile &lt;3 days&gt;"
    await client.post("/api/messages", json=fixture("message_channel_mention", connector.url, text=text))
    assert [r.text for r in reports(services)] == ['returns & refunds sit in the "later" pile <3 days>']
