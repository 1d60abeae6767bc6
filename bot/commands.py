"""The command language shared by `/snag`, Teams messages and the console."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot import smalltalk
from bot.domain import Role
from bot.errors import InputError, UsageError
from bot.taxonomy import Taxonomy

__all__ = [
    "Command",
    "QueryFilters",
    "parse_command",
    "parse_filters",
    "window_start",
    "cut_of",
    "read_label",
    "asks_to_file",
    "usage_for",
    "allowed",
    "numbered",
    "owner_of",
    "MEANS_ME",
    "means_me",
    "TheirUsage",
    "Slip",
    "USAGE",
    "WINDOWS",
    "ROLE_COMMANDS",
    "with_examples",
]

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
_SIMPLE = {"help", "mine", "stats", "retrain", "reload", "subscriptions"}
_ARG = re.compile(r"^(\d+d|[a-z]+:\S*)$", re.IGNORECASE)
_FILTER_KEYS = ("team", "stage", "kind")
_VALUE_WORDS = 3  # a filter's value may be a title or alias of up to this many words: `team:IT help desk`
_PREFIX = re.compile(r"^\s*/snag\b\s*", re.IGNORECASE)
_END = " \t\r\n.,;:!?"
_FILLER = {"please", "pls", "plz", "me", "thanks", "thx", "now"}
_POLITE = {"please", "pls", "plz", "thanks", "thx"}  # the only filler after an owner: `own 5 me` is meant
_DIGEST_WORDS = {"preview", "last", "this", "week", "weekly"}  # the digest always shows the last full week
SHORT_WORDS = 3  # a line this short that starts like a command is one, never a report
SEARCH_WORDS = 4  # "search" and more words than this is a sentence, i.e. a report
# A manager's `search` with a few words too many, none of them a sentence's (`search refund form
# finance inbox delay`), gets its usage: "search takes ages in the CRM" is still their report.
LONG_SEARCH = 8
_SENTENCE_WORDS = {
    "the", "an", "is", "are", "was", "were", "be", "in", "on", "at", "to", "of", "and", "but", "it", "for",
    "with", "when", "we", "i", "they", "our", "my", "not", "no", "every", "takes", "keeps", "has", "have",
    "can't", "cant", "doesn't", "doesnt", "never", "always", "again",
}  # fmt: skip
# Managers' words for `own` and `status`, read as them only with a pattern number right after
# (`assign 5 to Dana`, `close 5`): "close of day handover was missed again" is a report.
_OWN_WORDS = {"own", "assign", "owner"}
_STATUS_SAID = {
    "resolve": "resolved", "resolved": "resolved", "close": "resolved", "closed": "resolved",
    "done": "resolved", "fixed": "resolved", "acknowledge": "acknowledged", "acknowledged": "acknowledged",
    "ack": "acknowledged",
}  # fmt: skip
_STATUS_NAME_WORDS = 3  # "being worked on": `status 3 tills are down again` is a sentence
_STATUS_NAMES = {"on", "not", "it", "in", "will", "being"}  # sentence words a status has ("won't fix")
_OWNER_WORDS = 6  # `assign 5 …` with more words than this after the number is a sentence
MEANS_ME = frozenset({"me", "myself"})  # `own 5 me`: the manager who typed it
# What each command needs, said when a short line starts with it but does not fit. {team} and
# {team_title} are a team of the taxonomy (with_examples): finance when reading the command.
_HOW = {
    "help": "`help` lists what you can type; it takes nothing after it.",
    "top": "`top` takes 7d, 30d or 90d and team:, stage: or kind:, e.g. `top 30d team:{team}`.",
    "search": "search needs some words, e.g. `search refund spreadsheet`.",
    "mine": "`mine` lists your own reports; it takes nothing after it.",
    "pattern": "pattern needs one number, e.g. `pattern 12`.",
    "stats": "`stats` shows counts by stage, kind and team; it takes nothing after it.",
    "digest": "`digest` takes one audience at most, e.g. `digest` or `digest team:{team}`.",
    "subscribe": '`subscribe` takes an audience and a schedule, e.g. `subscribe all cron="0 9 * * mon"`.',
    "unsubscribe": "`unsubscribe` takes an audience at most, e.g. `unsubscribe team:{team}`.",
    "subscriptions": "`subscriptions` lists this organisation's digests; it takes nothing after it.",
    "own": "own needs a pattern number and an owner, e.g. `own 12 {team_title}`.",
    "status": "status needs a pattern number and a status, e.g. `status 12 resolved`.",
    "merge": "merge needs two pattern numbers, the one to merge first, e.g. `merge 12 into 7`.",
    "erase": "erase takes one of your report numbers, e.g. `erase 12` (`mine` lists them), or `erase mine`.",
    "retrain": "`retrain` takes nothing after it.",
    "reload": "`reload` takes nothing after it.",
}
_HOW_FOR_ADMINS = {"erase": "To erase someone else's reports: `erase @sam`."}
# What someone who may not use a command is told instead when they slip on it: what they can do.
_NOT_YOURS = {
    "search": "Searching reports is for managers; `top` and `pattern <id>` show the shared picture.",
    "own": "Setting who owns a pattern is for managers; `mine` shows what happened to your reports.",
    "status": "`mine` shows your reports and what happened to each (setting a pattern's status is for managers).",
    "merge": "Merging patterns is for managers; `top` and `pattern <id>` show the shared picture.",
    "subscribe": "Sending digests to a channel is set up by admins; `digest` previews the last week's.",
    "unsubscribe": "Digests in a channel are set up by admins; ask one of them to stop it there.",
    "subscriptions": "Which digests go where is set up by admins; `digest` previews the last week's.",
    "retrain": "Retraining the tagger is for admins; Fix tags on a receipt teaches it too.",
    "reload": "Re-reading the taxonomy is for admins.",
}
_NOT_SLIPS = {"stop"}  # a word of its own ("stop" is not a slip of `top`): reading.py answers it
# Managers' own words a slip may be of (`reslove 5`, `asign 5 Dana`); not the shortest, `done` and
# `ack`, a letter away from everyday words ("gone 5", "back 5").
_SLIP_SYNONYMS = tuple(sorted(w for w in (*_OWN_WORDS, *_STATUS_SAID) if len(w) >= 5))

# Commands only some people may use: from anyone else, a sentence starting with one is a report.
# (`erase` is everyone's for their own reports; only `erase <user>` is an admin's.)
ROLE_COMMANDS = {
    "own": Role.MANAGER,
    "status": Role.MANAGER,
    "merge": Role.MANAGER,
    "search": Role.MANAGER,
    "subscribe": Role.ADMIN,
    "unsubscribe": Role.ADMIN,
    "subscriptions": Role.ADMIN,
    "retrain": Role.ADMIN,
    "reload": Role.ADMIN,
}
_RANK = {Role.STAFF: 0, Role.MANAGER: 1, Role.ADMIN: 2}

# The help, line by line, with who may use each: a person's help has only the lines for them.
_HELP: tuple[tuple[Role, str], ...] = (
    (Role.STAFF, "help · show this"),
    (Role.STAFF, "<a sentence> · report friction (or: report <sentence>)"),
    (Role.STAFF, "top [7d|30d|90d] [team:X] [stage:Y] [kind:Z] · the patterns that recur most"),
    (Role.STAFF, "mine · your own reports and what happened to them"),
    (Role.STAFF, "erase <report number> · take back one of your reports (erase mine: all of them)"),
    (Role.STAFF, "pattern <id> · one pattern in detail (managers also see a few of its reports)"),
    (Role.STAFF, "stats · counts by stage, kind and team over the last 30 days"),
    (Role.STAFF, "digest [audience] · preview the digest of the last full week"),
    (Role.MANAGER, f"search <1 to {SEARCH_WORDS} words> · find reports containing all those words"),
    (Role.MANAGER, "own <id> <owner> · set who owns a pattern (or: assign <id> <owner>); its reporters are told"),
    (
        Role.MANAGER,
        "status <id> <new|acknowledged|in_progress|resolved|wont_fix> · set a pattern's status (resolve <id> or "
        "close <id>: resolved); its reporters are told",
    ),
    (Role.MANAGER, "merge <id> into <id> · one problem told as two patterns: the first's reports join the second"),
    (Role.ADMIN, 'subscribe [audience] [cron="0 9 * * mon"] [tz=Europe/London] · send the digest here'),
    (Role.ADMIN, "unsubscribe [audience] · stop sending it here"),
    (Role.ADMIN, "subscriptions · which digests go where, when the next goes, how the last went"),
    (Role.ADMIN, "erase <user> · delete one person's reports (@mention them, or their member id)"),
    (Role.ADMIN, "retrain · retrain the tagger with every correction so far"),
    (Role.ADMIN, "reload · re-read the taxonomy file"),
)
_GROUPS = {Role.STAFF: "Anyone", Role.MANAGER: "Managers and admins only", Role.ADMIN: "Admins only"}


def allowed(role: Role, needs: Role) -> bool:
    """Whether someone with `role` may use what `needs` that role (admins may do what managers may)."""
    return _RANK[role] >= _RANK[needs]


def usage_for(role: Role) -> str:
    """The help one person sees: only what their role may type, grouped by who may use it.

    Staff see one plain list; managers and admins see the groups, so they know what others see."""
    theirs = [(needs, line) for needs, line in _HELP if allowed(role, needs)]
    if role is Role.STAFF:
        return "\n".join(line for _, line in theirs)
    grouped: list[str] = []
    for needs, line in theirs:
        heading = f"{_GROUPS[needs]}:"
        if heading not in grouped:
            grouped.append(heading)
        grouped.append(line)
    return "\n".join(grouped)


# The whole help, as an admin (and the console, which runs as one) sees it.
USAGE = usage_for(Role.ADMIN)


class TheirUsage(UsageError):
    """A usage message for one person: the help shown with it is their role's (cards.problem)."""

    def __init__(self, message: str, role: Role) -> None:
        super().__init__(message)
        self.role = role


