"""Slack's receipts owed: where each goes, written down by the files and locks of adapters.owed.

An event's report is committed and the event claimed before Slack gets its answer; tagging and
the receipt come after (and a slash command's or the report form's, when tagging takes longer
than Slack waits; always a shortcut's). A
process dying in between leaves a stored report whose reporter never hears of it, and Slack,
answered already, sends no retry: the next process to start posts what it owed.

A receipt that could not be posted because Slack could not be reached at all (its Web API down,
or blocked on the way out) is held by the same process (`HeldReceipts`, the loop adapters.owed keeps for
Slack and Teams alike) and posted once Slack answers again; it stays written down meanwhile, for the
next start should this process stop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters import owed as generic
from adapters.slack.client import UNREACHABLE
from bot.errors import StoreUnavailable

__all__ = ["Owed", "OwedReceipts", "HeldReceipts", "HOLD_DELAYS"]

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


class HeldReceipts(generic.HeldReceipts[Owed]):
    """Slack receipts held while Slack (or the database) cannot be reached, posted once it answers
    again. A receipt Slack refuses (an error code) is not held: a later try would fare no better."""

    def __init__(
        self, owed: OwedReceipts, send: Callable[[Owed], Awaitable[None]], *, delays: Sequence[float] = HOLD_DELAYS
    ) -> None:
        super().__init__(owed, send, delays=delays, wait_for=WAIT_FOR)
