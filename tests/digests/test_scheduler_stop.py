"""Stopping the scheduler (SIGTERM) while it catches up at start: the digest being sent is finished and recorded."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Iterator

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlmodel import select

from store.db import session_scope
from store.models import DigestRun
from tests.digests.conftest import NOW, RecordingMessenger, console_scheduler, subscribe_console

MONDAY_10 = NOW.replace(day=23, hour=10)  # the 09:00 digest was missed while down: the start-up catch-up sends it


class SlowMessenger(RecordingMessenger):
    """Posts, says so, then takes a while longer (the rest of a long digest, its charts)."""

    def __init__(self) -> None:
        super().__init__()
        self.posted = threading.Event()

    async def send(self, **kwargs) -> None:  # type: ignore[no-untyped-def,override]
        await super().send(**kwargs)
        self.posted.set()
        await asyncio.sleep(0.5)


def _runs(services) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return [(r.status, r.attempts) for r in session.exec(select(DigestRun)).all()]


@pytest.fixture
def on_sigterm() -> Iterator[Callable[[Callable[[int, object], None]], None]]:
    """Install a SIGTERM handler for the test; the previous one comes back after."""
    previous = signal.getsignal(signal.SIGTERM)
    yield lambda handler: signal.signal(signal.SIGTERM, handler)  # type: ignore[func-returns-value]
    signal.signal(signal.SIGTERM, previous)


def _sigterm_when(event: threading.Event) -> None:
    def kill() -> None:
        if event.wait(30):
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=kill, daemon=True).start()


def test_sigterm_during_the_start_up_catch_up_lets_the_digest_finish(demo_services, on_sigterm) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    subscribe_console(demo_services, "C2")
    messenger = SlowMessenger()
    runner = console_scheduler(demo_services, messenger, MONDAY_10, BlockingScheduler(timezone="UTC"))
    on_sigterm(lambda _signum, _frame: runner.stop())  # what `snag scheduler` installs
    _sigterm_when(messenger.posted)
    runner.start()  # returns once stopped
    assert not runner.scheduler.running
    assert [m[2] for m in messenger.sent] == ["C1"], "C2's digest waits for the next start"
    assert _runs(demo_services) == [("sent", 1)]


def test_an_interrupt_during_the_start_up_catch_up_never_cuts_a_send(demo_services, on_sigterm) -> None:  # type: ignore[no-untyped-def]
    """The catch-up runs in the scheduler's threads: an exception raised in the main thread cannot cut it."""
    subscribe_console(demo_services, "C1")
    messenger = SlowMessenger()
    runner = console_scheduler(demo_services, messenger, MONDAY_10, BlockingScheduler(timezone="UTC"))

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    on_sigterm(interrupt)
    _sigterm_when(messenger.posted)
    with pytest.raises(KeyboardInterrupt):
        runner.start()
    runner.scheduler.shutdown(wait=True)
    assert len(messenger.sent) == 1
    assert _runs(demo_services) == [("sent", 1)]


def test_a_scheduler_stopped_before_it_starts_sends_nothing(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    messenger = RecordingMessenger()
    runner = console_scheduler(demo_services, messenger, MONDAY_10, BlockingScheduler(timezone="UTC"))
    runner.stop()
    thread = threading.Thread(target=runner.start, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and not runner.scheduler.running
    assert messenger.sent == [] and _runs(demo_services) == []
