"""Custom spaCy components, registered under versioned names.

- `snag_cues_v1`: marks the taxonomy's cue words for stages and kinds.
- `snag_handoff_v1`: handoff direction from word patterns around team mentions.
- `snag_tags_v1`: combines the textcat scores with the rule matches into one plain dict,
  `doc._.tags`, so nothing spaCy-specific crosses into bot/.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from classifier import features  # noqa: F401  (registers snag.TextCatBOW.v1)
from classifier.combine import TagCombiner
from classifier.handoff import HandoffRules

__all__ = [
    "CueMatcher",
    "make_cue_matcher",
    "make_handoff_rules",
    "make_tag_combiner",
]


@Language.factory("snag_cues_v1", default_config={"cues": []})
def make_cue_matcher(nlp: Language, name: str, cues: list[list[str]]) -> CueMatcher:
    """Marks the taxonomy's cue words for stages and kinds (features for the classifiers)."""
    return CueMatcher(nlp, name, cues)


class CueMatcher:
    """Sets doc._.cues to the labels whose cue words occur in the text, once per occurrence."""

    def __init__(self, nlp: Language, name: str, cues: list[list[str]]) -> None:
        """cues: one [label, word, word, ...] list per label."""
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for label, *words in cues:
            # spaCy types nlp.tokenizer as a plain callable; it is a Tokenizer, which has pipe()
            self.matcher.add(label, list(nlp.tokenizer.pipe(words)))  # type: ignore[union-attr]
        if not Doc.has_extension("cues"):
            Doc.set_extension("cues", default=())

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        doc._.cues = tuple(strings[match_id] for match_id, _, _ in self.matcher(doc))
        return doc


@Language.factory("snag_handoff_v1")
def make_handoff_rules(nlp: Language, name: str) -> HandoffRules:
    """Handoff direction from cues like 'passed to X', 'from X to Y', 'waiting on X'."""
    return HandoffRules(nlp, name)


@Language.factory(
    "snag_tags_v1",
    default_config={
        "kind_threshold": 0.25,
        "team_threshold": 0.4,
        "handoff_threshold": 0.75,
        "order_bonus": 2.5,
        "rule_bonus": 2.0,
        "min_alias_trust": 0.5,
    },
)
def make_tag_combiner(
    nlp: Language,
    name: str,
    kind_threshold: float,
    team_threshold: float,
    handoff_threshold: float,
    order_bonus: float,
    rule_bonus: float,
    min_alias_trust: float,
) -> TagCombiner:
    """Turns textcat scores and rule matches into doc._.tags."""
    thresholds = dict(locals())
    del thresholds["nlp"], thresholds["name"]
    return TagCombiner(name, thresholds)