class Slip(UsageError):
    """A short line a letter away from a command whose arguments it has: "Did you mean `status`?".
    Nothing is filed, so an edit of the message into the command runs it (bot.editing)."""


@dataclass(frozen=True)
class QueryFilters:
    since: datetime
    days: int = 7
    before: datetime | None = None  # the cut (cut_of): reports filed before it only; None, up to now
    team: str | None = None
    stage: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Command:
    # report | help | top | search | mine | pattern | stats | digest | subscribe | unsubscribe | subscriptions
    # | own | status | merge (number: the pattern merged; args: the one it goes into) | erase
    # | not_report (a greeting, thanks, a question to Snag: bot.smalltalk)
    name: str
    text: str = ""
    args: tuple[str, ...] = field(default_factory=tuple)
    number: int | None = None
    channel: str = ""  # where the command was typed (subscribe sends digests there)
    mentions: tuple[str, ...] = ()  # platform ids of the people the line @mentions (`erase @sam`)


def parse_command(text: str, role: Role = Role.ADMIN) -> Command:
    """Read a command; anything that is not clearly a command is a report.

    A leading `/snag`, trailing punctuation, capitals and a trailing "please" are forgiven. A short
    line (at most SHORT_WORDS words) that starts with a command word, or a one-letter slip of one,
    gets that command or a usage message that names it, never a report; longer lines that do not
    read as a command are reports, so "help desk keeps closing tickets" is filed. The usage message
    is the `role`'s: a command they may not use is answered with what they can do instead.
    Managers' own words for `own` and `status` (`assign 5 Dana`, `close 5`) are those commands when
    a pattern number follows the word; "close of day handover was missed" stays a report.
    A command as Snag's replies show it, copied with its markup (`` `erase mine confirm` ``, *mine*),
    or followed by an emoji (`mine :pray:`), is that command; any other line keeps its markup.
    "my reports" is `mine`. A whole line saying no ("no, keep them", "cancel") is never a report: it
    answers `erase mine`'s question when that was just asked (bot.erasing), else it is an aside.
    """
    text = _PREFIX.sub("", text, count=1)
    if smalltalk.declines(text) and smalltalk.aside(text) is None:  # "no, keep them": never a report (bot.erasing)
        return Command("not_report", args=("ack",), text=text)
    bare = _PREFIX.sub("", _unwrapped(text), count=1)
    if bare != text.strip():  # "`erase mine confirm`", copied from a reply: the command, if it is one
        try:
            command = _parse(bare, role)
        except UsageError:
            command = None
        if command is not None and command.name != "report":
            return command
    return _parse(text, role)


