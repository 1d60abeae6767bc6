"""A durable local outbox: reports wait here, fsynced, while the database is unreachable, and so do
changes to stored reports (a reply added to one, an edit of the message that filed one).

An entry is the message as JSON; a change's entry holds it under "change" too. An entry without
one is a report, as every entry written before changes were kept is."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from bot.domain import CHANGE_KINDS, Change, IncomingMessage, Person, Platform, Role
from bot.ports import OutboxItem

__all__ = ["FileOutbox", "OutboxEntry"]


class OutboxEntry:
    def __init__(self, path: Path, message: IncomingMessage, change: Change | None = None) -> None:
        self.path = path
        self.message = message
        self.change = change

    @property
    def entry_id(self) -> str:
        return self.path.stem


def _encode(message: IncomingMessage, change: Change | None = None) -> dict:
    data = asdict(message)
    data["received_at"] = message.received_at.isoformat() if message.received_at else None
    if change is not None:
        data["change"] = asdict(change)
    return data


def _decode_change(data: dict) -> Change | None:
    """The change an entry holds; None for a report. An unknown kind is unreadable (ValueError)."""
    change = data.get("change")
    if change is None:
        return None
    if change.get("kind") not in CHANGE_KINDS:
        raise ValueError(f"unknown change {change.get('kind')!r}")
    return Change(kind=change["kind"], under=change.get("under"), before=change.get("before"))


def _decode(data: dict) -> IncomingMessage:
    person = data["person"]
    return IncomingMessage(
        person=Person(
            platform=Platform(person["platform"]),
            tenant=person["tenant"],
            user=person["user"],
            role=Role(person.get("role", "staff")),
            tenant_name=person.get("tenant_name"),
        ),
        text=data["text"],
        channel=data["channel"],
        via=data.get("via", "message"),
        event_id=data.get("event_id"),
        frequency=data.get("frequency"),
        customer_facing=data.get("customer_facing"),
        received_at=datetime.fromisoformat(data["received_at"]) if data.get("received_at") else None,
        message_id=data.get("message_id"),
    )


class FileOutbox:
    """One fsynced JSON file per report, named so that sorting gives arrival order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._threads = threading.Lock()
        self._putting = threading.Lock()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held while an entry is filed or a person's entries are erased, by every thread and every
        process sharing this directory (the server, the scheduler, the console), so an erasure never
        falls between reading an entry and filing it."""
        with self._threads, (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _path_of(self, entry: OutboxItem) -> Path:
        return self.directory / f"{entry.entry_id}.json"

    def still_pending(self, entry: OutboxItem) -> bool:
        return self._path_of(entry).exists()

    def put(self, message: IncomingMessage, change: Change | None = None) -> bool:
        """Write the report (or the change to one) durably: temp file, fsync, rename, fsync the
        directory. False when an entry of the same delivery waits here already (a platform's retry,
        or a write that went on past its deadline and failed after the adapter had kept the report):
        kept once, counted once. A change's delivery counts its words too: Teams names each edit of
        a message by the message's own id."""
        payload = json.dumps(_encode(message, change), ensure_ascii=False).encode("utf-8", "surrogatepass")
        if message.event_id is None:
            write_durably(self.directory / f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.json", payload)
            return True
        person = message.person
        delivery = f"{person.platform}\0{person.tenant}\0{message.event_id}"
        if change is not None:
            delivery += f"\0{change.kind}\0{change.under}\0{message.text}"
        key = hashlib.sha256(delivery.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        with self._putting:  # not exclusive(): a filing or an erasure may wait on a hanging database
            if any(self.directory.glob(f"*-{key}.json")):
                return False
            write_durably(self.directory / f"{time.time_ns():020d}-{key}.json", payload)
        return True

    def pending(self) -> Iterator[OutboxEntry]:
        """Entries in arrival order; unreadable files are set aside, never deleted."""
        for path in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
                message, change = _decode(data), _decode_change(data)
            except FileNotFoundError:  # filed or erased by another thread or process meanwhile
                continue
            except (ValueError, KeyError, AttributeError):
                with contextlib.suppress(FileNotFoundError):
                    path.rename(path.with_suffix(".bad"))
                continue
            yield OutboxEntry(path, message, change)

    def done(self, entry: OutboxItem) -> None:
        self._path_of(entry).unlink(missing_ok=True)

    def depth(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json"))


def write_durably(path: Path, payload: bytes) -> None:
    """Write a file that survives a crash whole or not at all: temp file, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.stem}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
