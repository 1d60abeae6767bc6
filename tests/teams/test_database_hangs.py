"""A database that hangs instead of refusing: a Teams report is acknowledged in seconds, kept in the
outbox, and filed once when the commit given up on ends after all.

Before, the 201 waited on the commit for as long as the database hung, past Teams' 15 seconds."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from adapters.teams.waiting import WAITING_DIR
from tests.store.hanging import Slow, until
from tests.teams.connector import fixture, refs, reports, titles

SAVED = "Your report is saved."


async def test_a_report_is_acknowledged_in_seconds_and_filed_once_when_the_commit_ends_late(teams: Any) -> None:
    services, client, connector = teams
    snag = services.snag
    real = snag.repository
    slow = snag.repository = Slow(real)
    client.server.app["teams"].store_within = 0.5
    activity = fixture("message_personal", connector.url)
    try:
        started = time.monotonic()
        response = await client.post("/api/messages", json=activity)
        assert response.status == 201 and time.monotonic() - started < 3
        assert titles(connector)[-1].startswith(SAVED)
        assert snag.outbox.depth() == 1
        slow.go.set()  # the database answers at last: the late commit stores the report
        await until(lambda: len(reports(services)) == 1, 5)
    finally:
        snag.repository = real
    assert await asyncio.to_thread(snag.replay_outbox) == 1  # the same event key: found filed, not filed again
    assert [r.text for r in reports(services)] == [activity["text"]]
    assert snag.outbox.depth() == 0
    # How to reach its reporter, kept beside the outbox entry, is in the database now, not at the next start.
    assert not list((services.settings.data_dir / WAITING_DIR).glob("*.json"))
    assert reports(services)[0].reporter_key in {ref.reporter_key for ref in refs(services)}
