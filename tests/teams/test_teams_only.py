"""/api/messages answers Microsoft Teams only (and the Emulator in development).

An Azure bot may have other channels on: Web Chat is on by default, and a Web Chat or Direct
Line client sets `from` itself, so it could claim an admin's AAD object id. Its activities carry
a valid Bot Framework token all the same, so the channel is checked after the token.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.teams.connector import fixture, reports
from tests.teams.test_signing_keys import PARTIES, SERVICE_URL, bearer, keys_app  # noqa: F401 (a fixture)

ADMIN_CLAIMED = {**PARTIES, "from": {"id": "29:1anyone", "aadObjectId": "aad-admin"}}


def message(channel: str, text: str = "the scanner app logs us out every hour", **changes: Any) -> dict:
    return {
        "type": "message",
        "id": f"{channel}-1",
        "channelId": channel,
        "serviceUrl": SERVICE_URL,
        "text": text,
        **ADMIN_CLAIMED,
        **changes,
    }


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator", ""])
async def test_an_authenticated_activity_from_another_channel_is_refused(
    keys_app: Any,  # noqa: F811 (the fixture imported above)
    caplog: pytest.LogCaptureFixture,
    channel: str,
) -> None:
    client, keys = keys_app
    private = keys.publish("key-all")
    keys.published[-1]["endorsements"] = ["msteams", "webchat", "directline", "emulator"]
    caplog.set_level(logging.INFO)
    response = await client.post("/api/messages", json=message(channel), headers=bearer(private, "key-all"))
    assert response.status == 403
    assert (await response.json()) == {"error": "Snag answers Microsoft Teams only."}
    assert any("not Microsoft Teams" in r.getMessage() for r in caplog.records)
    services = client.app["services"]
    assert reports(services) == []
    typing = {"type": "typing", "id": "t-ok", "channelId": "msteams", "serviceUrl": SERVICE_URL, **PARTIES}
    assert (await client.post("/api/messages", json=typing, headers=bearer(private, "key-all"))).status == 201


async def test_in_development_the_emulator_is_answered_and_web_chat_is_not(teams: Any) -> None:
    services, client, connector = teams
    emulator = fixture("message_personal", connector.url, channelId="emulator")
    assert (await client.post("/api/messages", json=emulator)).status == 201
    webchat = fixture("message_personal", connector.url, channelId="webchat", id="webchat-1")
    response = await client.post("/api/messages", json=webchat)
    assert response.status == 403
    assert len(reports(services)) == 1
