"""The spaCy pipeline: rules for teams, systems and handoff direction, trained text classifiers."""

from __future__ import annotations

import hashlib
import json
import warnings

import spacy
from spacy.language import Language

from bot.taxonomy import Label, Taxonomy
from classifier import components  # noqa: F401  (registers the snag_* factories)
from classifier.handoff import SYSTEM, TEAM

__all__ = [
    "NO_STAGE",
    "NO_TEAM",
    "HANDOFF",
    "TEXTCATS",
    "RULE_PIPES",
    "build_nlp",
    "alias_patterns",
    "stage_labels",
    "handoff_labels",
    "textcat_labels",
    "cue_words",
    "rules_digest",
]

NO_STAGE = "__none__"
NO_TEAM = "__none__"
HANDOFF = "HANDOFF"
TEXTCATS = ("stage", "kinds", "teams", "handoff")
RULE_PIPES = ("mentions", "acronyms", "cues", "handoff_rules")
_BOW = {"@architectures": "snag.TextCatBOW.v1", "ngram_size": 2, "prefix_size": 5}
DEFAULT_LENGTH = 2**17
# Character 3-5-grams per classifier: they catch typos in team names, but for stage, kinds and
# handoff they learned the wording of the training industries (-2 points of stage and of
# kinds on an unseen industry, +1 stage on dev).
CHAR_NGRAMS = {"stage": (0, 0), "kinds": (0, 0), "teams": (3, 5), "handoff": (0, 0)}
# An empty ruler of ours is normal: "acronyms" holds only the capitalised aliases that are also
# words (IT, AM), which most taxonomies do not have. spaCy warns of it (W036) on stderr, in
# `snag classify` and into the `snag chat` terminal.
warnings.filterwarnings("ignore", message=r"\[W036\] The component '(acronyms|mentions)' ")


def _is_acronym_word(nlp: Language, alias: str) -> bool:
    """Capitals that are also an everyday word ('IT' is a team, 'it' is not)."""
    return alias.isupper() and alias.lower() in nlp.Defaults.stop_words


def _label_alias(nlp: Language, label: str) -> str:
    """A label names its team too, unless it is an everyday word ('it')."""
    words = label.replace("_", " ")
    return "" if words in nlp.Defaults.stop_words else words


def alias_patterns(nlp: Language, taxonomy: Taxonomy, *, exact: bool = False) -> list[dict]:
    """Phrase patterns for every team and system alias (and the label itself).

    exact=False: the aliases matched on lower case; exact=True: the capitals that are
    also words, matched on their exact text. Both are phrase patterns: hash lookups.
    """
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
                if _is_acronym_word(nlp, alias) == exact:
                    patterns.append({"label": kind, "pattern": alias, "id": item.label})
    return patterns


def cue_words(taxonomy: Taxonomy) -> list[list[str]]:
    """[prefixed label, word, word, ...] for every stage and kind with cue words."""
    cues = [[f"stage:{s.label}", *s.words] for s in taxonomy.stages if s.words]
    return cues + [[f"kind:{k.label}", *k.words] for k in taxonomy.kinds if k.words]


def rules_digest(taxonomy: Taxonomy) -> str:
    """A digest of what the rule components are built from: labels, aliases, systems, cue words."""
    groups = (taxonomy.stages, taxonomy.kinds, taxonomy.teams, taxonomy.systems)
    content = [[(item.label, item.aliases, item.words) for item in group] for group in groups]
    return hashlib.sha1(json.dumps(content).encode()).hexdigest()


def stage_labels(taxonomy: Taxonomy) -> list[str]:
    """Stage textcat labels; doc.cats is shared by every textcat, so each axis has a prefix."""
    return [f"stage:{s}" for s in (*taxonomy.stage_labels, NO_STAGE)]


def handoff_labels(taxonomy: Taxonomy) -> list[str]:
    """Whether there is a handoff, and each side's team (or none: only one side is known)."""
    teams = (*taxonomy.team_labels, NO_TEAM)
    return [HANDOFF, *(f"{side}:{team}" for side in ("from", "to") for team in teams)]


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
    for name, attr, exact in (("mentions", "LOWER", False), ("acronyms", "ORTH", True)):
        config = {"validate": True, "phrase_matcher_attr": attr, "overwrite_ents": False}
        ruler = nlp.add_pipe("entity_ruler", name=name, config=config)
        ruler.add_patterns(alias_patterns(nlp, taxonomy, exact=exact))  # type: ignore[attr-defined]
    nlp.add_pipe("snag_cues_v1", name="cues", config={"cues": cue_words(taxonomy)})
    nlp.add_pipe("snag_handoff_v1", name="handoff_rules")
    exclusive = {"stage": True, "kinds": False, "teams": False, "handoff": False}
    labels = textcat_labels(taxonomy)
    for name in TEXTCATS:
        factory = "textcat" if exclusive[name] else "textcat_multilabel"
        char_min, char_max = CHAR_NGRAMS[name]
        model = {**_BOW, "length": length, "exclusive_classes": exclusive[name]}
        model.update(char_min=char_min, char_max=char_max)
        pipe = nlp.add_pipe(factory, name=name, config={"model": model, "threshold": 0.5})
        for label in labels[name]:
            pipe.add_label(label)  # type: ignore[attr-defined]
    nlp.add_pipe("snag_tags_v1", name="tags")
    return nlp
