"""The last step of the pipeline: scores and rule matches become one plain dict, doc._.tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import srsly
from spacy.tokens import Doc

from classifier.handoff import TEAM

__all__ = ["TagCombiner"]

_NONE = "__none__"
_AXES = ("stage", "kind", "team", "from", "to")
Side = str | None


def split_scores(cats: dict[str, float]) -> dict[str, dict[str, float]]:
    """doc.cats by axis, prefixes removed: {"kind": {"waiting": 0.8, ...}, ...}."""
    axes: dict[str, dict[str, float]] = {axis: {} for axis in _AXES}
    for key, value in cats.items():
        axis, _, label = key.partition(":")
        if axis in axes:
            axes[axis][label] = float(value)
    return axes


class TagCombiner:
    """Decides stage, kinds, teams and handoff from the textcat scores and the rule matches."""

    def __init__(self, name: str, thresholds: dict[str, float]) -> None:
        self.name = name
        self.t = thresholds
        # alias (lower case) -> [reports where its team was labelled, reports it appeared in]
        self.alias_stats: dict[str, list[int]] = {}
        if not Doc.has_extension("tags"):
            Doc.set_extension("tags", default=None)

    def alias_trust(self, alias: str) -> float:
        """How often a mention of this alias meant its team in training (1.0 when never seen)."""
        hits, seen = self.alias_stats.get(alias.lower(), (0, 0))
        return (hits + 1) / (seen + 1)

    def __call__(self, doc: Doc) -> Doc:
        scores = split_scores(doc.cats)
        stage, stage_score = self._stage(scores["stage"])
        kinds = self._kinds(scores["kind"])
        named = [(e.ent_id_, e.text) for e in doc.ents if e.label_ == TEAM]
        teams = self._teams(named, scores["team"])
        present = float(doc.cats.get("HANDOFF", 0.0)) >= self.t["handoff_threshold"]
        rule = doc._.get("handoff_rule") if Doc.has_extension("handoff_rule") else None
        handoff = self._handoff(named, teams, scores, rule) if present else None
        confidence = {k: round(v, 4) for k, v in kinds.items()}
        confidence.update({f"team:{k}": round(v, 4) for k, v in teams.items()})
        if stage is not None:
            confidence[stage] = round(stage_score, 4)
        doc._.tags = {
            "stage": stage,
            "stage_score": stage_score,
            "kinds": list(kinds),
            "teams": list(teams),
            "handoff": handoff,
            "confidence": confidence,
        }
        return doc

    @staticmethod
    def _stage(scores: dict[str, float]) -> tuple[str | None, float]:
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda k: scores[k])
        return (None if best == _NONE else best), scores[best]

    def _kinds(self, scores: dict[str, float]) -> dict[str, float]:
        kinds = {k: v for k, v in scores.items() if v >= self.t["kind_threshold"]}
        if not kinds and scores:  # every report has at least one kind
            best = max(scores, key=lambda k: scores[k])
            kinds = {best: scores[best]}
        return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))

    def _teams(self, named: list[tuple[str, str]], scores: dict[str, float]) -> dict[str, float]:
        """The model's teams, plus every team named by an alias that training found reliable."""
        scores = dict(scores)
        for team, text in named:
            trust = self.alias_trust(text)
            if trust >= self.t["min_alias_trust"]:
                scores[team] = max(scores.get(team, 0.0), trust)
        return {k: v for k, v in scores.items() if v >= self.t["team_threshold"]}

    def _handoff(
        self,
        named: list[tuple[str, str]],
        teams: dict[str, float],
        scores: dict[str, dict[str, float]],
        rule: tuple[Side, Side] | None,
    ) -> tuple[Side, Side] | None:
        """The likeliest (from, to) among the report's teams; work usually flows in the
        order teams are named, and a rule cue that agrees counts extra."""
        ranked = dict.fromkeys([t for t, _ in named if t in teams] + list(teams))
        order = {team: i for i, team in enumerate(ranked)}
        sides: list[Side] = [*order, None]
        best, best_score = None, 0.0
        for source in sides:
            for target in sides:
                if source == target:
                    continue
                score = scores["from"].get(source or _NONE, 0.0) * scores["to"].get(target or _NONE, 0.0)
                if source is not None and target is not None and order[source] < order[target]:
                    score *= self.t["order_bonus"]
                if rule is not None and tuple(rule) == (source, target):
                    score *= self.t["rule_bonus"]
                if score > best_score:
                    best, best_score = (source, target), score
        return best

    def to_disk(self, path: str | Path, *, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "alias_stats.json", self.alias_stats)

    def from_disk(self, path: str | Path, *, exclude: Any = ()) -> TagCombiner:
        file = Path(path) / "alias_stats.json"
        stats = srsly.read_json(file) if file.exists() else {}
        self.alias_stats = {k: list(v) for k, v in stats.items()}
        return self
