"""A channel Snag was removed from: its digests and alerts are given up at once, not retried five
times, and the error recorded says what brings them back (add Snag again) or stops them (unsubscribe)."""

from __future__ import annotations

import asyncio
import logging
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from digests.alerts import check_alerts
from digests.delivery import DigestSender
from digests.scheduler import RETRY_EVERY
from store.models import Alert, DigestRun, Subscription
from tests.conftest import run_snag
from tests.teams.connector import OPS, fixture, in_thread, refs
from tests.teams.test_channels import ADMIN
from tests.teams.test_private_answers import file_privately

UNSUBSCRIBE = f"snag unsubscribe --platform teams --tenant tenant-a --destination {OPS}"


async def subscribe_then_remove(services, client, connector) -> int:  # type: ignore[no-untyped-def]
    """Snag added to the team, the ops channel subscribed, then Snag removed from the team."""
    install = fixture("installation_update_add", connector.url)
    await client.post("/api/messages", json=install)
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000002", "subscribe all", ADMIN))
    await client.post("/api/messages", json=dict(install, id="f:remove", action="remove"))
    assert OPS not in {r.conversation_id for r in refs(services)}
    with Session(services.engine) as s:
        [sub] = s.exec(select(Subscription)).all()
        assert sub.destination == OPS
        return sub.id  # type: ignore[return-value]


def on_this_loop() -> Any:
    """Run a coroutine on the test's event loop from the sender's thread, as AsyncRunner runs it on its own."""
    loop = asyncio.get_running_loop()
    return lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(30)


async def test_a_digest_to_a_channel_snag_left_is_given_up_at_once(teams, caplog, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    sub = await subscribe_then_remove(services, client, connector)
    connector.calls.clear()
    sender = DigestSender(
        engine=services.engine,
        digests=services.extras["digests"],
        messengers={"teams": services.extras["messengers"]["teams"]},
        runner=on_this_loop(),
        charts=False,
    )
    now = datetime.now(UTC)
    with caplog.at_level(logging.ERROR, logger="snag.digests"):
        assert await asyncio.to_thread(sender.send, sub, now) == "failed"
        assert await asyncio.to_thread(sender.send, sub, now + RETRY_EVERY) == "skipped"  # no attempt 2
    with Session(services.engine) as s:
        [run] = s.exec(select(DigestRun)).all()
    assert (run.status, run.attempts) == ("gave_up", 1)
    assert "add Snag to it again" in (run.error or "") and f"`{UNSUBSCRIBE}`" in (run.error or "")
    assert caplog.text.count("gave up") == 1 and connector.calls == []

    monkeypatch.setattr("digests.cli._services", lambda train=False: services)  # the advice works as written
    code, out, _ = run_snag(monkeypatch, capsys, *shlex.split(UNSUBSCRIBE)[1:])
    assert code == 0 and "Removed 1 subscription(s)." in out


async def test_an_alert_to_a_channel_snag_left_is_tried_once(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await subscribe_then_remove(services, client, connector)
    for n in range(3):  # three people report the same: a pattern that crosses the threshold
        await file_privately(client, connector.url, {"id": f"29:1r{n}", "aadObjectId": f"aad-r{n}"}, n)
    messengers = {"teams": services.extras["messengers"]["teams"]}
    start = datetime.now(UTC)
    for minute in range(40):  # alerts back off 2, 4, 8, 16 minutes: five tries within 30 minutes
        now = start + timedelta(minutes=minute)
        await asyncio.to_thread(
            check_alerts,
            engine=services.engine,
            taxonomy=services.taxonomy,
            messengers=messengers,
            run_async=on_this_loop(),
            now=now,
            threshold=3,
            k=3,
        )
    with Session(services.engine) as s:
        alerts = s.exec(select(Alert)).all()
    assert alerts and {(a.status, a.attempts) for a in alerts} == {("gave_up", 1)}  # one a day, if it turned
    assert OPS not in {path for path, _ in connector.calls}
