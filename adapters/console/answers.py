"""Reading what was typed at a question with fixed options (pure functions)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bot.commands import parse_command
from bot.domain import Choice
from bot.errors import UsageError

__all__ = ["Reading", "SENTENCE_WORDS", "close_to", "is_command", "read_answer"]

SENTENCE_WORDS = 3  # an answer this long that fits no option is something new the person said
Aliases = Mapping[str, str]  # extra words for an option, e.g. "y" for "yes"


@dataclass(frozen=True)
class Reading:
    picked: tuple[str, ...] = ()  # the option values chosen
    wrong: tuple[str, ...] = ()  # what fits no option (say so, ask again)
    new_line: bool = False  # no answer at all: a command, or something new to report


def read_answer(choice: Choice, answer: str, aliases: Aliases | None = None) -> Reading:
    """An answer as options picked, words that fit none, or a new line (command or report)."""
    aliases = aliases or {}
    tokens = _tokens(choice, answer, aliases)
    exact = [_match(choice, t, aliases) for t in tokens]
    if all(exact):
        return Reading(picked=_chosen(choice, exact))
    if is_command(answer):
        return Reading(new_line=True)
    loose = [m or _prefixed(choice, t) for m, t in zip(exact, tokens, strict=True)]
    wrong = tuple(t for m, t in zip(loose, tokens, strict=True) if not m)
    picked = _chosen(choice, loose)
    if len(tokens) >= SENTENCE_WORDS and (not picked or _sentence(choice, tokens, wrong, aliases)):
        return Reading(new_line=True)
    if not picked and not _attempt(answer) and not any(close_to(choice, t, aliases) for t in wrong):
        return Reading(new_line=True)
    return Reading(picked=picked, wrong=wrong)


def close_to(choice: Choice, token: str, aliases: Aliases | None = None) -> list[str]:
    """Labels of the options a mistyped word may mean ("biling" -> Billing, "s" -> Sales, Support)."""
    label = {o.value: o.label for o in choice.options}
    names = {_norm(o.label): o.label for o in choice.options}
    names |= {_norm(o.value): o.label for o in choice.options}
    names |= {word: label[value] for word, value in (aliases or {}).items() if value in label}
    low = _norm(token)
    hits = [names[n] for n in difflib.get_close_matches(low, names, n=3, cutoff=0.6)]
    hits += [shown for name, shown in names.items() if low and not low.isdigit() and name.startswith(low)]
    return list(dict.fromkeys(hits))


def is_command(line: str) -> bool:
    """Whether a line reads as a command (or a slip of one) rather than a report."""
    try:
        return parse_command(line).name != "report"
    except UsageError:
        return True


def _tokens(choice: Choice, answer: str, aliases: Aliases) -> list[str]:
    """The answer whole if it names an option ("duplicate entry"), else its comma parts or words."""
    if _match(choice, answer, aliases):
        return [answer]
    tokens: list[str] = []
    for part in (p.strip() for p in answer.split(",")):
        tokens += [part] if _match(choice, part, aliases) else part.split()
    return tokens


def _match(choice: Choice, token: str, aliases: Aliases) -> str | None:
    """The option a number, name or alias means."""
    low = _norm(token)
    if low in aliases:
        return aliases[low]
    if low.isdigit():
        number = int(low)
        return choice.options[number - 1].value if 1 <= number <= len(choice.options) else None
    return next((o.value for o in choice.options if low in (_norm(o.value), _norm(o.label))), None)


def _prefixed(choice: Choice, token: str) -> str | None:
    """The one option whose name starts with the token ("bill" -> billing, "y" -> yes)."""
    low = _norm(token)
    if not low or low.isdigit():
        return None
    hits = {o.value for o in choice.options if _norm(o.value).startswith(low) or _norm(o.label).startswith(low)}
    return hits.pop() if len(hits) == 1 else None


def _chosen(choice: Choice, values: list[str | None]) -> tuple[str, ...]:
    picked = tuple(dict.fromkeys(v for v in values if v))
    return picked if choice.multi else picked[:1]


def _sentence(choice: Choice, tokens: list[str], wrong: tuple[str, ...], aliases: Aliases) -> bool:
    """Words that are mostly no option nor a slip of one: a new report, though a "4" in it names an option.

    "the ward 4 letters wait 2 days" is a sentence; "4, stage 9" and "1, wrkaround, dupl" are answers.
    """
    words = [t for t in tokens if not _norm(t).isdigit()]
    stray = [t for t in wrong if not _norm(t).isdigit() and not close_to(choice, t, aliases)]
    return len(stray) >= 2 and 2 * len(stray) > len(words)


def _attempt(answer: str) -> bool:
    """One word or number, meant as an answer (a sentence written without spaces, as in Japanese, is not)."""
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in answer)
    return len(answer.split()) == 1 and (answer.isdigit() or answer.isalpha()) and len(answer) <= 20 and not wide


def _norm(text: str) -> str:
    return " ".join(text.lower().strip(" .!?").replace("_", " ").replace("-", " ").split())
