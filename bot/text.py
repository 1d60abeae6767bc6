"""Cleaning what people type so every database accepts it and nothing is silently lost; excerpts of it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CleanText", "clean_report_text", "visible", "snippet", "has_words"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi overrides and isolates can make a report read differently from what was typed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that show nothing yet split a word for the tagger ("finance\u200b" is no longer
# "finance"): soft hyphen, zero-width space, word joiner, invisible operators, byte order mark.
# Dropping them loses nothing the person can see.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060-\u2064\ufeff]")
# Zero-width (non-)joiners shape Persian, Arabic and Indic words and join emoji ("👩\u200d💻"): kept
# there, dropped only between Latin letters, digits, punctuation or spaces, where they show nothing.
_LATIN_JOINER = re.compile("(?<![^\x00-\u024f])[\u200c\u200d]+(?![^\x00-\u024f])")


@dataclass(frozen=True)
class CleanText:
    text: str
    truncated_from: int | None = None  # original length when cut
    rest: str = ""  # what was cut off, to give back to the person

    @property
    def empty(self) -> bool:
        return not self.text


def visible(text: str) -> str:
    """The text without the characters that show nothing and only split words (zero-width
    space, soft hyphen, word joiner, byte order mark; a joiner between Latin letters)."""
    return _LATIN_JOINER.sub("", _INVISIBLE.sub("", text))


def clean_report_text(raw: str, *, limit: int = 40_000) -> CleanText:
    """Remove what databases reject (NUL, lone surrogates) and what shows nothing (`visible`), in
    one normal form (NFC), so the tagger reads what the person sees; keep everything else."""
    text = _SURROGATE.sub("\ufffd", raw)
    text = _CONTROL.sub("", text)
    text = _BIDI_CONTROLS.sub("", text)
    text = unicodedata.normalize("NFC", visible(text)).strip()
    if not text:
        return CleanText("")
    if len(text) > limit:
        return CleanText(text[:limit], truncated_from=len(text), rest=text[limit:])
    return CleanText(text)


def snippet(text: str, limit: int = 140) -> str:
    """A one-line excerpt with a visible ellipsis when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def has_words(text: str, words: Sequence[str]) -> bool:
    """Whether every word starts a word of the text, in any case: a prefix finds plurals and
    endings ("refund": "refunds"), never the inside of another word ("cat": "certificate")."""
    folded = text.casefold()
    return all(re.search(r"(?<!\w)" + re.escape(word.casefold()), folded) for word in words)
