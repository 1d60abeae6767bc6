"""A report committed and answered 201, then the process dies before its receipt: the next process
to start sends the receipt and keeps how to reach the reporter; a live sibling's are left to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from adapters.teams.endpoint import TeamsEndpoint
from tests.slack.test_event_crash import Stuck
from tests.teams.connector import OPS, FakeConnector, fixture, in_thread, refs, reports, titles

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
CHAT = "a:1personal-chat-1"  # message_personal's 1:1 chat


@asynccontextmanager
async def serving(services: Any) -> AsyncIterator[TeamsEndpoint]:
    """Another process serving Teams over the same database and data directory, from start to stop."""
    client = TestClient(TestServer(make_web_app(services)))
    await client.start_server()
    try:
        yield client.server.app["teams"]
    finally:
        await client.close()


async def post_only(client: TestClient, activity: dict) -> int:
    """Post an activity and return its status without waiting for the work after the 201."""
    async with client.session.post(client.make_url("/api/messages"), json=activity) as response:
        return response.status


async def die(client: TestClient) -> None:
    """End the process as a kill would: its background work never finishes, its locks go."""
    endpoint: TeamsEndpoint = client.server.app["teams"]
    for task in list(endpoint._tasks):
        task.cancel()
    await asyncio.gather(*list(endpoint._tasks), return_exceptions=True)
    await client.close()
    assert endpoint.owed is not None
    endpoint.owed.close()  # what the kernel does for a process that is gone


def stuck_tagging(services: Any, *, then_fail: bool) -> Stuck:
    stuck = Stuck(services.snag.classifier.classify, then_fail=then_fail)
    services.snag.classifier.classify = stuck
    return stuck


def receipts(connector: FakeConnector) -> list[str]:
    return [t for t in titles(connector) if t.startswith("Thanks, saved as report #")]


async def test_a_receipt_owed_by_a_process_that_died_is_sent_by_the_next_one_once(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    stuck = stuck_tagging(services, then_fail=True)  # the process dies while tagging
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(client)
    stuck.resume.set()
    [report] = reports(services)
    assert connector.calls == [] and refs(services) == []  # no receipt, nothing that reaches Sam
    async with serving(services) as restarted:
        await restarted.drain()
    [receipt] = connector.sent_to(CHAT)
    assert f"Thanks, saved as report #{report.id}." in json.dumps(receipt)
    [ref] = refs(services)  # closing the loop can reach Sam in their 1:1 chat
    assert ref.conversation_id == CHAT and ref.reporter_key == report.reporter_key and not ref.blocked
    assert restarted.references.load(CHAT) is not None
    async with serving(services) as again:  # owed once, sent once
        await again.drain()
    assert len(connector.calls) == 1


async def test_a_channel_reports_owed_receipt_goes_to_the_reporters_1_1_chat(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    stuck = stuck_tagging(services, then_fail=True)
    report_in_channel = in_thread(connector.url, "1700000000010", "the rota lives in a whatsapp group", SAM)
    assert await post_only(client, report_in_channel) == 201
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(client)
    stuck.resume.set()
    async with serving(services) as restarted:
        await restarted.drain()
    [report] = reports(services)
    [opened] = connector.created()  # as the live answer does: not in the channel, everyone reads it
    assert opened["members"] == [{"id": SAM["id"]}]
    assert receipts(connector) == [f"Thanks, saved as report #{report.id}."]
    assert not any(path.startswith(f"/v3/conversations/{OPS}") for path, _ in connector.calls)
    kept = {r.conversation_id: r.reporter_key for r in refs(services)}
    assert kept == {OPS: None, f"user:{SAM['id']}": report.reporter_key}


async def test_a_process_starting_beside_a_live_one_leaves_it_its_receipts(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    stuck = stuck_tagging(services, then_fail=False)  # slow tagging: alive, not dead
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    async with serving(services) as sibling:
        await sibling.drain()
        assert connector.calls == []
    stuck.resume.set()
    await client.server.app["teams"].drain()
    [report] = reports(services)
    assert receipts(connector) == [f"Thanks, saved as report #{report.id}."]
    live = client.server.app["teams"].owed
    assert not any(live.mine.glob("*.json"))  # sent: owed no more


async def test_an_erased_reports_owed_receipt_is_dropped(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    stuck = stuck_tagging(services, then_fail=True)
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(client)
    stuck.resume.set()
    [report] = reports(services)
    sam = services.snag.person("teams", "tenant-a", "aad-user-1")
    services.snag.repository.erase_reporter(person=sam, reporter_key=report.reporter_key)  # `snag erase`, say
    assert reports(services) == []
    async with serving(services) as restarted:
        await restarted.drain()
    assert connector.calls == [] and refs(services) == []
    owed = services.settings.data_dir / "teams-owed"
    assert list(owed.glob("*/*.json")) == []  # dropped, not kept for every later start
