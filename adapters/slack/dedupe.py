"""Slack deliveries already answered, so a retried event is never answered twice."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from store.conversations import first_delivery
from store.db import session_scope

__all__ = ["claim"]

PLATFORM = "slack"


def claim(engine: Engine, event_id: str) -> bool:
    """Take an event for this delivery: True the first time, False for any retry of it.

    A unique row is inserted, so of two deliveries racing each other exactly one wins, even
    while the first is still being tagged. Claim only once the delivery's report is committed:
    a claim outliving a process that died before its commit would silence Slack's retry.
    Raises StoreUnavailable when the database is down.
    """
    with session_scope(engine) as session:
        return first_delivery(session=session, platform=PLATFORM, event_id=event_id[:200])