def _parse(text: str, role: Role) -> Command:
    if not text.strip():
        return Command("report", text="")  # nothing to file: the core asks for a sentence
    words = text.rstrip(_END).split()
    if not words:
        return Command("report", text=text)  # punctuation only ("!!!"): capture asks for a sentence
    head = words[0].lower().rstrip(_END)
    if head == "report":
        return Command("report", text=text.split(None, 1)[1] if len(words) > 1 else "")
    change = _pattern_change(head, words[1:], role)
    if change is not None:
        return change
    rest = _without_filler(words[1:])
    if " ".join([head, *(w.lower().rstrip(_END) for w in rest)]) in _MY_REPORTS:
        return Command("mine")
    command = _read(head, rest, text)
    if command is not None:
        return command
    if head == "search" and allowed(role, Role.MANAGER) and _few_words_too_many(rest):
        raise UsageError(
            f"search takes 1 to {SEARCH_WORDS} words, e.g. `search refund spreadsheet`. {_as_report(text)}"
        )
    if 1 + len(rest) > SHORT_WORDS:
        return Command("report", text=text)
    if head in _HOW:
        raise UsageError(f"{_how(head, role)} {_as_report(text)}")
    guess = _meant(head, words[1:], rest, text, role)
    if guess is not None:
        raise Slip(f"Did you mean `{guess}`? {_as_report(text)}")
    return Command("report", text=text)


