"""Receipts promised and not yet sent, so that those of a process that died are still sent.

A report is committed and the platform answered before tagging and the receipt, which come after
in the background. A process dying in between (kill, OOM, a redeploy) leaves a stored report
whose reporter never hears of it, and the platform, answered already, sends no retry. So each
process writes down each receipt it owes, in a directory of its own that it keeps locked for as
long as it lives, and deletes it once sent. A lock the kernel released means its process is gone:
the next process to start sends what it owed. Slack and Teams each say what a receipt needs (a
frozen dataclass of plain values); the files and locks are this module's.
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
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

__all__ = ["OwedReceipts"]

log = logging.getLogger("snag")
LOCK = ".lock"
T = TypeVar("T")


class OwedReceipts(Generic[T]):
    """This process's receipts owed, one small JSON file each, beside those of other processes.

    `kind` is the dataclass a receipt owed is written from and read back as; a tuple in it comes
    back as a tuple (JSON keeps a list)."""

    def __init__(self, directory: Path, kind: Callable[..., T], *, platform: str) -> None:
        self.root = directory
        self.kind = kind
        self.platform = platform  # named in the log
        self.mine = directory / uuid.uuid4().hex
        self.mine.mkdir(mode=0o700, parents=True)
        self._lock: IO[str] | None = (self.mine / LOCK).open("a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # held until close() or the process ends

    def owe(self, owed: T) -> Path:
        """Write a receipt down before the platform gets its answer (renamed into place, never half written).

        Not fsynced: it has to outlive the process, not the machine. Readable by Snag's user alone,
        as the outbox is: it says who reported, where and which report.
        """
        path = self.mine / f"{uuid.uuid4().hex}.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(owed)))  # type: ignore[call-overload]  # T is a dataclass
        os.replace(tmp, path)
        return path

    def try_owe(self, owed: T) -> Path | None:
        """`owe`, or None when the disk fails: the receipt is still sent, only a crash before it would lose it."""
        try:
            return self.owe(owed)  # a small file written and renamed, not fsynced: no thread needed
        except OSError as exc:
            log.warning("cannot write down a %s receipt owed: %s", self.platform, type(exc).__name__)
            return None

    def paid(self, path: Path | None) -> None:
        """The receipt was sent (or refused for good): nothing is owed any more (None: nothing was written)."""
        if path is not None:
            path.unlink(missing_ok=True)

    def _read(self, path: Path) -> T:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return self.kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    async def settle(self, send: Callable[[T], Awaitable[None]]) -> int:
        """Send what processes that are gone owed; returns how many. A failed send stays owed, and
        the rest are still sent (one conversation answering 502 held back every other receipt)."""
        sent = 0
        for directory in sorted(self.root.iterdir()):
            if directory == self.mine or not directory.is_dir():
                continue
            with _adopted(directory) as adopted:
                if not adopted:
                    continue  # its process is alive and sends its own receipts
                for path in sorted(directory.glob("*.json")):
                    try:
                        owed = self._read(path)
                    except (ValueError, TypeError, KeyError, AttributeError):
                        log.warning("dropped an unreadable %s receipt owed: %s", self.platform, path.name)
                    else:
                        try:
                            await send(owed)
                        except Exception as exc:  # kept for the next start; the others still go now
                            log.warning("a %s receipt owed stays owed: %s", self.platform, type(exc).__name__)
                            continue
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
