"""Precision, recall and F1 per label, macro and micro averages, handoff accuracy, confusion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.domain import Tags
from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport

__all__ = ["Score", "Evaluation", "evaluate", "AXES"]

AXES = ("stage", "kinds", "teams")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Evaluation:
    labels: dict[str, dict[str, Score]]
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    handoff_right: int = 0
    handoff_gold: int = 0
    handoff_gold_right: int = 0
    reports: int = 0

    def macro(self, axis: str) -> float:
        """Mean F1 over the labels that occur in the gold or the predictions."""
        used = [s for s in self.labels[axis].values() if s.tp + s.fp + s.fn]
        return sum(s.f1 for s in used) / len(used) if used else 0.0

    def micro(self, axis: str) -> Score:
        total = Score()
        for s in self.labels[axis].values():
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
        return total

    @property
    def handoff_exact(self) -> float:
        """Share of reports whose (from, to), or its absence, is exactly right."""
        return self.handoff_right / self.reports if self.reports else 0.0

    @property
    def handoff_exact_when_present(self) -> float:
        """Share of reports with a gold handoff whose (from, to) is exactly right."""
        return self.handoff_gold_right / self.handoff_gold if self.handoff_gold else 0.0

    def summary(self) -> dict[str, float]:
        """The headline figures, rounded."""
        return {
            "stage_macro_f1": round(self.macro("stage"), 4),
            "stage_accuracy": round(self.stage_accuracy, 4),
            "kinds_micro_f1": round(self.micro("kinds").f1, 4),
            "kinds_macro_f1": round(self.macro("kinds"), 4),
            "teams_micro_f1": round(self.micro("teams").f1, 4),
            "teams_macro_f1": round(self.macro("teams"), 4),
            "handoff_exact": round(self.handoff_exact, 4),
            "handoff_exact_when_present": round(self.handoff_exact_when_present, 4),
        }

    @property
    def stage_accuracy(self) -> float:
        right = sum(n for (g, p), n in self.confusion.items() if g == p)
        return right / self.reports if self.reports else 0.0


def _count(scores: dict[str, Score], gold: Iterable[str], predicted: Iterable[str]) -> None:
    g, p = set(gold), set(predicted)
    for label in g | p:
        score = scores.setdefault(label, Score())
        score.tp += label in g and label in p
        score.fp += label in p and label not in g
        score.fn += label in g and label not in p


def evaluate(gold: Sequence[LabelledReport], predicted: Sequence[Tags], taxonomy: Taxonomy) -> Evaluation:
    """Compare predicted tags to the gold labels, report by report."""
    labels = {
        "stage": {s: Score() for s in taxonomy.stage_labels},
        "kinds": {k: Score() for k in taxonomy.kind_labels},
        "teams": {t: Score() for t in taxonomy.team_labels},
    }
    result = Evaluation(labels=labels, reports=len(gold))
    for report, tags in zip(gold, predicted, strict=True):
        _count(
            labels["stage"],
            [report.stage] if report.stage else [],
            [tags.stage] if tags.stage else [],
        )
        _count(labels["kinds"], report.kinds, tags.kinds)
        _count(labels["teams"], report.teams, tags.teams)
        result.confusion[(report.stage or "null", tags.stage or "null")] += 1
        pair = (tags.handoff.from_team, tags.handoff.to_team) if tags.handoff else None
        result.handoff_right += pair == report.handoff
        if report.handoff:
            result.handoff_gold += 1
            result.handoff_gold_right += pair == report.handoff
    return result
