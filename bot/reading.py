"""Reading a message: a command, a report, or a slip to answer with a usage message."""

from __future__ import annotations

from dataclasses import replace

from bot.commands import ROLE_COMMANDS, Command, parse_command
from bot.domain import IncomingMessage, Role
from bot.errors import SnagError, UsageError

__all__ = ["SHORTEST_REPORT", "too_short", "not_theirs", "read", "as_report"]

SHORTEST_REPORT = 12  # characters of a one-word message; the shortest shipped report has two words


def too_short(text: str) -> bool:
    """One word of a few Latin letters or symbols ("ok", "n", "!!!"). Other scripts are left alone:
    Chinese or Japanese write a whole sentence without spaces in a few characters."""
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in text):
        return False
    return len(text.split()) < 2 and len(text) < SHORTEST_REPORT


def not_theirs(message: IncomingMessage) -> bool:
    """A sentence starting with a command this person may not use: a report, not a slip."""
    words = message.text.split()
    needs = ROLE_COMMANDS.get(words[0].lower()) if len(words) > 1 else None
    if needs is None:
        return False
    role = message.person.role
    return role is Role.STAFF or (needs is Role.ADMIN and role is not Role.ADMIN)


def read(message: IncomingMessage) -> Command:
    """What the message asks for: a command, or a report (raises UsageError for a slip)."""
    try:
        return parse_command(message.text)
    except UsageError:
        if not not_theirs(message):
            raise
        return Command("report", text=message.text)  # "status page down", from someone without `status`


def as_report(message: IncomingMessage) -> IncomingMessage | None:
    """The message as a report (without an explicit `report` word), or None for a command."""
    try:
        command = read(message)
    except SnagError:
        return None
    return replace(message, text=command.text) if command.name == "report" else None
