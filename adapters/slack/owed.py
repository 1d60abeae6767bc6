"""Slack's receipts owed: where each goes, written down by the files and locks of adapters.owed.

An event's report is committed and the event claimed before Slack gets its answer; tagging and
the receipt come after (and a slash command's or the report form's, when tagging takes longer
than Slack waits; always a shortcut's). A
process dying in between leaves a stored report whose reporter never hears of it, and Slack,
answered already, sends no retry: the next process to start posts what it owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adapters import owed as generic

__all__ = ["Owed", "OwedReceipts"]


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
