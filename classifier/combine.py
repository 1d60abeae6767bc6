"""The last step of the pipeline: scores and rule matches become one plain dict, doc._.tags."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import srsly
from spacy.tokens import Doc

from classifier.handoff import TEAM

__all__ = ["MIN_TAUGHT", "TagCombiner"]

_NONE = "__none__"
_AXES = ("stage", "kind", "team", "from", "to")
Side = str | None
# Training reports a label needs before the model's scores for it are used (see `taught`).
# The shipped data teaches every shipped label at least 69 times on every axis.
MIN_TAUGHT = 10
# The score of a label found by its cue words alone, as the rule tagger's (`rules.py`): a stage
# offered by its cue words is only a score, a kind found by them is a match.
_CUE_STAGE = 0.25
_CUE_KIND = 0.5


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
        # alias (lower case) -> [reports where its team was labelled, reports that could have]
        self._alias_stats: dict[str, list[int]] = {}
        # textcat label -> training reports that taught it as present; None: not known (a model
        # saved before the counts were kept), every label is treated as taught
        self.taught: dict[str, int] | None = None
        if not Doc.has_extension("tags"):
            Doc.set_extension("tags", default=None)

    @property
    def alias_stats(self) -> dict[str, list[int]]:
        return self._alias_stats

    @alias_stats.setter
    def alias_stats(self, stats: dict[str, list[int]]) -> None:
        """Set by training (`examples.alias_stats`), with the label counts it carries (`taught`)."""
        self._alias_stats = dict(stats)
        taught = getattr(stats, "taught", None)
        if taught is not None:
            self.taught = dict(taught)

    def is_taught(self, label: str) -> bool:
        """Whether enough training reports taught this textcat label to use the model's score for it."""
        return self.taught is None or self.taught.get(label, 0) >= MIN_TAUGHT

    def _team_taught(self, team: str) -> bool:
        """Whether the handoff model learnt this team as a side (either side counts)."""
        if self.taught is None:
            return True
        return self.taught.get(f"from:{team}", 0) + self.taught.get(f"to:{team}", 0) >= MIN_TAUGHT

    def alias_trust(self, alias: str) -> float:
        """How often a mention of this alias meant its team in training (1.0 when never seen)."""
        hits, seen = self.alias_stats.get(alias.lower(), (0, 0))
        return (hits + 1) / (seen + 1)

    def __call__(self, doc: Doc) -> Doc:
        scores = split_scores(doc.cats)
        cues: tuple[str, ...] = tuple(doc._.get("cues") or ()) if Doc.has_extension("cues") else ()
        stage, stage_score, trusted = self._stage(scores["stage"], cues)
        kinds = self._kinds(scores["kind"], cues)
        named = [(e.ent_id_, e.text) for e in doc.ents if e.label_ == TEAM]
        teams = self._teams(named, scores["team"])
        present = float(doc.cats.get("HANDOFF", 0.0)) >= self.t["handoff_threshold"]
        rule = doc._.get("handoff_rule") if Doc.has_extension("handoff_rule") else None
        handoff = self._by_rule(rule, teams, present)
        if handoff is None and present:
            handoff = self._handoff(named, teams, scores, rule)
        confidence = {k: round(v, 4) for k, v in kinds.items()}
        confidence.update({f"team:{k}": round(v, 4) for k, v in teams.items()})
        if stage is not None:
            confidence[stage] = round(stage_score, 4)
        doc._.tags = {
            "stage": stage,
            "stage_score": stage_score,
            "stage_trusted": trusted,
            "kinds": list(kinds),
            "teams": list(teams),
            "handoff": handoff,
            "confidence": confidence,
        }
        return doc

    def _stage(self, scores: dict[str, float], cues: tuple[str, ...]) -> tuple[str | None, float, bool]:
        """(stage, score, trusted). While a stage is untaught the model cannot pick it, so its
        stage is not trusted; a cue word of an untaught stage offers that stage instead."""
        if not scores:
            return None, 0.0, True
        best = max(scores, key=lambda k: scores[k])
        untaught = [s for s in scores if s != _NONE and not self.is_taught(f"stage:{s}")]
        if not untaught:
            return (None if best == _NONE else best), scores[best], True
        cued = Counter(c.removeprefix("stage:") for c in cues if c.startswith("stage:"))
        offered = max(untaught, key=lambda s: cued[s])  # the most cue words; ties: taxonomy order
        if cued[offered]:
            return offered, _CUE_STAGE, False
        return (None if best == _NONE else best), scores[best], False

    def _kinds(self, scores: dict[str, float], cues: tuple[str, ...]) -> dict[str, float]:
        kinds = {k: v for k, v in scores.items() if v >= self.t["kind_threshold"]}
        for kind in scores:  # a kind the model was not taught: its cue words, as the rule tagger
            if f"kind:{kind}" in cues and not self.is_taught(f"kind:{kind}"):
                kinds[kind] = max(kinds.get(kind, 0.0), _CUE_KIND)
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

    def _by_rule(
        self, rule: tuple[Side, Side] | None, teams: dict[str, float], present: bool
    ) -> tuple[Side, Side] | None:
        """The rule cue's (from, to) when it names a team the handoff model was not taught.

        The model cannot score such a side, and its P(handoff) misses the cue's team features
        too: a cue naming both sides decides that there is a handoff (82% of the shipped reports
        where the cue names both sides have one), a cue naming one side only where the model
        finds a handoff. Only sides the report names and its teams keep are used.
        """
        if rule is None:
            return None
        source, target = (side if side in teams else None for side in rule)
        if all(side is None or self._team_taught(side) for side in (source, target)):
            return None
        return (source, target) if present or (source is not None and target is not None) else None

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
        if self.taught is not None:
            srsly.write_json(path / "taught.json", self.taught)

    def from_disk(self, path: str | Path, *, exclude: Any = ()) -> TagCombiner:
        file = Path(path) / "alias_stats.json"
        stats = srsly.read_json(file) if file.exists() else {}
        self.alias_stats = {k: list(v) for k, v in stats.items()}
        taught = Path(path) / "taught.json"
        self.taught = {k: int(v) for k, v in srsly.read_json(taught).items()} if taught.exists() else None
        return self
