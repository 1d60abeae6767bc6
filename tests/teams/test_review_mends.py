"""A turn that fails once its report is stored says so (retyping it would file it twice); receipts the
live turn could not send wait in one loop, not one task each; Teams' Retry-After is obeyed within a bound."""

from __future__ import annotations

import asyncio
import logging

import pytest

import tests.teams.conftest
from bot.domain import Reply
from tests.teams.connector import fixture, in_thread, reports, titles
from tests.teams.test_owed_receipts import SAM, post_only, receipts, serving
from tests.teams.test_owed_retry import delivered, endpoint_of, owed_files, until
from tests.teams.test_receipt_retry import BusyConnector

RECEIPT_FOLLOWS = "Sorry, something went wrong on my side, but your report is saved: its receipt will follow."
SAVED = "Sorry, something went wrong on my side, but your report is saved: no need to send it again."


async def test_a_stored_report_whose_receipt_failed_is_not_to_be_sent_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    endpoint = endpoint_of(client)
    connector.statuses = [500]  # the receipt; the apology goes
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    await until(lambda: not owed_files(endpoint) and len(connector.calls) >= 3)
    [report] = reports(services)
    assert titles(connector)[1:] == [RECEIPT_FOLLOWS, f"Thanks, saved as report #{report.id}."]


async def test_a_channel_report_whose_receipt_went_is_not_to_be_sent_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    connector.statuses = [200, 200, 500]  # 1:1 chat opened, receipt sent there; the channel's note fails
    report_in_channel = in_thread(connector.url, "1700000000010", "the rota lives in a whatsapp group", SAM)
    assert await post_only(client, report_in_channel) == 201
    await until(lambda: len(connector.calls) >= 4)
    await client.server.app["teams"].drain()
    [report] = reports(services)
    assert receipts(connector) == [f"Thanks, saved as report #{report.id}."]
    assert titles(connector)[-1] == SAVED


async def test_a_turn_that_stored_nothing_still_asks_to_try_again(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    connector.statuses = [500]  # the answer to `help`; the apology goes
    await client.post("/api/messages", json=fixture("message_personal", connector.url, text="help"))
    assert titles(connector)[-1] == "Sorry, something went wrong on my side. Please try again in a minute."


async def test_receipts_held_through_an_outage_are_tried_in_one_loop(teams, caplog) -> None:  # type: ignore[no-untyped-def]
    """One task per receipt tried every receipt at every retry, each with its own warning."""
    services, client, connector = teams
    endpoint = endpoint_of(client, (0.3, 3600.0))
    connector.statuses = [500] * 100  # Teams failing throughout
    second = fixture("message_personal", connector.url, id="1700000000002", text="the label printer jams every hour")
    with caplog.at_level(logging.WARNING, logger="snag"):
        assert await post_only(client, fixture("message_personal", connector.url)) == 201
        assert await post_only(client, second) == 201
        await until(lambda: len(connector.calls) >= 5)  # both receipts and apologies, then one try
        await asyncio.sleep(0.5)
    assert len(connector.calls) == 5, "the first receipt failed again: the other waits for the next try"
    assert len(owed_files(endpoint)) == 2
    assert caplog.text.count("2 receipt(s) wait") == 1
    await client.close()
    connector.statuses = []
    async with serving(services) as restarted:
        await restarted.drain()
    sent = sorted(delivered(connector, 5))  # each once, at the next start
    assert sent == [f"Thanks, saved as report #{r.id}." for r in reports(services)]


@pytest.fixture
def busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tests.teams.conftest, "FakeConnector", BusyConnector)


async def test_a_proactive_message_waits_no_longer_than_a_bound_when_teams_asks_for_an_hour(busy, teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("installation_update_add", connector.url))
    messenger = services.extras["messengers"]["teams"]
    waits: list[float] = []

    async def pause(seconds: float) -> None:  # counted, not slept
        waits.append(seconds)

    messenger.pause = pause
    connector.calls.clear()
    connector.statuses, connector.retry_after = [429, 200], ["3600"]
    digest = Reply(kind="text", title="Weekly digest")
    await messenger.send(platform="teams", tenant="tenant-a", destination="19:channel-leads@thread.tacv2", reply=digest)
    assert waits == [30.0] and len(connector.calls) == 2
