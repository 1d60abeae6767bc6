"""The command language shared by `/snag`, Teams messages and the console."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.errors import UsageError
from bot.taxonomy import Taxonomy

__all__ = ["Command", "QueryFilters", "parse_command", "USAGE", "WINDOWS"]

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
_SIMPLE = {"help", "mine", "stats", "retrain", "reload"}
_ARG = re.compile(r"^(\d+d|[a-z]+:\S*)$", re.IGNORECASE)

USAGE = (
    "help · show this\n"
    "<a sentence> · report friction (or: report <sentence>)\n"
    "top [7d|30d|90d] [team:X] [stage:Y] [kind:Z] · the patterns that recur most\n"
    "search <words> · find patterns and reports\n"
    "mine · your own reports and what happened to them\n"
    "pattern <id> · one pattern in detail\n"
    "stats · counts by stage, kind and team\n"
    "digest [audience] · preview this week's digest\n"
    'subscribe [audience] [cron="0 9 * * mon"] [tz=Europe/London] · send the digest here (admins)\n'
    "unsubscribe [audience] · stop sending it here (admins)\n"
    "own <id> <owner> · set who owns a pattern; its reporters are told (managers)\n"
    "status <id> <new|acknowledged|in_progress|resolved|wont_fix> · set a pattern's status (managers)\n"
    "erase <user> · delete one person's reports (admins)\n"
    "retrain · retrain the tagger with every correction so far (admins)\n"
    "reload · re-read the taxonomy file (admins)"
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
    """Read a command; anything that is not clearly a command is a report."""
    words = text.split()
    if not words:
        return Command("help")
    head, rest = words[0].lower(), words[1:]
    if head == "report":
        return Command("report", text=text.split(None, 1)[1] if rest else "")
    if head in _SIMPLE and not rest:
        return Command(head)
    if head == "top" and all(_ARG.match(w) for w in rest):
        return Command("top", args=tuple(rest))
    if head == "search":
        if not rest:
            raise UsageError("search needs some words, e.g. `search refund spreadsheet`.")
        return Command("search", args=tuple(rest))
    if head == "pattern" and len(rest) == 1:
        if not rest[0].lstrip("#").isdigit():
            raise UsageError("pattern needs a number, e.g. `pattern 12`.")
        return Command("pattern", number=int(rest[0].lstrip("#")))
    if head == "digest" and len(rest) <= 2:
        return Command("digest", args=tuple(w for w in rest if w.lower() != "preview"))
    if head in ("subscribe", "unsubscribe") and (len(rest) <= 3 or "=" in text):
        return Command(head, args=tuple(rest))
    if head in ("own", "status") and len(rest) >= 2 and rest[0].lstrip("#").isdigit():
        return Command(head, args=tuple(rest[1:]), number=int(rest[0].lstrip("#")))
    if head == "erase" and len(rest) == 1:
        return Command("erase", args=tuple(rest))
    return Command("report", text=text)


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
