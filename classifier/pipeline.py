"""The spaCy pipeline: rules for teams, systems and handoff direction, trained text classifiers."""

from __future__ import annotations

import spacy
from spacy.language import Language

from bot.taxonomy import Label, Taxonomy
from classifier import components  # noqa: F401  (registers the snag_* factories)
from classifier.handoff import SYSTEM, TEAM

__all__ = [
    "NO_STAGE",
    "HANDOFF",
    "TEXTCATS",
    "RULE_PIPES",
    "build_nlp",
    "alias_patterns",
    "stage_labels",
    "handoff_labels",
    "textcat_labels",
]

NO_STAGE = "__none__"
HANDOFF = "HANDOFF"
TEXTCATS = ("stage", "kinds", "teams", "handoff")
RULE_PIPES = ("sentencizer", "mentions", "handoff_rules")
_BOW = {"@architectures": "snag.TextCatBOW.v1", "ngram_size": 2, "prefix_size": 5}
DEFAULT_LENGTH = 2**17


def _tokens(nlp: Language, alias: str) -> list[str]:
    return [t.text for t in nlp.make_doc(alias)]


def _pattern(nlp: Language, alias: str) -> list[dict]:
    """Case-insensitive, except short acronyms that are also words ('IT' is not 'it')."""
    words = _tokens(nlp, alias)
    acronym = alias.isupper() and (len(alias) <= 2 or alias.lower() in nlp.Defaults.stop_words)
    return [{"ORTH": w} if acronym else {"LOWER": w.lower()} for w in words]


def _label_alias(nlp: Language, label: str) -> str:
    """A label names its team too, unless it is an everyday word ('it')."""
    words = label.replace("_", " ")
    return "" if words in nlp.Defaults.stop_words else words


def alias_patterns(nlp: Language, taxonomy: Taxonomy) -> list[dict]:
    """Entity-ruler patterns for every team and system alias (and the label itself)."""
    groups: tuple[tuple[str, tuple[Label, ...]], ...] = (
        (TEAM, taxonomy.teams),
        (SYSTEM, taxonomy.systems),
    )
    patterns = []
    for kind, labels in groups:
        for item in labels:
            names = dict.fromkeys((*item.aliases, _label_alias(nlp, item.label)))
            names.pop("", None)
            for alias in names:
                patterns.append({"label": kind, "pattern": _pattern(nlp, alias), "id": item.label})
    return patterns


def stage_labels(taxonomy: Taxonomy) -> list[str]:
    """Stage textcat labels; doc.cats is shared by every textcat, so each axis has a prefix."""
    return [f"stage:{s}" for s in (*taxonomy.stage_labels, NO_STAGE)]


def handoff_labels(taxonomy: Taxonomy) -> list[str]:
    sides = [f"{side}:{team}" for side in ("from", "to") for team in taxonomy.team_labels]
    return [HANDOFF, *sides]


def textcat_labels(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """The labels of each textcat, prefixed by axis."""
    return {
        "stage": stage_labels(taxonomy),
        "kinds": [f"kind:{k}" for k in taxonomy.kind_labels],
        "teams": [f"team:{t}" for t in taxonomy.team_labels],
        "handoff": handoff_labels(taxonomy),
    }


def build_nlp(taxonomy: Taxonomy, *, length: int = DEFAULT_LENGTH) -> Language:
    """A blank English pipeline with the rule components and untrained classifiers."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", name="mentions", config={"validate": True})
    ruler.add_patterns(alias_patterns(nlp, taxonomy))  # type: ignore[attr-defined]
    nlp.add_pipe("snag_handoff_v1", name="handoff_rules")
    exclusive = {"stage": True, "kinds": False, "teams": False, "handoff": False}
    labels = textcat_labels(taxonomy)
    for name in TEXTCATS:
        factory = "textcat" if exclusive[name] else "textcat_multilabel"
        model = {**_BOW, "length": length, "exclusive_classes": exclusive[name]}
        pipe = nlp.add_pipe(factory, name=name, config={"model": model, "threshold": 0.5})
        for label in labels[name]:
            pipe.add_label(label)  # type: ignore[attr-defined]
    nlp.add_pipe("snag_tags_v1", name="tags")
    return nlp
