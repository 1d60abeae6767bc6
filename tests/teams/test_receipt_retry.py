"""One busy or failing answer from the Bot Connector does not lose the receipt: it is sent again."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

import tests.teams.conftest
from tests.teams.connector import FakeConnector, fixture, reports


class BusyConnector(FakeConnector):
    """The fake Bot Connector, whose scripted failures may say how long to wait (Retry-After)."""

    def __init__(self) -> None:
        super().__init__()
        self.retry_after: list[str] = []

    async def _record(self, request: web.Request) -> web.Response | None:
        failed = await super()._record(request)
        if failed is not None and self.retry_after:
            failed.headers["Retry-After"] = self.retry_after.pop(0)
        return failed


@pytest.fixture
def busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tests.teams.conftest, "FakeConnector", BusyConnector)


@pytest.fixture
async def teams(busy, teams):  # type: ignore[no-untyped-def]
    """The app and its fake Bot Connector, one that can say Retry-After."""
    return teams


async def test_a_receipt_answered_429_is_sent_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    connector.statuses = [429, 200]
    response = await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert response.status in (200, 201)
    assert len(reports(services)) == 1
    assert len(connector.calls) == 2  # the 429, then the same receipt again
    assert connector.calls[0][1] == connector.calls[1][1]
    assert "saved as report #1" in json.dumps(connector.cards()[-1])


async def test_a_receipt_waits_as_retry_after_asks_within_a_bound(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    waits: list[float] = []

    async def pause(seconds: float) -> None:  # counted, not slept
        waits.append(seconds)

    client.server.app["teams"].bot.pause = pause
    connector.statuses = [503, 429, 200]
    connector.retry_after = ["2", "3600"]  # the second far past what a reply may wait
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert len(reports(services)) == 1
    assert waits == [2.0, 8.0]  # as asked, then only what is left of the 10 seconds
    assert len(connector.calls) == 3 and "saved as report #1" in json.dumps(connector.cards()[-1])


async def test_a_receipt_refused_403_is_not_sent_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    connector.statuses = [403, 403]  # the receipt, then the apology
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert len(reports(services)) == 1  # stored before anything was sent
    assert len(connector.calls) <= 2
