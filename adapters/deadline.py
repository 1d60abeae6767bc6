"""A report committed within a deadline, else kept in the outbox: the platforms' answer never waits
on a database that hangs (Slack gives 3 s, Teams 15 s).

The commit given up on may still end and store the report. Its event key (the platform's delivery
key) keeps the outbox's replay to that one report, `on_late` does what the answer's path would have,
and the recovery loop's sweep tags it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from bot import capture as capturing
from bot.capture import Capture
from bot.core import Snag
from bot.domain import IncomingMessage

__all__ = ["store_within"]


async def store_within(
    pool: ThreadPoolExecutor,
    snag: Snag,
    message: IncomingMessage,
    seconds: float,
    *,
    on_late: Callable[[IncomingMessage, Capture], None] | None = None,
    log: logging.Logger,
) -> Capture:
    """The report committed by a worker of `pool` within `seconds`, else kept in the outbox; a
    commit already under way then calls `on_late(message, capture)` when it ends, if it stored it."""
    storing = pool.submit(snag.store_report, message)
    waiting = asyncio.wrap_future(storing)
    done, _ = await asyncio.wait({waiting}, timeout=seconds)
    if done:
        return storing.result()
    if not storing.cancel() and on_late is not None:  # under way (not queued): it may yet store it
        storing.add_done_callback(partial(_ended, on_late, message))
    waiting.cancel()  # nothing waits for it on the loop any more
    log.warning("the database did not answer within %.0f s: the report waits in the outbox", seconds)
    return await asyncio.to_thread(capturing.keep_in_outbox, snag, message)


Late = Callable[[IncomingMessage, Capture], None]


def _ended(on_late: Late, message: IncomingMessage, storing: Future[Capture]) -> None:
    capture = storing.result()  # store_report never raises
    if capture.stored:
        on_late(message, capture)
