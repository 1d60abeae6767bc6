"""Following the taxonomy file while Snag runs: a changed file is read again, as an admin's `reload` reads it.

Every long-running process (`snag serve`, `snag chat`, `snag scheduler`) holds the taxonomy it read
at start; an edit of the file reached only the process an admin's `reload` ran in. Each process now
looks at the file (its size, time and, when those changed, its bytes) before the work that uses the
taxonomy; on the message path at most every CHECK_EVERY seconds, reading a changed file in the
background (`notice`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import SnagError
from bot.logs import where

__all__ = ["CHECK_EVERY", "FileSeen", "TaxonomyWatch", "file_seen"]

log = logging.getLogger("snag.taxonomy")
CHECK_EVERY = 5.0  # seconds between two looks at the file on the message path (a stat each)


@dataclass(frozen=True)
class FileSeen:
    """What the file was when last read: its size and time, and a digest of its bytes."""

    stat: tuple[int, int, int] | None  # (mtime_ns, size, inode); None when it could not be read
    digest: str = ""


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def file_seen(path: Path) -> FileSeen:
    """The file as it is now."""
    return FileSeen(_stat(path), _digest(path))


class TaxonomyWatch:
    """Reads the taxonomy again (`reload`, which checks it as at start) when its file changed."""

    def __init__(
        self,
        path: Callable[[], Path],
        reload: Callable[[], object],
        *,
        seen: FileSeen,
        every: float = CHECK_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path  # the file the settings name now
        self.reload = reload
        self.seen = seen
        self.every = every
        self.clock = clock
        self._checked = clock()
        self._lock = threading.Lock()

    def check(self, *, now: bool = False) -> bool:
        """Reload when the file changed since it was last read (True if it was); unless `now`, at
        most every `every` seconds. A file that fails its checks is logged, once, as an ERROR naming
        its line, and the taxonomy in use stays. Never raises."""
        clock = self.clock()
        if not now and clock - self._checked < self.every:
            return False
        if not self._lock.acquire(blocking=False):  # another thread is looking, or reloading
            return False
        try:
            self._checked = clock
            return self._follow()
        finally:
            self._lock.release()

    def notice(self) -> None:
        """On the request path: a look at the file at most every `every` seconds (a stat), and a
        changed file read again in a background thread. Reading it, redacting stored titles and
        checking stored labels again take longer than an ack to Slack may (3 s)."""
        clock = self.clock()
        if clock - self._checked < self.every:
            return
        self._checked = clock
        if _stat(self.path()) != self.seen.stat:
            threading.Thread(target=self.check, kwargs={"now": True}, name="snag-taxonomy", daemon=True).start()

    def _follow(self) -> bool:
        path = self.path()
        stat = _stat(path)
        if stat == self.seen.stat:
            return False
        found = FileSeen(stat, _digest(path))
        if found.digest == self.seen.digest:  # touched, or saved unchanged
            self.seen = found
            return False
        self.seen = found  # a file that fails is told once, not at every look
        try:
            self.reload()
        except SnagError as exc:
            log.error("The taxonomy file changed but was not loaded; Snag keeps the taxonomy it had. %s", exc.message)
            return False
        except Exception as exc:
            log.error("The taxonomy file changed but was not loaded; Snag keeps the taxonomy it had: %s", where(exc))
            return False
        log.info("taxonomy reloaded from %s: the file changed", path)
        return True
