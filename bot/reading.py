"""Reading a message: a command, a report, an aside that is neither (bot.smalltalk), or a slip to
answer with a usage message."""

from __future__ import annotations

import re
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
# Chinese and Japanese write a sentence without spaces, a word in one or two characters: "网络慢"
# (the network is slow) is a report, "好的" (OK) is not. Counted in characters, as a word elsewhere.
SHORTEST_CJK = 3
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005-\u3007\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
# Thai, Lao, Khmer and Burmese also go without spaces, letter by letter: never judged by length.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def too_short(text: str) -> bool:
    """Nothing anyone could act on: one short word in any script ("ok", "n", "Спасибо"), one or two
    Chinese or Japanese characters ("好的"), no letter or digit outside emoji and punctuation
    (":sob: :sob:", "🙏 🙏", "!!! ???"), or a caption that only points at a picture or file
    ("see pic", "look at this", "as above"; smalltalk.points_elsewhere)."""
    words = smalltalk.EMOJI_CODE.sub(" ", text)
    if not any(ch.isalnum() for ch in words) or smalltalk.points_elsewhere(text):
        return True
    if _UNSPACED.search(words):
        return False
    cjk = len(_CJK.findall(words))
    if cjk:  # each character counts as a word, as each run of other letters or digits does ("VPN坏了": 3)
        return cjk + len(re.findall(r"[^\W_]+", _CJK.sub(" ", words))) < SHORTEST_CJK
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
