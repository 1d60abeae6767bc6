"""Slack deliveries already answered, so a retried event is not answered twice."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from store.db import session_scope
from store.models import ProcessedEvent

__all__ = ["seen", "mark"]

PLATFORM = "slack"


def seen(engine: Engine, event_id: str) -> bool:
    """True when this event id was handled and answered before."""
    with session_scope(engine) as session:
        row = session.exec(
            select(ProcessedEvent.id).where(
                ProcessedEvent.platform == PLATFORM, ProcessedEvent.event_id == event_id[:200]
            )
        ).first()
        return row is not None


def mark(engine: Engine, event_id: str) -> None:
    """Record an event as handled; a second mark (a racing retry) is harmless."""
    try:
        with session_scope(engine) as session:
            session.add(ProcessedEvent(platform=PLATFORM, event_id=event_id[:200]))
    except IntegrityError:
        pass
