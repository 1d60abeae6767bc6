"""Where a Slack reporter can be reached later, so Snag can tell them what became of a pattern."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.domain import IncomingMessage
from store.conversations import save_reference
from store.db import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.core import Snag

__all__ = ["private_channel", "remember"]

log = logging.getLogger("snag.slack")


def private_channel(message: IncomingMessage) -> str:
    """The reporter's DM with Snag: the DM itself, or their user id (chat.postMessage opens it)."""
    return message.channel if message.via == "dm" else message.person.user


def remember(engine: Engine, snag: Snag, message: IncomingMessage) -> None:
    """Keep how to reach the reporter of a stored report; a failure is logged, never raised."""
    channel = private_channel(message)
    try:
        with session_scope(engine) as session:
            save_reference(
                session=session,
                platform="slack",
                tenant=message.person.tenant,
                conversation_id=channel,
                reference={"channel": channel},
                reporter_key=snag.key_of(message.person),
            )
    except Exception as exc:  # the report is stored; only the later update would miss them
        log.warning("could not keep where to reach a Slack reporter: %s", type(exc).__name__)
