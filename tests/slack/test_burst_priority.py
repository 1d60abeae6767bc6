"""In a burst, acknowledgements come first: tagging and queries wait while requests that arrived
are still to be committed (Python runs one thread at a time, and tagging took the event loop's
turn: acknowledgements came past Slack's 3 s)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from adapters.slack import runtime as runtime_module
from tests.slack.conftest import SlackDriver, fixture


async def _arriving(rt, entered: asyncio.Event, leave: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    with rt.arrived():
        entered.set()
        await leave.wait()


async def test_work_waits_while_a_request_is_still_to_be_committed(slack: SlackDriver) -> None:
    rt = slack.runtime
    entered, leave, ran = asyncio.Event(), asyncio.Event(), threading.Event()
    request = asyncio.ensure_future(_arriving(rt, entered, leave))
    await entered.wait()
    work = rt.start(ran.set)
    await asyncio.sleep(0.3)
    assert not ran.is_set() and rt.arriving == 1
    leave.set()
    await request
    await asyncio.wait_for(work, 2)
    assert ran.is_set() and rt.arriving == 0


async def test_work_waits_at_most_a_while_under_endless_arrivals(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "YIELD_AT_MOST", 0.2)
    rt = slack.runtime
    entered, leave, ran = asyncio.Event(), asyncio.Event(), threading.Event()
    request = asyncio.ensure_future(_arriving(rt, entered, leave))
    await entered.wait()
    await asyncio.wait_for(rt.start(ran.set), 2)
    assert ran.is_set() and rt.arriving == 1
    leave.set()
    await request


async def test_a_lone_slash_command_still_gets_its_receipt_in_the_answer(slack: SlackDriver) -> None:
    """Its own arrival ends with its commit: it never waits for itself."""
    status, body = await slack.command(fixture("slash_command"))
    assert status == 200 and "saved as report #" in body
    assert slack.runtime.arriving == 0


async def test_a_request_held_up_by_a_slow_call_stops_counting_after_a_moment(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One request waiting 30 s on Slack (views.open, a user-group lookup) is no burst: every
    receipt waited its full 2 s behind it, one job a second through the pool."""
    monkeypatch.setattr(runtime_module, "ARRIVING_FOR", 0.2)
    rt = slack.runtime
    entered, leave = asyncio.Event(), asyncio.Event()
    request = asyncio.ensure_future(_arriving(rt, entered, leave))
    await entered.wait()
    await asyncio.sleep(0.25)
    assert rt.arriving == 0
    done = [rt.start(threading.Event().set) for _ in range(6)]
    await asyncio.wait_for(asyncio.gather(*done), 1.0)  # not 6 x 2 s
    leave.set()
    await request
