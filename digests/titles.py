"""Pattern titles: keyphrases from the pattern's own words, redacted, never a person's name."""

from __future__ import annotations

import os

from bot.redact import Redactor
from digests.engine import PatternState
from digests.features import stem, surface_forms

__all__ = ["title_for"]

_REDACTOR = Redactor()
MAX_TERMS = 4
MIN_SHARED_WEIGHT = 0.6  # above what one report alone can add (its vector has unit length)


def _same_word(term: str, stage_word: str) -> bool:
    """'deliver' and the stage 'Delivery' are one word; 'app' and 'Application' are not."""
    return term.startswith(stage_word) or (len(term) >= 5 and stage_word.startswith(term))


def title_for(state: PatternState, stage_title: str | None = None) -> str:
    """E.g. 'Delivery: survey, photo, job pack'. Concept tokens show as their word."""
    picked: list[str] = []
    stage_word = stem(stage_title.lower()) if stage_title else None
    for term, _ in sorted(state.words.items(), key=lambda kv: (-kv[1], kv[0])):
        if stage_word and _same_word(term, stage_word):  # "Billing: invoice", not "Billing: billing, invoice"
            continue
        word = surface_forms().get(term, term).lstrip("@").replace("_", " ")
        # A word only one report used may be a name; a pattern's title needs words it repeats.
        if state.n >= 3 and state.words[term] < MIN_SHARED_WEIGHT:
            continue
        if any(word in p or p in word or len(os.path.commonprefix([word, p])) >= 6 for p in picked):
            continue  # nor the same word twice ("approved, approval")
        picked.append(word)
        if len(picked) == MAX_TERMS:
            break
    text = ", ".join(picked) or "reports"
    title = f"{stage_title}: {text}" if stage_title else text.capitalize()
    return _REDACTOR.redact(title)[:200]
