"""What the adapters keep when the outbox files a report: how to reach its reporter later.

Attached when the services are built, so every process that replays the outbox keeps it:
`snag serve` replays before it mounts any platform, and `snag scheduler` mounts none.
(Teams keeps what it needs beside the outbox entry: `adapters/teams/waiting.py`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import IncomingMessage

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["attach"]


def attach(services: Services) -> None:
    """Remember each Slack reporter whose report the outbox files, as a report filed live is."""
    from adapters.slack.reporters import remember

    def slack_reporter(message: IncomingMessage) -> None:
        if message.person.platform == "slack":
            remember(services.engine, services.snag, message)

    services.snag.on_replayed.append(slack_reporter)
