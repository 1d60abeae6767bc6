"""The command language shared by `/snag`, Teams messages and the console."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain import Role
from bot.errors import UsageError
from bot.taxonomy import Taxonomy

__all__ = ["Command", "QueryFilters", "parse_command", "USAGE", "WINDOWS", "ROLE_COMMANDS"]

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
_SIMPLE = {"help", "mine", "stats", "retrain", "reload"}
_ARG = re.compile(r"^(\d+d|[a-z]+:\S*)$", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*/snag\b\s*", re.IGNORECASE)
_END = " \t\r\n.,;:!?"
_FILLER = {"please", "pls", "plz", "me", "thanks", "thx", "now"}
_DIGEST_WORDS = {"preview", "last", "this", "week", "weekly"}  # the digest always shows the last full week
SHORT_WORDS = 3  # a line this short that starts like a command is one, never a report
SEARCH_WORDS = 4  # "search" and more words than this is a sentence, i.e. a report
# What each command needs, said when a short line starts with it but does not fit.
_HOW = {
    "help": "`help` lists what you can type; it takes nothing after it.",
    "top": "`top` takes 7d, 30d or 90d and team:, stage: or kind:, e.g. `top 30d team:finance`.",
    "search": "search needs some words, e.g. `search refund spreadsheet`.",
    "mine": "`mine` lists your own reports; it takes nothing after it.",
    "pattern": "pattern needs one number, e.g. `pattern 12`.",
    "stats": "`stats` shows counts by stage, kind and team; it takes nothing after it.",
    "digest": "`digest` takes one audience at most, e.g. `digest` or `digest team:finance`.",
    "subscribe": '`subscribe` takes an audience and a schedule, e.g. `subscribe all cron="0 9 * * mon"`.',
    "unsubscribe": "`unsubscribe` takes an audience at most, e.g. `unsubscribe team:finance`.",
    "own": "own needs a pattern number and an owner, e.g. `own 12 Finance`.",
    "status": "status needs a pattern number and a status, e.g. `status 12 resolved`.",
    "erase": "erase needs one person, e.g. `erase @sam`.",
    "retrain": "`retrain` takes nothing after it.",
    "reload": "`reload` takes nothing after it.",
}

# Commands only some people may use: from anyone else, a sentence starting with one is a report.
ROLE_COMMANDS = {
    "own": Role.MANAGER,
    "status": Role.MANAGER,
    "search": Role.MANAGER,
    "subscribe": Role.ADMIN,
    "unsubscribe": Role.ADMIN,
    "erase": Role.ADMIN,
    "retrain": Role.ADMIN,
    "reload": Role.ADMIN,
}

# The help: grouped by who may use each command (ROLE_COMMANDS); the same text for everyone.
USAGE = (
    "Anyone:\n"
    "help · show this\n"
    "<a sentence> · report friction (or: report <sentence>)\n"
    "top [7d|30d|90d] [team:X] [stage:Y] [kind:Z] · the patterns that recur most\n"
    "mine · your own reports and what happened to them\n"
    "pattern <id> · one pattern in detail (managers also see a few of its reports)\n"
    "stats · counts by stage, kind and team over the last 30 days\n"
    "digest [audience] · preview the digest of the last full week\n"
    "Managers and admins only:\n"
    f"search <1 to {SEARCH_WORDS} words> · find reports containing all those words\n"
    "own <id> <owner> · set who owns a pattern; its reporters are told\n"
    "status <id> <new|acknowledged|in_progress|resolved|wont_fix> · set a pattern's status; its reporters are told\n"
    "Admins only:\n"
    'subscribe [audience] [cron="0 9 * * mon"] [tz=Europe/London] · send the digest here\n'
    "unsubscribe [audience] · stop sending it here\n"
    "erase <user> · delete one person's reports\n"
    "retrain · retrain the tagger with every correction so far\n"
    "reload · re-read the taxonomy file"
)


@dataclass(frozen=True)
class QueryFilters:
    since: datetime
    days: int = 7
    team: str | None = None
    stage: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Command:
    # report | help | top | search | mine | pattern | stats | digest | subscribe | unsubscribe | own | status | erase
    name: str
    text: str = ""
    args: tuple[str, ...] = field(default_factory=tuple)
    number: int | None = None
    channel: str = ""  # where the command was typed (subscribe sends digests there)


def parse_command(text: str) -> Command:
    """Read a command; anything that is not clearly a command is a report.

    A leading `/snag`, trailing punctuation, capitals and a trailing "please" are forgiven. A short
    line (at most SHORT_WORDS words) that starts with a command word, or a one-letter slip of one,
    gets that command or a usage message that names it, never a report; longer lines that do not
    read as a command are reports, so "help desk keeps closing tickets" is filed.
    """
    text = _PREFIX.sub("", text, count=1)
    if not text.strip():
        return Command("report", text="")  # nothing to file: the core asks for a sentence
    words = text.rstrip(_END).split()
    if not words:
        return Command("report", text=text)  # punctuation only ("!!!") is still something said
    head = words[0].lower().rstrip(_END)
    if head == "report":
        return Command("report", text=text.split(None, 1)[1] if len(words) > 1 else "")
    rest = _without_filler(words[1:])
    command = _read(head, rest, text)
    if command is not None:
        return command
    if 1 + len(rest) > SHORT_WORDS:
        return Command("report", text=text)
    if head in _HOW:
        raise UsageError(f"{_HOW[head]} {_as_report(text)}")
    guess = _slip_of(head)
    if guess is not None and _read(guess, rest, text) is not None:
        raise UsageError(f"Did you mean `{guess}`? {_as_report(text)}")
    return Command("report", text=text)


def _read(head: str, rest: list[str], text: str) -> Command | None:
    """The command `head` with these arguments, or None when they do not fit it."""
    if head in _SIMPLE and not rest:
        return Command(head)
    if head == "top":
        args = [f"{w}d" if f"{w}d" in WINDOWS else w for w in rest]
        return Command("top", args=tuple(args)) if all(_ARG.match(w) for w in args) else None
    if head == "search" and 0 < len(rest) <= SEARCH_WORDS:
        return Command("search", args=tuple(rest))
    if head == "pattern" and len(rest) == 1 and rest[0].lstrip("#").isdigit():
        return Command("pattern", number=int(rest[0].lstrip("#")))
    if head == "digest":
        args = [w for w in rest if w.lower() not in _DIGEST_WORDS]
        return Command("digest", args=tuple(args)) if len(args) <= 1 else None
    if head in ("subscribe", "unsubscribe") and (len(rest) <= 3 or "=" in text):
        return Command(head, args=tuple(rest))
    if head in ("own", "status") and len(rest) >= 2 and rest[0].lstrip("#").isdigit():
        return Command(head, args=tuple(rest[1:]), number=int(rest[0].lstrip("#")))
    if head == "erase" and len(rest) == 1:
        return Command("erase", args=tuple(rest))
    return None


def _without_filler(rest: list[str]) -> list[str]:
    """The words after the command, without a trailing "please", "me" or "thanks"."""
    rest = list(rest)
    while rest and rest[-1].lower().rstrip(_END) in _FILLER:
        rest.pop()
    return rest


def _slip_of(word: str) -> str | None:
    """The command one letter away from `word` (added, dropped, changed or swapped), if any."""
    if len(word) < 3:
        return None
    close = difflib.get_close_matches(word, _HOW, n=3, cutoff=0.6)
    return next((name for name in close if _one_edit(word, name)), None)


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    short, long = sorted((a, b), key=len)
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(short))
    if len(a) != len(b):
        return short[i:] == long[i + 1 :]
    swapped = a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or swapped


def _as_report(text: str) -> str:
    return f"To file it as a report instead, type: report {text.strip()}"


def parse_filters(args: tuple[str, ...], taxonomy: Taxonomy, now: datetime) -> QueryFilters:
    """Turn `30d team:finance stage:billing kind:waiting` into filters, or say what is wrong."""
    days, found = 7, {}
    for arg in args:
        low = arg.lower()
        if low in WINDOWS:
            days = WINDOWS[low]
            continue
        key, _, value = low.partition(":")
        allowed = {
            "team": taxonomy.team_labels,
            "stage": taxonomy.stage_labels,
            "kind": taxonomy.kind_labels,
        }.get(key)
        if allowed is None:
            raise UsageError(f"I don't know the filter `{arg}`. Use 7d, 30d or 90d and team:, stage: or kind:.")
        if value not in allowed:
            raise UsageError(f"`{value or '(empty)'}` is not a {key}. Try one of: {', '.join(allowed)}.")
        found[key] = value
    return QueryFilters(since=now - timedelta(days=days), days=days, **found)
