"""Teams: a report made where others see who wrote it (a channel @mention, "Report as friction" on
a message) is stored as shared, so leaders never get its words as a quote; a 1:1 chat's is not."""

from __future__ import annotations

from tests.teams.connector import fixture, in_thread, reports
from tests.teams.test_extension import invoke

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}


async def test_channel_mentions_and_the_message_extension_are_stored_as_shared(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    mention = in_thread(connector.url, "1700000000003", "the scanner app logs us out every hour", SAM)
    await client.post("/api/messages", json=mention)
    await invoke(client, connector.url, "f:me-1", {"note": ""})
    stored = {r.text.split()[0]: r.shared for r in reports(services)}
    assert stored == {"refund": False, "the": True, "we": True}
