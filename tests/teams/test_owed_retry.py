"""A receipt the live turn could not send (the Bot Connector failing, then back) is sent again by
the same process after a while, once, without waiting for a restart; what Teams took already is
not sent again, and a shutdown leaves what is still owed to the next start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from adapters.teams.endpoint import TeamsEndpoint
from tests.teams.connector import FakeConnector, fixture, in_thread, refs, reports, titles
from tests.teams.test_owed_receipts import CHAT, SAM, post_only, receipts, serving

QUICK = (0.01, 0.01, 0.01)  # the retry delays (30 s, 2 min, 10 min in service), shortened


def endpoint_of(client, delays: tuple[float, ...] = QUICK) -> TeamsEndpoint:  # type: ignore[no-untyped-def]
    endpoint: TeamsEndpoint = client.server.app["teams"]
    assert endpoint.held is not None
    endpoint.held.delays = delays
    return endpoint


def owed_files(endpoint: TeamsEndpoint) -> list[str]:
    assert endpoint.owed is not None
    return [p.name for p in endpoint.owed.mine.glob("*.json")]


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for the background work to reach a state (drain does not wait for the receipts held)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def delivered(connector: FakeConnector, failed: int) -> list[str]:
    """The first lines of the cards Teams took: those sent after the first `failed` calls (answered 500)."""
    took = FakeConnector()
    took.calls = connector.calls[failed:]
    return titles(took)


async def test_a_receipt_that_failed_is_sent_again_once_when_teams_is_back(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    connector.statuses = [500, 500, 500]  # the receipt, the apology, then the first retry
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: not owed_files(endpoint))
    [report] = reports(services)
    assert delivered(connector, 3) == [f"Thanks, saved as report #{report.id}."]
    assert all(path.startswith(f"/v3/conversations/{CHAT}/") for path, _ in connector.calls)
    [ref] = refs(services)  # closing the loop can reach them later
    assert ref.conversation_id == CHAT and ref.reporter_key == report.reporter_key
    await endpoint.drain()
    async with serving(services) as restarted:  # paid: a restart sends nothing more
        await restarted.drain()
    assert len(connector.calls) == 4


async def test_a_receipt_only_apologised_for_is_still_sent(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    connector.statuses = [500]  # the receipt; the apology goes
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: not owed_files(endpoint) and len(connector.calls) >= 3)
    [report] = reports(services)
    shown = titles(connector)
    assert shown[1].startswith("Sorry, something went wrong on my side")
    assert shown[2:] == [f"Thanks, saved as report #{report.id}."]


async def test_a_receipt_teams_took_before_the_turn_failed_is_not_sent_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    connector.statuses = [200, 200, 500, 500]  # 1:1 chat opened, receipt sent; the channel's note and apology fail
    report_in_channel = in_thread(connector.url, "1700000000010", "the rota lives in a whatsapp group", SAM)
    assert await post_only(client, report_in_channel) == 201
    await until(lambda: len(connector.calls) >= 4)
    await asyncio.sleep(10 * sum(QUICK))  # long enough for every retry, were one waiting
    await endpoint.drain()
    [report] = reports(services)
    assert receipts(connector) == [f"Thanks, saved as report #{report.id}."]
    assert len(connector.calls) == 4 and owed_files(endpoint) == []


async def test_a_receipt_still_failing_stays_owed_for_the_next_start(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    connector.statuses = [500] * 10_000  # the receipt, the apology and every try while this process lives
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: len(connector.calls) >= 5)  # three tries failed, at least
    await endpoint.drain()
    assert len(owed_files(endpoint)) == 1
    await client.close()  # the process stops: its receipts owed go at the next start
    failed = len(connector.calls)
    connector.statuses = []
    async with serving(services) as restarted:
        await restarted.drain()
    [report] = reports(services)
    assert delivered(connector, failed) == [f"Thanks, saved as report #{report.id}."]


async def test_a_shutdown_does_not_wait_for_a_retry_nor_lose_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint_of(client, (3600.0,))
    connector.statuses = [500, 500]
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: len(connector.calls) == 2)
    await asyncio.wait_for(client.close(), 5)  # the retry waiting an hour stops waiting
    assert len(connector.calls) == 2
    async with serving(services) as restarted:
        await restarted.drain()
    [report] = reports(services)
    assert delivered(connector, 2) == [f"Thanks, saved as report #{report.id}."]


async def test_a_receipt_sent_again_is_paid_even_when_its_reference_is_not_kept(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    keep = endpoint.references.put
    failed: list[object] = []

    def put_once_busy(reach):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(reach)
            raise RuntimeError("database is locked")
        keep(reach)

    endpoint.references.put = put_once_busy  # type: ignore[method-assign]
    connector.statuses = [500, 500]  # the receipt and the apology; the first retry goes
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: not owed_files(endpoint))
    await asyncio.sleep(10 * sum(QUICK))  # long enough for every retry, were one waiting
    await endpoint.drain()
    [report] = reports(services)
    assert failed and delivered(connector, 2) == [f"Thanks, saved as report #{report.id}."]
