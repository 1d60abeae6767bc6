"""A keyword tagger from the taxonomy alone: the fallback when no trained model is available."""

from __future__ import annotations

import re

from bot.domain import Tags
from bot.taxonomy import Taxonomy
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


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    escaped = sorted((re.escape(w.lower()) for w in words if w), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(escaped) + r")\b") if escaped else re.compile(r"(?!x)x")


class RuleClassifier:
    """Tags by keyword; confidence is low on purpose so people are asked about the stage."""

    version = "rules-1"

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._stages = [(s.label, _pattern(s.words + (s.label,))) for s in taxonomy.stages]
        self._teams = [(t.label, _pattern(t.aliases + (t.label,))) for t in taxonomy.teams]
        self._kinds = [
            (k.label, _pattern(k.words or _KIND_WORDS.get(k.label, (k.label.replace("_", " "),))))
            for k in taxonomy.kinds
        ]

    def classify(self, text: str) -> Tags:
        low = model_text(text).lower()
        stages = [label for label, rx in self._stages if rx.search(low)]
        teams = [label for label, rx in self._teams if rx.search(low)]
        kinds = [label for label, rx in self._kinds if rx.search(low)]
        if not kinds:
            kinds = [self.taxonomy.kind_labels[0]]
        confidence = {label: 0.5 for label in kinds + teams}
        stage = stages[0] if stages else None
        if stage:
            confidence[stage] = 0.5
        return Tags(
            stage=stage,
            kinds=tuple(kinds),
            teams=tuple(teams),
            handoff=None,
            confidence=confidence,
            source="rule",
            model_version=self.version,
            stage_uncertain=stage is None,
        )
