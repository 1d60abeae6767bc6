"""Custom spaCy components, registered under versioned names.

- `snag_handoff_v1`: handoff direction from word patterns around team mentions.
- `snag_tags_v1`: combines the textcat scores with the rule matches into one plain dict,
  `doc._.tags`, so nothing spaCy-specific crosses into bot/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from classifier import features  # noqa: F401  (registers snag.TextCatBOW.v1)
from classifier.handoff import TEAM, HandoffRules

__all__ = ["TagCombiner", "make_handoff_rules", "make_tag_combiner"]

_NONE_STAGE = "stage:__none__"


@Language.factory("snag_handoff_v1")
def make_handoff_rules(nlp: Language, name: str) -> HandoffRules:
    """Handoff direction from cues like 'passed to X', 'from X to Y', 'waiting on X'."""
    return HandoffRules(nlp, name)


@Language.factory(
    "snag_tags_v1",
    default_config={
        "kind_threshold": 0.5,
        "team_threshold": 0.5,
        "handoff_threshold": 0.5,
        "rule_handoff_threshold": 0.3,
        "side_threshold": 0.3,
        "min_alias_trust": 0.5,
    },
)
def make_tag_combiner(
    nlp: Language,
    name: str,
    kind_threshold: float,
    team_threshold: float,
    handoff_threshold: float,
    rule_handoff_threshold: float,
    side_threshold: float,
    min_alias_trust: float,
) -> TagCombiner:
    """Turns textcat scores and rule matches into doc._.tags."""
    thresholds = dict(locals())
    del thresholds["nlp"], thresholds["name"]
    return TagCombiner(name, thresholds)


class TagCombiner:
    """Decides stage, kinds, teams and handoff from the scores in doc.cats and the rule matches."""

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
        cats = doc.cats
        stage, stage_score = self._stage(cats)
        kinds = self._kinds(cats)
        teams = self._teams(doc, cats)
        handoff = self._handoff(doc, cats)
        for side in handoff or ():
            if side is not None and side not in teams:
                teams[side] = max(cats.get(f"team:{side}", 0.0), self.t["team_threshold"])
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

    def _stage(self, cats: dict[str, float]) -> tuple[str | None, float]:
        scores = {k: v for k, v in cats.items() if k.startswith("stage:")}
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda k: scores[k])
        return (None if best == _NONE_STAGE else best[6:]), float(scores[best])

    def _kinds(self, cats: dict[str, float]) -> dict[str, float]:
        scores = {k[5:]: float(v) for k, v in cats.items() if k.startswith("kind:")}
        if not scores:
            return {}
        kinds = {k: v for k, v in scores.items() if v >= self.t["kind_threshold"]}
        if not kinds:  # every report has at least one kind
            best = max(scores, key=lambda k: scores[k])
            kinds = {best: scores[best]}
        return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))

    def _teams(self, doc: Doc, cats: dict[str, float]) -> dict[str, float]:
        scores = {k[5:]: float(v) for k, v in cats.items() if k.startswith("team:")}
        for ent in doc.ents:
            if ent.label_ == TEAM:
                trust = self.alias_trust(ent.text)
                if trust >= self.t["min_alias_trust"]:
                    scores[ent.ent_id_] = max(scores.get(ent.ent_id_, 0.0), trust)
        return {k: v for k, v in scores.items() if v >= self.t["team_threshold"]}

    def _handoff(self, doc: Doc, cats: dict[str, float]) -> tuple[str | None, str | None] | None:
        present = cats.get("HANDOFF", 0.0)
        rule = doc._.get("handoff_rule") if Doc.has_extension("handoff_rule") else None
        if rule is not None and present >= self.t["rule_handoff_threshold"]:
            return rule
        if present < self.t["handoff_threshold"]:
            return None
        return self._sides(cats)

    def _sides(self, cats: dict[str, float]) -> tuple[str | None, str | None] | None:
        def ranked(side: str) -> list[tuple[float, str]]:
            found = [(float(v), k.split(":", 1)[1]) for k, v in cats.items() if k.startswith(side)]
            return sorted((s for s in found if s[0] >= self.t["side_threshold"]), reverse=True)

        froms, tos = ranked("from:"), ranked("to:")
        source = froms[0] if froms else None
        target = tos[0] if tos else None
        if source and target and source[1] == target[1]:
            if source[0] >= target[0]:
                target = tos[1] if len(tos) > 1 else None
            else:
                source = froms[1] if len(froms) > 1 else None
        if source is None and target is None:
            return None
        return (source[1] if source else None, target[1] if target else None)

    def to_disk(self, path: str | Path, *, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "alias_stats.json", self.alias_stats)

    def from_disk(self, path: str | Path, *, exclude: Any = ()) -> TagCombiner:
        file = Path(path) / "alias_stats.json"
        self.alias_stats = (
            {k: list(v) for k, v in srsly.read_json(file).items()} if file.exists() else {}
        )
        return self
