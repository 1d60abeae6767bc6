"""Slack deliveries already answered, so a retried event is never answered twice."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from store.conversations import first_delivery
from store.db import session_scope

__all__ = ["claim", "HostClaims"]

PLATFORM = "slack"
KEEP_SECONDS = 3600.0  # Slack retries an event three times within about five minutes
PRUNE_EVERY = 60.0


def claim(engine: Engine, event_id: str) -> bool:
    """Take an event for this delivery: True the first time, False for any retry of it.

    A unique row is inserted, so of two deliveries racing each other exactly one wins, even
    while the first is still being tagged. Claim only once the delivery's report is committed:
    a claim outliving a process that died before its commit would silence Slack's retry.
    Raises StoreUnavailable when the database is down.
    """
    with session_scope(engine) as session:
        return first_delivery(session=session, platform=PLATFORM, event_id=event_id[:200])


class HostClaims:
    """Events answered on this host: one empty file per event under the data directory.

    The database's claim holds across replicas but not through a database outage, when a
    report goes to the file outbox and Slack's retry of it would be answered again. Taken
    after the database's claim (or instead of it when the database is down), this one holds
    on this host, for every process sharing the data directory, outage or not: creating a
    file that must not exist lets exactly one delivery win. Files outlive Slack's retries
    by far and are then removed.
    """

    def __init__(self, directory: Path, *, keep: float = KEEP_SECONDS) -> None:
        self.directory = directory
        self.keep = keep
        directory.mkdir(parents=True, exist_ok=True)
        self._pruned = float("-inf")
        self._lock = threading.Lock()

    def take(self, event_id: str) -> bool:
        """True for the first delivery of an event on this host, False for every other one."""
        self._prune()
        path = self.directory / hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def _prune(self) -> None:
        """Remove claims older than `keep`, at most once every PRUNE_EVERY seconds."""
        now = time.time()
        with self._lock:
            if now - self._pruned < PRUNE_EVERY:
                return
            self._pruned = now
        for path in self.directory.iterdir():
            try:
                if path.stat().st_mtime < now - self.keep:
                    path.unlink()
            except FileNotFoundError:  # pruned by another process meanwhile
                continue
