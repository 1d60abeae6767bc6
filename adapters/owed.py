"""Receipts promised and not yet sent, so that those of a process that died are still sent.

A report is committed and the platform answered before tagging and the receipt, which come after
in the background. A process dying in between (kill, OOM, a redeploy) leaves a stored report
whose reporter never hears of it, and the platform, answered already, sends no retry. So each
process writes down each receipt it owes, in a directory of its own that it keeps locked for as
long as it lives, and deletes it once sent. A lock the kernel released means its process is gone:
the next process to start sends what it owed. Slack and Teams each say what a receipt needs (a
frozen dataclass of plain values); the files and locks are this module's.

A receipt the live turn could not send (the platform failing, then back) is held by the same process
(`HeldReceipts`) and sent once the platform answers again; it stays written down meanwhile, for the
next start should this process stop first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import logging
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from bot.logs import where

__all__ = ["OwedReceipts", "HeldReceipts"]

log = logging.getLogger("snag")
LOCK = ".lock"
CLOSE_GRACE = 5.0  # seconds a try under way may take to finish when the process stops
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

    def read(self, path: Path) -> T:
        """A receipt written down, read back (ValueError, TypeError or KeyError when it is not one)."""
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
                        owed = self.read(path)
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


class HeldReceipts(Generic[T]):
    """Receipts this process owes and could not send: sent again, oldest first, after each of
    `delays` (the last one repeating) until the platform takes them.

    One background loop for them all, one log line per try that fails: an outage holds many, and a
    task each would try them all at once, each with its own warnings. A try stops at the first send
    failing with one of `wait_for` (the platform or the database still down); that receipt goes to
    the back, so one conversation that keeps failing holds back the others for one try at most.
    Any other failure means a later try would fare no better: the receipt is dropped as paid."""

    def __init__(
        self,
        owed: OwedReceipts[T],
        send: Callable[[T], Awaitable[None]],
        *,
        delays: Sequence[float],
        wait_for: tuple[type[BaseException], ...],
    ) -> None:
        self.owed = owed
        self.send = send
        self.delays = tuple(delays)
        self.wait_for = wait_for
        self.grace = CLOSE_GRACE
        self.waiting: list[Path] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    def hold(self, path: Path) -> None:
        """Send this receipt owed later, when the platform answers again (stopping: at the next start)."""
        self.waiting.append(path)
        if self._closing.is_set():
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        for delay in itertools.chain(self.delays, itertools.repeat(self.delays[-1])):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            if self._closing.is_set() or await self.send_waiting():
                return

    async def send_waiting(self) -> bool:
        """Try the receipts held, oldest first; True once none is left, False when one still fails
        (it and the rest wait for the next try) or the process is stopping."""
        platform, sent = self.owed.platform, 0
        while self.waiting and not self._closing.is_set():
            path = self.waiting[0]
            try:
                owed = self.owed.read(path)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.warning("dropped a %s receipt held that cannot be read back: %s", platform, type(exc).__name__)
                self.waiting.pop(0)
                continue
            try:
                await self.send(owed)
            except self.wait_for as exc:
                self.waiting.append(self.waiting.pop(0))
                log.warning(
                    "%s (or the database) still cannot be reached (%s): %d receipt(s) wait",
                    platform,
                    where(exc),
                    len(self.waiting),
                )
                return False
            except Exception as exc:  # refused, or a bug: a later try would fare no better
                log.warning("a %s receipt held could not be sent: %s", platform, where(exc))
            else:
                sent += 1
            self.owed.paid(path)
            self.waiting.pop(0)
        if sent:
            log.info("posted %d receipt(s) held while %s could not be reached", sent, platform)
        return not self.waiting

    async def close(self) -> None:
        """Stop trying; what is still held stays written down for the next process to start.

        A try under way gets `grace` seconds to finish: what the platform took is then paid, not
        sent a second time by the next start."""
        self._closing.set()
        task = self._task
        if task is None or task.done():
            return
        await asyncio.wait({task}, timeout=self.grace)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


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
