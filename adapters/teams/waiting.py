"""How to reach the reporters of Teams reports that wait in the outbox while the database is down.

An outbox entry keeps the report and who filed it, not how Teams reaches them later (service URL,
Teams user id, the bot's id): that is kept here, one file per report, and put in the database once
the outbox files the report, so its reporter hears back when their pattern changes like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from adapters.teams.references import Reach, References
from bot.core import where
from bot.domain import IncomingMessage
from bot.outbox import write_durably
from bot.ports import Outbox

__all__ = ["WaitingReferences", "WAITING_DIR"]

log = logging.getLogger("snag.teams")
WAITING_DIR = "teams-waiting"  # under the data directory, beside the outbox


class WaitingReferences:
    def __init__(self, directory: Path, references: References, outbox: Outbox | None) -> None:
        self.directory = directory
        self.references = references
        self.outbox = outbox

    def _path(self, event_key: str) -> Path:
        return self.directory / f"{hashlib.blake2b(event_key.encode(), digest_size=16).hexdigest()}.json"

    def keep(self, event_key: str, reaches: Sequence[Reach]) -> None:
        """Keep the references of a report the outbox holds under this delivery key, written durably."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(event_key)
        payload = json.dumps({"event_key": event_key, "reaches": [asdict(r) for r in reaches]}).encode()
        write_durably(path, payload)

    def replayed(self, message: IncomingMessage) -> None:
        """The outbox replay's hook: keep how to reach the reporter of a report it just filed."""
        if message.person.platform == "teams" and message.event_id:
            self._put(self._path(message.event_id))
        if self.outbox is None or self.outbox.depth() == 0:
            self.settle()  # once the outbox is empty: whatever a replay without this hook left

    def settle(self) -> int:
        """Put the references of every report the database has filed, and drop those of reports that
        are neither there nor in the outbox (erased meanwhile); returns how many were settled."""
        paths = sorted(self.directory.glob("*.json"))
        if not paths:
            return 0
        # read after the files were listed: a report kept since is in the outbox, one filed since in the database
        waiting = {entry.message.event_id for entry in self.outbox.pending()} if self.outbox else set()
        settled = 0
        for path in paths:
            kept = _read(path)
            if kept is None or kept[0] in waiting:
                continue
            event_key, reaches = kept
            if reaches and self.references.filed(reaches[0].tenant, event_key):
                self._put(path, reaches)
            else:
                path.unlink(missing_ok=True)
            settled += 1
        return settled

    def settle_quietly(self) -> None:
        """`settle`, for a start-up task: a failure (the database still down) only logs."""
        try:
            if settled := self.settle():
                log.info("settled %d conversation reference(s) of reports filed from the outbox", settled)
        except Exception as exc:
            log.warning("conversation references of outbox reports not settled yet: %s", where(exc))

    def _put(self, path: Path, reaches: Sequence[Reach] | None = None) -> None:
        if reaches is None:
            kept = _read(path)
            if kept is None:
                return
            reaches = kept[1]
        for reach in reaches:
            self.references.put(reach)
        path.unlink(missing_ok=True)


def _read(path: Path) -> tuple[str, list[Reach]] | None:
    """A kept file's delivery key and references; None if it is gone or unreadable (then it is removed)."""
    try:
        data = json.loads(path.read_bytes())
        return str(data["event_key"]), [Reach(**reach) for reach in data["reaches"]]
    except FileNotFoundError:  # put by another process meanwhile
        return None
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable kept conversation reference removed: %s", type(exc).__name__)
        path.unlink(missing_ok=True)
        return None
