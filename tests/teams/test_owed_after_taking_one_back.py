"""An update owed survives a reporter taking back one of their reports while another stays in the
pattern: it is then about the report left, and still sent. Real aiohttp endpoint, fake connector.

Found by driving Teams: the reporter's chat answered 500 when the pattern was resolved, then they
erased one of their two reports in it; the update owed was deleted with that report, so they never
heard that their other report's problem was resolved, and `status` again said nobody was told again."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from adapters.messengers import build_messengers
from digests.owed_updates import send_owed_updates
from store.models import OwedUpdate
from tests.teams.connector import fixture, in_thread, reports, titles

REPORTER = {"id": "29:1user-nine", "name": "Other Person", "aadObjectId": "aad-user-9"}
MANAGER = {"id": "29:1user-two", "aadObjectId": "aad-user-2"}
CHAT = {"conversationType": "personal", "tenantId": "tenant-a", "id": "a:1personal-chat-9"}
SAID = "refund requests sit in the finance inbox for a week before anyone looks"


def said(url: str, n: int, text: str) -> dict:
    return fixture(
        "message_personal", url, id=f"17000000001{n:02d}", text=text, conversation=CHAT, **{"from": REPORTER}
    )


def owed(services) -> list[OwedUpdate]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as session:
        return list(session.exec(select(OwedUpdate)).all())


def updates(connector) -> list[str]:  # type: ignore[no-untyped-def]
    sent = [json.dumps(body, ensure_ascii=False) for body in connector.sent_to(CHAT["id"])]
    return [body for body in sent if "An update on your report" in body]


async def retry(services, minutes: int) -> int:  # type: ignore[no-untyped-def]
    step = {
        "messengers": build_messengers(services),
        "run_async": services.extras["async_runner"].run,
        "taxonomy": services.taxonomy,
    }
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    return await asyncio.to_thread(send_owed_updates, services.engine, now=later, **step)


async def test_taking_back_one_report_keeps_the_update_owed_about_the_other(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=said(connector.url, 1, SAID))
    await client.post("/api/messages", json=said(connector.url, 2, SAID + " again"))
    first, second = reports(services)
    assert first.pattern_id == second.pattern_id is not None
    connector.statuses = [500]  # the next call: the update to the reporter

    status = in_thread(connector.url, "1700000000120", f"status {first.pattern_id} resolved", MANAGER)
    await client.post("/api/messages", json=status)
    [row] = owed(services)
    assert row.report_id == second.id  # their newest report in the pattern

    await client.post("/api/messages", json=said(connector.url, 3, f"erase {second.id}"))

    assert titles(connector)[-1].startswith(f"Erased your report #{second.id}")
    [row] = owed(services)
    assert row.report_id == first.id, "the update owed is now about the report they kept"
    assert await retry(services, 3) == 1
    assert owed(services) == [] and await retry(services, 30) == 0
    refused, update = updates(connector)
    assert f"An update on your report #{first.id}" in update and f"“{SAID}”" in update and "resolved" in update
    assert f"#{second.id}" not in update and f"{SAID} again" not in update


async def test_taking_back_every_report_in_the_pattern_drops_the_update_owed(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=said(connector.url, 1, SAID))
    await client.post("/api/messages", json=said(connector.url, 2, SAID + " again"))
    first, second = reports(services)
    connector.statuses = [500]
    status = in_thread(connector.url, "1700000000121", f"status {first.pattern_id} resolved", MANAGER)
    await client.post("/api/messages", json=status)
    assert len(owed(services)) == 1

    await client.post("/api/messages", json=said(connector.url, 3, f"erase {second.id}"))
    await client.post("/api/messages", json=said(connector.url, 4, f"erase {first.id}"))

    assert owed(services) == [] and await retry(services, 3) == 0
    assert len(updates(connector)) == 1  # only the one refused when the pattern changed
