"""Pattern titles: keyphrases from the pattern's own words, redacted, never a person's name."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable

from bot.redact import redactor_with
from digests.engine import PatternState
from digests.features import stem, surface_forms

__all__ = ["redacted_again", "title_for", "title_words"]

MAX_TERMS = 4
# Words that group reports well enough but name nothing in a title ("Offboarding: cancelled, us, kit").
_NOT_IN_TITLES = frozenset(
    """us see saw seen seeing sees seem seems look looks looked looking put puts take takes taken took
    give gives given gave come comes came try tries tried trying keep keeps kept let ask asked asks
    ever never always much many will yet already sure right bit since without around across""".split()
)
_PLACEHOLDER = re.compile(r"(\[[a-z0-9_]+\])")  # split() keeps them: what a redaction already hid


def _same_word(term: str, stage_word: str) -> bool:
    """'deliver' and the stage 'Delivery' are one word; 'app' and 'Application' are not."""
    return term.startswith(stage_word) or (len(term) >= 5 and stage_word.startswith(term))


def _shown(state: PatternState, term: str) -> str:
    """A centroid term as a word: the word the pattern's own reports wrote most for it; for a
    pattern that holds none (grouped before they were kept), the word the shipped corpus wrote
    most; a concept token as its name."""
    word = state.surface(term) or surface_forms().get(term, term)
    return word.lstrip("@").replace("_", " ")


def title_words(state: PatternState, stage_title: str | None = None) -> list[str]:
    """The words a title may show: the heaviest, not the stage again, and only words two or more
    people wrote, as leaders may read their reports (sign-offs scrubbed: PatternState.shared).

    Two, not k: a title is shown only for a pattern with k reporters, and a word two of them wrote
    is no one person's, while asking k of them to write it would leave most titles without words.
    How often one person writes a word does not count: someone who signs every report with her
    name would title the pattern with it."""
    picked: list[str] = []
    stage_word = stem(stage_title.lower()) if stage_title else None
    for term, _ in sorted(state.words.items(), key=lambda kv: (-kv[1], kv[0])):
        if stage_word and _same_word(term, stage_word):  # "Billing: invoice", not "Billing: billing, invoice"
            continue
        word = _shown(state, term)
        if word in _NOT_IN_TITLES or term in _NOT_IN_TITLES:
            continue
        if not state.shared(term):  # one person's word: it may be their name
            continue
        if any(word in p or p in word or len(os.path.commonprefix([word, p])) >= 6 for p in picked):
            continue  # nor the same word twice ("approved, approval")
        picked.append(word)
        if len(picked) == MAX_TERMS:
            break
    return picked


def title_for(
    state: PatternState,
    stage_title: str | None = None,
    *,
    previous: str | None = None,
    redact: tuple[tuple[str, str], ...] = (),
) -> str:
    """E.g. 'Delivery: survey, photo, job pack'. Concept tokens show as their word.

    `previous` is the title the pattern had, given only when it was made under the same rule and
    stage. The pattern keeps it while at least half of its reports have no words left (the
    retention policy removed their texts: the title was made of their words, which can no longer
    be weighed), and whenever the words left have none to show; otherwise the words left title it.
    """
    picked = title_words(state, stage_title)
    if previous and (not picked or 2 * state.wordless >= state.n):
        return previous
    text = ", ".join(picked) or "reports"
    title = f"{stage_title}: {text}" if stage_title else text.capitalize()
    return redactor_with(redact).redact(title)[:200]


def redacted_again(title: str, redact: tuple[tuple[str, str], ...]) -> str:
    """A stored title with what the taxonomy's own redaction patterns hide now hidden, as capture
    hides it (what Snag hides of itself was hidden when it was written). Its [placeholders] stay
    as they are: a pattern matching one would wrap it again at every start ("[[sku]]")."""
    rules = _compiled(redact)
    if not any(pattern.search(title) for pattern, _ in rules):
        return title
    parts = _PLACEHOLDER.split(title)
    for i in range(0, len(parts), 2):
        for pattern, placeholder in rules:
            parts[i] = pattern.sub(placeholder, parts[i])
    return "".join(parts)


@functools.lru_cache(maxsize=8)
def _compiled(
    redact: tuple[tuple[str, str], ...],
) -> tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]:
    def placeholder(name: str) -> Callable[[re.Match[str]], str]:
        return lambda m: f"[{name}]" if m.end() > m.start() else ""  # an empty match replaces nothing

    return tuple((re.compile(pattern), placeholder(name)) for name, pattern in redact)