def numbered(text: str) -> bool:
    """Whether a pattern or report number comes right after the line's first word (`own 1`,
    `status #1`): a command's shape, never a sentence's."""
    words = _PREFIX.sub("", text, count=1).split()
    return len(words) > 1 and _number(words[1]) is not None


def means_me(owner: str) -> bool:
    """Whether an owner as typed (`me`, `Myself.`, `me myself`) means whoever typed it."""
    words = {w.lower().rstrip(_END) for w in owner.split()}
    return bool(words) and words <= MEANS_ME


def owner_of(text: str, role: Role) -> tuple[int, tuple[str, ...]] | None:
    """The pattern number and the owner's words, as typed, of a line `role` would have read as
    `own` (`own 5 Dana Lee`, `assign #5 to @someone`); None for any other line."""
    words = _PREFIX.sub("", text, count=1).rstrip(_END).split()
    head = words[0].lower().rstrip(_END) if words else ""
    owned = _owner(head, words[1:])
    return None if owned is None or _a_sentence_after(head, owned[1], role) else owned


def _number(word: str) -> int | None:
    digits = word.rstrip(_END).lstrip("#")
    return int(digits) if digits.isdigit() else None


def _owner(head: str, after: list[str]) -> tuple[int, tuple[str, ...]] | None:
    """`own`'s number and owner words, or None when the line does not have that shape."""
    if head not in _OWN_WORDS:
        return None
    if after and after[0].lower() == "pattern":  # `assign pattern 5 to Dana`
        after = after[1:]
    number = _number(after[0]) if after else None
    owner = list(after[1:])
    if owner and owner[0].lower() in ("to", "is", "-", ":", "=") and len(owner) > 1:
        owner = owner[1:]
    while owner and owner[-1].lower().rstrip(_END) in _POLITE:
        owner.pop()
    return (number, tuple(owner)) if number is not None and owner else None


