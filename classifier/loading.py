"""Finding the kept model that fits a taxonomy's labels, and loading it with the taxonomy's rules.

A model trained for other labels is never loaded. Aliases, systems and cue words need no
retraining: the rule components are rebuilt from the current taxonomy at load time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.taxonomy import Taxonomy
from classifier.versions import FORMAT, kept_models, latest_version, read_meta

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import EntityRuler, TextCategorizer

__all__ = ["fits", "fitting_version", "follow_rules", "load_nlp"]

log = logging.getLogger("snag.classifier")


def fits(path: Path, taxonomy: Taxonomy) -> bool:
    """Whether the model at path was trained for the taxonomy's labels (read from its meta)."""
    from classifier.pipeline import textcat_labels

    try:
        meta = read_meta(path)
    except (OSError, ValueError):
        return False
    if meta.get("format") != FORMAT:
        return False
    if "labels" not in meta:  # written before the labels were noted: look inside
        return load_nlp(path, taxonomy) is not None
    return bool(meta["labels"] == textcat_labels(taxonomy))


def fitting_version(directory: Path, taxonomy: Taxonomy, verdicts: dict[str, bool] | None = None) -> str | None:
    """LATEST if it fits the taxonomy, else the newest kept model that does (None: no model fits)."""
    verdicts = {} if verdicts is None else verdicts
    latest = latest_version(directory)
    others = [p.name for p in kept_models(directory) if p.name != latest]
    for version in [latest, *others] if latest else others:
        if version not in verdicts:
            verdicts[version] = fits(directory / version, taxonomy)
            if not verdicts[version]:
                log.info("model %s was trained for other labels; not used with this taxonomy", version)
        if verdicts[version]:
            return version
    return None


def load_nlp(path: Path, taxonomy: Taxonomy) -> Language | None:
    """Load a model directory; None when it was trained for other labels or an older format."""
    import spacy

    from classifier import components  # noqa: F401  (registers the snag_* factories)
    from classifier.pipeline import TEXTCATS, textcat_labels

    meta = read_meta(path)
    if meta.get("format") != FORMAT:
        return None
    nlp = spacy.load(path)
    expected = textcat_labels(taxonomy)
    if any(list(cast("TextCategorizer", nlp.get_pipe(n)).labels) != expected[n] for n in TEXTCATS):
        return None
    follow_rules(nlp, taxonomy, meta.get("rules"))
    return nlp


def follow_rules(nlp: Language, taxonomy: Taxonomy, built_from: str | None) -> None:
    """Rebuild the rule components when the taxonomy's aliases, systems or cue words changed.

    The classifiers see a mention or a cue word by its label, never by its wording, so a
    changed alias or cue word takes effect at load time with no retraining.
    """
    from classifier.pipeline import alias_patterns, cue_words, rules_digest

    if built_from == rules_digest(taxonomy):
        return
    for name, exact in (("mentions", False), ("acronyms", True)):
        ruler = cast("EntityRuler", nlp.get_pipe(name))
        ruler.clear()
        ruler.add_patterns(alias_patterns(nlp, taxonomy, exact=exact))
    nlp.replace_pipe("cues", "snag_cues_v1", config={"cues": cue_words(taxonomy)})
