"""Slack deliveries already taken, so a retried event is never answered twice."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col

from store.conversations import first_delivery
from store.db import session_scope
from store.models import ProcessedEvent

__all__ = ["claim", "release"]

PLATFORM = "slack"


def claim(engine: Engine, event_id: str) -> bool:
    """Take an event for this delivery: True the first time, False for any retry of it.

    A unique row is inserted, so of two deliveries racing each other exactly one wins, even
    while the first is still being tagged. Raises StoreUnavailable when the database is down.
    """
    with session_scope(engine) as session:
        return first_delivery(session=session, platform=PLATFORM, event_id=event_id[:200])


def release(engine: Engine, event_id: str) -> None:
    """Give a claim back after its delivery failed, so that Slack's retry is processed."""
    with session_scope(engine) as session:
        session.execute(
            delete(ProcessedEvent).where(
                col(ProcessedEvent.platform) == PLATFORM,
                col(ProcessedEvent.event_id) == event_id[:200],
            )
        )