def _a_sentence_after(head: str, owner: Sequence[str], role: Role) -> bool:
    """Whether what follows `assign 5` reads as a sentence ("assign 5 people to the late rota and…"),
    not an owner: a report. A manager's `own` itself takes a long owner ("Finance ops (Dana Lee,
    mornings)") unless it is long and reads as a sentence too: every reporter would read it."""
    if head == "own" and allowed(role, Role.MANAGER):
        return len(owner) > _OWNER_WORDS and _sentence(owner)
    return len(owner) > _OWNER_WORDS or (len(owner) > SHORT_WORDS and _sentence(owner))


def _pattern_change(head: str, after: list[str], role: Role) -> Command | None:
    """`own 5 Dana` and its synonyms (`assign 5 to Dana`, `owner 5 Dana`), and the words for a status
    (`resolve 5`, `close #5`, `done 5 please`): the `own` or `status` they mean, or None.

    A manager's `own 5 me` or `own 5 @someone` (a mention this platform could not name) asks for
    the name: reporters are told who looks after what they reported, and "me" tells them nothing."""
    owned = _owner(head, after)
    if owned is not None and not _a_sentence_after(head, owned[1], role):
        number, owner = owned
        if not allowed(role, Role.MANAGER):  # refused when run, kindly
            return Command("own", args=owner, number=number)
        if means_me(" ".join(owner)):
            raise UsageError(f"Type your name as its reporters should read it, e.g. `own {number} Dana Lee`.")
        if any("@someone" in w.lower() for w in owner):
            raise UsageError(
                f"I can't tell from here who @someone is: type their name as its reporters should read it, "
                f"e.g. `own {number} Dana Lee`."
            )
        return Command("own", args=owner, number=number)
    return _status_said(head, after)


def _status_said(head: str, after: list[str]) -> Command | None:
    """`resolve 5`, `close #5`, `done 5 please`: the `status` a manager's word for one means, or None."""
    status = _STATUS_SAID.get(head)
    after = [w for w in after if w.lower().rstrip(_END) not in _POLITE]
    if after and after[0].lower() == "pattern":
        after = after[1:]
    if status is None or len(after) != 1 or _number(after[0]) is None:
        return None
    return Command("status", args=(status,), number=_number(after[0]))


def _few_words_too_many(rest: list[str]) -> bool:
    """A manager's `search` with more words than it takes, none of them a sentence's."""
    return SEARCH_WORDS < len(rest) <= LONG_SEARCH and not _sentence(rest)


