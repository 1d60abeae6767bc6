"""People Snag does not serve: members of other organisations in a Slack Connect channel.

They may see Snag in a shared channel and mention it, react or press its buttons there. They get
one short answer, seen by them alone, and nothing of theirs is stored: their words would count in
another organisation's patterns, and Snag's answers quote this workspace's reports.
"""

from __future__ import annotations

import logging

from adapters.slack import inbound
from bot.domain import Reply

__all__ = ["refusal", "NOT_HERE", "CANNOT_TELL"]

log = logging.getLogger("snag.slack")
NOT_HERE = (
    "Sorry, Snag is only for the people of the workspace that installed it, so I can't take "
    "reports or answer questions from another organisation. I haven't kept what you wrote."
)
CANNOT_TELL = (
    "In a channel shared with another organisation I can't tell which organisation a reaction "
    "comes from, so reactions file nothing here. Use the message's ⋯ menu → Report as friction, "
    "or send me a direct message."
)


def refusal(membership: str, what: str) -> Reply:
    """The answer for someone Snag does not serve (or cannot tell apart), logged without ids."""
    log.info("refused a Slack %s: the person is not a member of the workspace (%s)", what, membership)
    return Reply(kind="error", title=CANNOT_TELL if membership == inbound.UNKNOWN else NOT_HERE)
