"""Rows sent once by whoever holds their lease: the mechanism digest runs and alerts share.

A leased row stands for one thing to send once: a digest for an audience and period, an alert for
a pattern, audience and day (the table's unique key makes it one). The sender that inserts the
row holds it for attempt 1. An existing row is taken over, for one more attempt, when its last
attempt failed and its back-off has passed, or when it is still held after the lease ran out (its
sender died mid-send). It is given up after the last attempt, or at once when retrying cannot help.

Every takeover is one compare-and-set on the status and attempt count it read, so of two replicas
one wins; and a sender's word (its outcome, its progress) counts only while its attempt still
holds the row, so a sender that wakes up after being taken over changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Update, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

__all__ = ["LEASE", "Claim", "Lease", "Leased"]

LEASE = timedelta(minutes=30)  # a row still held this long after its attempt began lost its sender

Key = Sequence[ColumnElement[bool]]


class Leased(Protocol):
    """A row a lease applies to: its status and the attempts counted so far."""

    status: str  # the lease's `held` status, then sent | failed | gave_up
    attempts: int


Row = TypeVar("Row", bound=Leased)


@dataclass(frozen=True)
class Claim:
    """What claiming a row came to: the attempt now held (None: not this time), and whether the row
    was given up by this claim (its sender died on the last attempt)."""

    attempt: int | None
    gave_up: bool = False


@dataclass(frozen=True, kw_only=True)
class Lease(Generic[Row]):
    """How the rows of one table are held, tried again and given up."""

    model: type[Row]
    held: str  # the status while an attempt holds the row
    max_attempts: int  # attempts before the row is given up
    began: Callable[[Row], datetime]  # when the row's latest attempt began: its lease and back-off run from here
    backoff: timedelta = timedelta(0)  # after attempt n fails, the next waits backoff * 2**n (0: the next claim)
    duration: timedelta = LEASE

    def claim(
        self, session: Session, row: Row, key: Key, now: datetime, *, retry: Mapping[str, Any], died: Mapping[str, Any]
    ) -> Claim:
        """Insert `row` (attempt 1), or take the existing row under `key` over if it is due.

        `retry` are the columns a new attempt sets besides status and attempts; `died` those set
        when the row is given up because its sender died on the last attempt."""
        if _inserted(session, row):
            return Claim(1)
        found = session.exec(select(self.model).where(*key).execution_options(populate_existing=True)).one()
        if not self.due(found, now):
            return Claim(None)
        seen = (*key, col(self.model.status) == found.status, col(self.model.attempts) == found.attempts)
        if found.attempts >= self.max_attempts:  # no attempt left: its sender died on the last one
            gone = died if found.status == self.held else {}  # (or it failed before the limit was lowered)
            _changed(session, update(self.model).where(*seen).values(status="gave_up", **gone))
            return Claim(None, gave_up=True)
        attempt = found.attempts + 1
        taken = _changed(session, update(self.model).where(*seen).values(status=self.held, attempts=attempt, **retry))
        return Claim(attempt if taken else None)

    def due(self, row: Row, now: datetime) -> bool:
        """Whether an existing row may be tried again: failed and backed off, or held past its lease."""
        began = self.began(row)
        if row.status == "failed":
            return not self.backoff or now >= began + self.backoff * 2**row.attempts
        return row.status == self.held and began < now - self.duration

    def outcome(self, attempt: int, *, failed: bool, permanent: bool = False) -> str:
        """How attempt `attempt` ended: sent, failed (tried again later), or gave_up (it was the last
        attempt, or the failure is permanent: a channel gone, the bot removed)."""
        if not failed:
            return "sent"
        return "gave_up" if permanent or attempt >= self.max_attempts else "failed"

    def update_if_held(self, session: Session, key: Key, attempt: int, **values: Any) -> bool:
        """Set `values` on the row under `key` while attempt `attempt` still holds it; False when it
        no longer does (a later attempt took it over, or it has ended)."""
        mine = (*key, col(self.model.attempts) == attempt, col(self.model.status) == self.held)
        return bool(_changed(session, update(self.model).where(*mine).values(**values)))


def _inserted(session: Session, row: Leased) -> bool:
    """Insert the row; False when its unique key is taken (the row exists: one per thing to send)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
        return True
    except IntegrityError:
        return False


def _changed(session: Session, statement: Update) -> int:
    """Run an UPDATE; returns how many rows it changed."""
    return session.exec(statement, execution_options={"synchronize_session": False}).rowcount