def _sentence(words: Sequence[str], *, but: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether the words read as part of a sentence (a word like "the", "is", "again" among them,
    `but` aside) rather than a command's argument."""
    return bool({w.lower().rstrip(_END) for w in words} & (_SENTENCE_WORDS - but))


def first_word(text: str) -> str:
    """The line's first word as a command is read: after `/snag`, lower case, trailing punctuation gone."""
    words = _PREFIX.sub("", text, count=1).split(None, 1)
    return words[0].lower().rstrip(_END) if words else ""


# Markup around a whole line, as Snag's replies show commands and Slack or Teams keep them when
# pasted: a code block, inline code, bold, italics.
_WRAPS = (
    re.compile(r"```\s*(?P<inner>[^`]+?)\s*```"),
    re.compile(r"`(?P<inner>[^`]+)`"),
    re.compile(r"\*{1,2}(?P<inner>[^*]+)\*{1,2}"),
    re.compile(r"_{1,2}(?P<inner>[^_]+)_{1,2}"),
)
# Emoji at the end of a line: Slack's :shortcode: (after a space or another one) or a Unicode one.
_EMOJI_CHARS = "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3\U0001f000-\U0001faff"
_TRAILING_EMOJI = re.compile(
    rf"(?:(?:\s+|(?<=:)):[a-z0-9_+'-]+:(?::skin-tone-\d:)?|\s*[{_EMOJI_CHARS}])+\s*$", re.IGNORECASE
)
_MY_REPORTS = {"my reports", "my report", "my own reports", "my own report"}  # `mine`, as people say it


def _unwrapped(text: str) -> str:
    """The line without markup around the whole of it or emoji after it: "`mine`", "*mine* :pray:"."""
    before = None
    text = text.strip()
    while text != before:
        before = text
        text = _TRAILING_EMOJI.sub("", text).rstrip(" \t\r\n.,;!?")
        wrap = next((m for m in (w.fullmatch(text) for w in _WRAPS) if m), None)
        text = wrap.group("inner").strip() if wrap else text
    return text


def asks_to_file(text: str) -> bool:
    """Whether the line starts with the word `report`: file what follows, whatever it says."""
    return first_word(text) == "report"


def _how(head: str, role: Role) -> str:
    """What the command needs, said to this person: what they can do instead when it isn't theirs."""
    needs = ROLE_COMMANDS.get(head)
    if needs is not None and not allowed(role, needs):
        return _NOT_YOURS[head]
    extra = _HOW_FOR_ADMINS.get(head) if role is Role.ADMIN else None
    how = _hint(head, _FINANCE)
    return f"{how} {extra}" if extra else how


_FINANCE = ("finance", "Finance")  # the team the usage messages name as read: the shipped taxonomy's


def _hint(head: str, team: tuple[str, str]) -> str:
    """What the command needs, its example naming `team` (label, title)."""
    label, title = team
    return _HOW[head].replace("{team}", label).replace("{team_title}", title)


def _example_team(taxonomy: Taxonomy) -> tuple[str, str]:
    """The team an example names: finance where the taxonomy has it (the shipped one does), else
    its first team; (label, title)."""
    label = taxonomy.find("team", "finance")
    team = next((t for t in taxonomy.teams if t.label == label), taxonomy.teams[0] if taxonomy.teams else None)
    return (team.label, team.title) if team is not None else _FINANCE


def with_examples(message: str, taxonomy: Taxonomy) -> str:
    """A usage message whose example names a team of `taxonomy`, the one Snag runs with.

    Reading a command does not know the taxonomy, so its usage message names finance
    (`top 30d team:finance`, `own 12 Finance`); where the message is shown (cards.problem) an
    organisation without finance reads one of its own teams (`top 30d team:pharmacy`). Only the
    usage part at the start changes, never the line typed that the message repeats after it."""
    team = _example_team(taxonomy)
    if team == _FINANCE:
        return message
    for head, how in _HOW.items():
        said = _hint(head, _FINANCE)
        if "{team" in how and message.startswith(said):
            return _hint(head, team) + message[len(said) :]
    return message


def _read(head: str, rest: list[str], text: str) -> Command | None:
    """The command `head` with these arguments, or None when they do not fit it."""
    if head in _SIMPLE and not rest:
        return Command(head)
    if head == "top":
        args = _filter_words([f"{w}d" if f"{w}d" in WINDOWS else w for w in rest])
        return Command("top", args=tuple(args)) if args is not None else None
    if head == "search" and 0 < len(rest) <= SEARCH_WORDS:
        return Command("search", args=tuple(rest))
    if head == "pattern" and len(rest) == 1 and rest[0].lstrip("#").isdigit():
        return Command("pattern", number=int(rest[0].lstrip("#")))
    if head == "digest":
        args = [w for w in rest if w.lower() not in _DIGEST_WORDS]
        args = (_filter_words(args) or args) if len(args) > 1 else args  # `digest team:customer service`
        return Command("digest", args=tuple(args)) if len(args) <= 1 else None
    if head in ("subscribe", "unsubscribe") and (len(rest) <= 3 or "=" in text):
        return Command(head, args=tuple(rest))
    if head == "status" and 2 <= len(rest) <= 1 + _STATUS_NAME_WORDS and rest[0].lstrip("#").isdigit():
        if _sentence(rest[1:], but=_STATUS_NAMES):  # "status 404 on the portal" is a report
            return None
        return Command(head, args=tuple(rest[1:]), number=int(rest[0].lstrip("#")))
    if head == "erase":
        return _erase(rest)
    if head == "merge":
        return _merge(rest)
    return None


_MERGE_WORDS = {"into", "in", "to", "->", "→", "pattern", "patterns"}  # `merge pattern #12 into pattern #7`


def _merge(rest: list[str]) -> Command | None:
    """`merge 12 into 7`, `merge 12 7`, `merge #12 into #7`: the pattern merged (number) and the
    one it goes into (args), or None when the words are not two numbers ("merge the two rotas")."""
    words = [w for w in rest if w.lower().rstrip(_END) not in _MERGE_WORDS]
    numbers = [_number(w) for w in words]
    if len(numbers) != 2 or None in numbers or len(rest) > 2 + 3:
        return None
    source, target = numbers
    return Command("merge", args=(str(target),), number=source)


# `erase all` and the like: all of theirs, asked first (after `erase mine` asked, "erase confirm" is the
# confirmation: bot.erasing).
_ALL_OF_MINE = {
    "all", "everything", "all mine", "all of mine", "all my reports", "all of my reports", "my reports",
    "them", "them all", "all of them", "it all", "all of it", "confirm",
}  # fmt: skip


def _erase(rest: list[str]) -> Command | None:
    """`erase 12` (your report #12), `erase mine [confirm]`, `erase last`, or an admin's `erase <user>`."""
    if len(rest) == 1 and rest[0].lstrip("#").isdigit():
        return Command("erase", number=int(rest[0].lstrip("#")))
    low = [w.lower().rstrip(_END) for w in rest]
    if low in (["mine"], ["mine", "confirm"], ["last"]):
        return Command("erase", args=tuple(low))
    if " ".join(low) in _ALL_OF_MINE:  # theirs, never an admin's `erase <user>`: the question first
        return Command("erase", args=("mine",))
    numbered = [w for w in low if w not in ("my", "report", "number", "no")]
    if len(numbered) == 1 and len(low) <= 3 and numbered[0].lstrip("#").isdigit():  # `erase report #12`
        return Command("erase", number=int(numbered[0].lstrip("#")))
    return Command("erase", args=tuple(rest)) if len(rest) == 1 else None


def _without_filler(rest: list[str]) -> list[str]:
    """The words after the command, without a trailing "please", "me" or "thanks"."""
    rest = list(rest)
    while rest and rest[-1].lower().rstrip(_END) in _FILLER:
        rest.pop()
    return rest


def _meant(head: str, after: list[str], rest: list[str], text: str, role: Role) -> str | None:
    """The command word of theirs a letter away from `head` whose arguments the line has, closest
    first: `stauts 3 resolved` is `status` (`stats`, as close, takes nothing), `reslove 3` is
    `resolve`. None when none fits: "statsu are wrong" is a report."""
    return next((word for word in _slips_of(head, role) if _fits(word, after, rest, text, role)), None)


def _fits(word: str, after: list[str], rest: list[str], text: str, role: Role) -> bool:
    """Whether the words after the first (`after`, and `rest` without filler) are what `word` takes."""
    owned = _owner(word, after)
    if owned is not None and not _a_sentence_after(word, owned[1], role):
        return True
    return _read(word, rest, text) is not None or _status_said(word, after) is not None


def _slips_of(word: str, role: Role) -> list[str]:
    """The command words of theirs one letter away from `word` (added, dropped, changed or swapped),
    closest first."""
    if len(word) < 3 or word in _NOT_SLIPS:
        return []
    theirs = [name for name in _HOW if allowed(role, ROLE_COMMANDS.get(name, Role.STAFF))]
    if allowed(role, Role.MANAGER):
        theirs += _SLIP_SYNONYMS
    close = difflib.get_close_matches(word, theirs, n=len(theirs), cutoff=0.6)
    return [name for name in close if _one_edit(word, name)]


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


def parse_filters(args: Sequence[str], taxonomy: Taxonomy, now: datetime) -> QueryFilters:
    """Turn `30d team:finance stage:billing kind:waiting` into filters, or say in one line what is wrong.

    A team, stage or kind may be named by its label, its title or an alias, in any case
    (`team:accounts`, `kind:duplicate entry`): read_label, the rule digests' audiences follow too.
    The window runs from a midnight (window_start) to the cut, today's midnight (cut_of)."""
    days, found = 7, {}
    for arg in _filter_words(args) or args:
        if arg.lower() in WINDOWS:
            days = WINDOWS[arg.lower()]
            continue
        key, colon, value = arg.partition(":")
        if not colon or key.lower() not in _FILTER_KEYS:
            raise InputError(_unknown_filter(arg))
        found[key.lower()] = read_label(taxonomy, key.lower(), value)
    return QueryFilters(since=window_start(now, days), days=days, before=cut_of(now), **found)


def cut_of(now: datetime) -> datetime:
    """The cut: midnight UTC at the start of `now`'s day (no tenant has a time zone of its own).
    What others' reports show (top, stats, pattern <id>, search) counts only those filed before
    it: asked before and after a colleague files, an answer would otherwise tell their report's
    tags and pattern. Today's reports all come in together at the next midnight."""
    today = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    return today.replace(hour=0, minute=0, second=0, microsecond=0)


def window_start(now: datetime, days: int) -> datetime:
    """Where the last `days` days before the cut start: at midnight UTC on the day `days` days
    before `now`. A window starting to the minute would tell anyone who asks again as the clock
    moves the minute each report leaves it, and so when it was filed."""
    return cut_of(now) - timedelta(days=days)


def read_label(taxonomy: Taxonomy, axis: str, typed: str) -> str:
    """The label of the team, stage or kind (`axis`) that `typed` names: its label, title or an alias,
    in any case (`accounts` is finance). Otherwise one short line with the closest labels, since a
    slip (`financ`, `handoffs`) is the usual cause and the whole list hides the one they meant."""
    label = taxonomy.find(axis, typed)
    if label is not None:
        return label
    typed = typed.strip()
    close = taxonomy.closest(axis, typed) if typed else ()
    if close:
        guesses = " or ".join(f"`{axis}:{c}`" for c in close)
        raise InputError(f"`{typed}` is not a {axis} I know: did you mean {guesses}?")
    labels = {"team": taxonomy.team_labels, "stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels}[axis]
    what = f"`{typed}` is not a {axis} I know" if typed else f"`{axis}:` needs a {axis} after it"
    raise InputError(f"{what}; the {axis}s are {', '.join(labels)}.")


def _filter_words(words: Sequence[str]) -> list[str] | None:
    """The words as filters, a value of several words kept whole: `kind:duplicate entry` is one.

    A word that is neither a window nor `key:value` continues the filter before it (to _VALUE_WORDS
    words in all); None when it has none to continue, i.e. the words are not filters."""
    out: list[str] = []
    for word in words:
        if word.lower() in WINDOWS or _ARG.match(word):
            out.append(word)
        elif out and ":" in out[-1] and len(out[-1].split()) < _VALUE_WORDS:
            out[-1] = f"{out[-1]} {word}"
        else:
            return None
    return out


def _unknown_filter(arg: str) -> str:
    """What to say about a word `top` cannot use: the filter it nearly is, when there is one."""
    key, colon, value = arg.partition(":")
    close = difflib.get_close_matches(key.lower(), _FILTER_KEYS, n=1, cutoff=0.6) if colon else []
    if close:
        return f"I don't know the filter `{arg}`: did you mean `{close[0]}:{value}`?"
    if re.fullmatch(r"\d+d?", arg, re.IGNORECASE):
        return f"`{arg}` is not a window I keep: use 7d, 30d or 90d."
    return f"I don't know the filter `{arg}`. Use 7d, 30d or 90d and team:, stage: or kind:."
