"""A keyword tagger from the taxonomy alone: the fallback when no trained model is available."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from bot.domain import Tags
from bot.taxonomy import Label, Taxonomy
from classifier.text import model_text

__all__ = ["RuleClassifier"]

_KIND_WORDS = {
    "workaround": ("workaround", "by hand", "manually", "bypass", "hack", "patch"),
    "handoff": ("handoff", "hand off", "handover", "passed to", "sent over", "hand it"),
    "duplicate_entry": ("twice", "again", "re-enter", "retype", "re-key", "double entry"),
    "shadow_system": ("spreadsheet", "excel", "whatsapp", "sticky note", "tracker", "google sheet"),
    "waiting": ("waiting", "wait", "delay", "queue", "days", "weeks", "chase", "chasing"),
    "system_failure": ("down", "crash", "broken", "error", "slow", "outage", "bug", "not working"),
    "unclear_ownership": ("nobody", "no one", "not our job", "who owns", "bounced", "no owner"),
    "policy_conflict": ("target", "kpi", "policy", "rule", "metric", "sla"),
}


_NEVER = re.compile(r"(?!x)x")
# Scores of a guess from keywords. The stage keywords point at is only a score, under the bot's
# default confidence threshold (0.3): the reporter is always asked. Without a keyword there is
# no kind: a kind shown with nothing behind it would be confirmed ("Looks right") as an answer.
_MATCHED = 0.5
_STAGE_GUESS = 0.25


def _pattern(words: tuple[str, ...], *, exact: bool = False) -> re.Pattern[str]:
    """Whole words, any case (on lower-cased text) or, with exact=True, exactly as written."""
    escaped = sorted((re.escape(w if exact else w.lower()) for w in words if w), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(escaped) + r")\b") if escaped else _NEVER


def _is_acronym_word(alias: str) -> bool:
    """Capitals that are also an everyday word ('IT' is a team, 'it' is not), as in the pipeline."""
    return alias.isupper() and alias.lower() in STOP_WORDS


def _team_patterns(team: Label) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(any case, exact case) patterns: the pipeline's "mentions" and "acronyms" rulers."""
    label = team.label.replace("_", " ")
    names = (*team.aliases, "" if label in STOP_WORDS else label)
    exact = tuple(n for n in names if _is_acronym_word(n))
    return _pattern(tuple(n for n in names if n not in exact)), _pattern(exact, exact=True)


class RuleClassifier:
    """Tags by keyword. It only guesses: the stage is always left to the reporter, scores are low,
    and a report no kind's keywords match gets no kind (the reporter can add one with "Fix tags")."""

    version = "rules-1"

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._stages = [(s.label, _pattern(s.words + (s.label,))) for s in taxonomy.stages]
        self._teams = [(t.label, *_team_patterns(t)) for t in taxonomy.teams]
        self._kinds = [
            (k.label, _pattern(k.words or _KIND_WORDS.get(k.label, (k.label.replace("_", " "),))))
            for k in taxonomy.kinds
        ]

    def classify(self, text: str) -> Tags:
        """Keyword tags; the stage keywords point at is only a score, never the stage."""
        text = model_text(text)
        low = text.lower()
        stages = [label for label, rx in self._stages if rx.search(low)]
        teams = [label for label, loose, exact in self._teams if loose.search(low) or exact.search(text)]
        kinds = [label for label, rx in self._kinds if rx.search(low)]
        confidence = {label: _MATCHED for label in kinds}
        confidence |= {f"team:{label}": _MATCHED for label in teams}
        if stages:
            confidence[stages[0]] = _STAGE_GUESS
        return Tags(
            stage=None,
            kinds=tuple(kinds),
            teams=tuple(teams),
            handoff=None,
            confidence=confidence,
            source="rule",
            model_version=self.version,
            stage_uncertain=True,
        )
