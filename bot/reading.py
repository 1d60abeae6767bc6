"""Reading a message: a command, a report, an aside that is neither (bot.smalltalk), or a slip to
answer with a usage message."""

from __future__ import annotations

from dataclasses import replace

from bot import smalltalk
from bot.commands import (
    ROLE_COMMANDS,
    Command,
    TheirUsage,
    allowed,
    asks_to_file,
    first_word,
    numbered,
    parse_command,
)
from bot.domain import IncomingMessage, Role
from bot.errors import SnagError, UsageError

__all__ = ["SHORTEST_REPORT", "too_short", "not_theirs", "read", "as_report"]

SHORTEST_REPORT = 12  # characters of a one-word message; the shortest shipped report has two words


def too_short(text: str) -> bool:
    """One word of a few Latin letters or symbols ("ok", "n", "!!!"), or no letter or digit at all
    outside emoji and punctuation (":sob: :sob:", "🙏 🙏", "!!! ???"). Other scripts are left alone:
    Chinese or Japanese write a whole sentence without spaces in a few characters."""
    if not any(ch.isalnum() for ch in smalltalk.EMOJI_CODE.sub(" ", text)):
        return True
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in text):
        return False
    return len(text.split()) < 2 and len(text) < SHORTEST_REPORT


def not_theirs(message: IncomingMessage) -> bool:
    """A sentence starting with a command this person may not use: a report, not a slip. A number
    right after the word (`own 1`, `status 2 x`) is a command's shape: answered, never filed."""
    needs = ROLE_COMMANDS.get(first_word(message.text)) if len(message.text.split()) > 1 else None
    return needs is not None and not allowed(message.person.role, needs) and not numbered(message.text)


def _kept_for_some(message: IncomingMessage) -> bool:
    """Whether the message starts with a command kept for some roles (`status`): its usage answers."""
    return first_word(message.text) in ROLE_COMMANDS


def read(message: IncomingMessage) -> Command:
    """What the message asks for: a command, a report, or an aside that is not one (raises
    UsageError for a slip). `report <text>` files the text, whatever it says."""
    return replace(_read(message), mentions=message.mentions)


def _read(message: IncomingMessage) -> Command:
    explicit = asks_to_file(message.text)
    back = None if explicit else smalltalk.take_back(message.text)
    if back is not None:  # "delete my last report", "undo that": theirs to take back, never a report
        return Command("erase", args=(back,), text=message.text)
    number = None if explicit else smalltalk.taken_back(message.text)
    if number is not None:  # "delete 12", "undo #12": `erase 12`, which takes back only their own
        return Command("erase", number=number, text=message.text)
    status_is_theirs = allowed(message.person.role, Role.MANAGER)
    number = None if explicit else smalltalk.asked_after(message.text, status_is_theirs=status_is_theirs)
    if number is not None:  # "status 1?", "what's the status of report 12": `mine` answers, for theirs only
        return Command("mine", number=number, text=message.text)
    try:
        command = parse_command(message.text, message.person.role)
    except UsageError as exc:
        kind = None if explicit else smalltalk.aside(message.text)
        if kind is not None and (not_theirs(message) or not _kept_for_some(message)):  # "fine": no slip of `mine`
            return Command("not_report", args=(kind,), text=message.text)
        if not not_theirs(message):
            raise TheirUsage(exc.message, message.person.role) from exc
        return Command("report", text=message.text)  # "status page down", from someone without `status`
    kind = smalltalk.aside(command.text) if command.name == "report" and not explicit else None
    return Command("not_report", args=(kind,), text=command.text) if kind else command


def as_report(message: IncomingMessage) -> IncomingMessage | None:
    """The message as a report (without an explicit `report` word), or None for a command."""
    try:
        command = read(message)
    except SnagError:
        return None
    return replace(message, text=command.text) if command.name == "report" else None
