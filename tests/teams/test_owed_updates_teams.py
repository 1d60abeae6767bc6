"""Closing the loop in Teams when the Bot Connector fails once: the reporter still hears, once.

Found by driving Teams through a fake Bot Connector: the update to a reporter that the connector
answered 500 was logged "not delivered" and never sent; the manager was told it was."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from adapters.messengers import build_messengers
from digests.owed_updates import send_owed_updates
from tests.teams.connector import fixture, in_thread, reports, titles

REPORTER = {"id": "29:1user-nine", "name": "Other Person", "aadObjectId": "aad-user-9"}
MANAGER = {"id": "29:1user-two", "aadObjectId": "aad-user-2"}
CHAT = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-9"}


async def test_an_update_the_connector_refused_is_sent_when_tried_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post(
        "/api/messages", json=fixture("message_personal", connector.url, conversation=CHAT, **{"from": REPORTER})
    )
    [report] = reports(services)
    assert len(connector.sent_to(CHAT["id"])) == 1  # the receipt
    connector.statuses = [500]  # the next call: the update to the reporter

    status = in_thread(connector.url, "1700000000020", f"status {report.pattern_id} resolved", MANAGER)
    await client.post("/api/messages", json=status)

    assert titles(connector)[-2].endswith("Nobody was told yet: fewer than 3 will be told when their platform answers.")
    assert len(connector.sent_to(CHAT["id"])) == 2  # the receipt, and the update refused
    step = {
        "messengers": build_messengers(services),
        "run_async": services.extras["async_runner"].run,
        "taxonomy": services.taxonomy,
    }
    soon = datetime.now(UTC) + timedelta(minutes=3)
    assert await asyncio.to_thread(send_owed_updates, services.engine, now=soon, **step) == 1
    assert await asyncio.to_thread(send_owed_updates, services.engine, now=soon + timedelta(hours=3), **step) == 0
    receipt, refused, update = connector.sent_to(CHAT["id"])
    assert refused["attachments"] == update["attachments"]  # the same update, sent this time
    assert f"An update on your report #{report.id}" in json.dumps(update) and "resolved" in json.dumps(update)
