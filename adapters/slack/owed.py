"""Slack's receipts owed: where each goes, written down by the files and locks of adapters.owed.

An event's report is committed and the event claimed before Slack gets its answer; tagging and
the receipt come after (and a slash command's or the report form's, when tagging takes longer
than Slack waits; always a shortcut's). A
process dying in between leaves a stored report whose reporter never hears of it, and Slack,
answered already, sends no retry: the next process to start posts what it owed.

A receipt that could not be posted because Slack could not be reached at all (its Web API down,
or blocked on the way out) is held by the same process (`HeldReceipts`) and posted once Slack
answers again; it stays written down meanwhile, for the next start should this process stop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters import owed as generic
from adapters.slack.client import UNREACHABLE
from bot.errors import StoreUnavailable

__all__ = ["Owed", "OwedReceipts", "HeldReceipts", "HOLD_DELAYS"]

log = logging.getLogger("snag.slack")
WAIT_FOR: tuple[type[BaseException], ...] = (*UNREACHABLE, StoreUnavailable)  # held for the next try
# Seconds before each new try of the receipts held while Slack could not be reached; the last repeats.
HOLD_DELAYS: tuple[float, ...] = (10.0, 30.0, 120.0, 300.0)


@dataclass(frozen=True)
class Owed:
    """Where a report's receipt goes: privately to `user` unless `private` is False (a DM, or
    `channel` is the user's id: their DM with Snag, for a modal gone with its process); for a
    slash command, to its `response_url` (Slack keeps it for 30 minutes), which reaches the person
    wherever they typed it, even where Snag may not post."""

    team: str
    user: str
    channel: str
    report_id: int
    private: bool = True
    thread: str | None = None
    notices: tuple[str, ...] = ()
    response_url: str | None = None


class OwedReceipts(generic.OwedReceipts[Owed]):
    """This process's Slack receipts owed, one small JSON file each, beside those of other processes."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, Owed, platform="Slack")

    def read(self, path: Path) -> Owed:
        """A receipt written down by this process, read back."""
        return self._read(path)


class HeldReceipts:
    """Receipts this process owes and could not post because Slack could not be reached: posted
    again, oldest first, after each of `delays` (the last one repeating) until Slack answers.

    One background loop for them all, one log line per try that fails: a long outage holds many.
    A receipt Slack refuses (an error code) is not held: a later try would fare no better."""

    def __init__(
        self,
        owed: OwedReceipts,
        send: Callable[[Owed], Awaitable[None]],
        *,
        delays: Sequence[float] = HOLD_DELAYS,
    ) -> None:
        self.owed = owed
        self.send = send
        self.delays = tuple(delays)
        self.waiting: list[Path] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def hold(self, path: Path) -> None:
        """Post this receipt owed later, when Slack answers again (stopping: at the next start)."""
        self.waiting.append(path)
        if self._closed:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        for delay in itertools.chain(self.delays, itertools.repeat(self.delays[-1])):
            await asyncio.sleep(delay)
            if await self.post_waiting():
                return

    async def post_waiting(self) -> bool:
        """Try the receipts held, oldest first; True once none is left, False when Slack still
        cannot be reached (the rest wait for the next try)."""
        sent = 0
        while self.waiting:
            path = self.waiting[0]
            try:
                owed = self.owed.read(path)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.warning("dropped a Slack receipt held that cannot be read back: %s", type(exc).__name__)
                self.waiting.pop(0)
                continue
            try:
                await self.send(owed)
            except WAIT_FOR as exc:
                log.warning(
                    "Slack (or the database) still cannot be reached (%s): %d receipt(s) wait",
                    type(exc).__name__,
                    len(self.waiting),
                )
                return False
            except Exception as exc:  # refused, or a bug: a later try would fare no better
                log.warning("a Slack receipt held could not be posted: %s", type(exc).__name__)
            else:
                sent += 1
            self.owed.paid(path)
            self.waiting.pop(0)
        if sent:
            log.info("posted %d receipt(s) held while Slack could not be reached", sent)
        return True

    async def close(self) -> None:
        """Stop trying; what is still held stays written down for the next process to start."""
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
