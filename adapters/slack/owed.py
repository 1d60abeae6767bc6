"""Receipts promised and not yet posted, so that those of a process that died are still sent.

An event's report is committed and the event claimed before Slack gets its answer; tagging and
the receipt come after (and a slash command's, when tagging takes longer than Slack waits). A
process dying in between (kill, OOM, a redeploy) leaves a stored report whose reporter never
hears of it, and Slack, answered already, sends no retry. So each process writes down each
receipt it owes, in a directory of its own that it keeps locked for as long as it lives, and
deletes it once posted. A lock the kernel released means its process is gone: the next process
to start sends what it owed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

__all__ = ["Owed", "OwedReceipts"]

log = logging.getLogger("snag.slack")
LOCK = ".lock"


@dataclass(frozen=True)
class Owed:
    """Where a report's receipt goes: privately to `user` unless `private` is False (a DM); for a
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


def _read(path: Path) -> Owed:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Owed(**{**data, "notices": tuple(data.get("notices") or ())})


class OwedReceipts:
    """This process's receipts owed, one small JSON file each, beside those of other processes."""

    def __init__(self, directory: Path) -> None:
        self.root = directory
        self.mine = directory / uuid.uuid4().hex
        self.mine.mkdir(mode=0o700, parents=True)
        self._lock: IO[str] | None = (self.mine / LOCK).open("a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # held until close() or the process ends

    def owe(self, owed: Owed) -> Path:
        """Write a receipt down before Slack gets its answer (renamed into place, never half written).

        Not fsynced: it has to outlive the process, not the machine. Readable by Snag's user alone,
        as the outbox is: it says who reported, where and which report.
        """
        path = self.mine / f"{uuid.uuid4().hex}.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(owed)))
        os.replace(tmp, path)
        return path

    def paid(self, path: Path) -> None:
        """The receipt was posted (or Slack refused it for good): nothing is owed any more."""
        path.unlink(missing_ok=True)

    async def settle(self, send: Callable[[Owed], Awaitable[None]]) -> int:
        """Send what processes that are gone owed; returns how many. A failed send stays owed."""
        sent = 0
        for directory in sorted(self.root.iterdir()):
            if directory == self.mine or not directory.is_dir():
                continue
            with _adopted(directory) as adopted:
                if not adopted:
                    continue  # its process is alive and sends its own receipts
                for path in sorted(directory.glob("*.json")):
                    try:
                        owed = _read(path)
                    except (ValueError, TypeError, KeyError):
                        log.warning("dropped an unreadable Slack receipt owed: %s", path.name)
                    else:
                        await send(owed)
                        sent += 1
                    path.unlink()
        return sent

    def close(self) -> None:
        """Stop owing from this process; receipts still owed are sent by the next one to start."""
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            if not any(self.mine.glob("*.json")):
                shutil.rmtree(self.mine)
        self._lock.close()
        self._lock = None


@contextlib.contextmanager
def _adopted(directory: Path) -> Iterator[bool]:
    """Lock a gone process's directory (False while its process lives); removed once emptied."""
    try:
        handle = (directory / LOCK).open("a")
    except FileNotFoundError:  # removed by another process settling it
        yield False
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
        if not any(directory.glob("*.json")):
            shutil.rmtree(directory, ignore_errors=True)
