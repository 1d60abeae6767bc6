"""Cleaning what people type so every database accepts it and nothing is silently lost; excerpts of it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CleanText", "clean_report_text", "snippet", "has_words"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi overrides and isolates can make a report read differently from what was typed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CleanText:
    text: str
    truncated_from: int | None = None  # original length when cut
    rest: str = ""  # what was cut off, to give back to the person

    @property
    def empty(self) -> bool:
        return not self.text


def clean_report_text(raw: str, *, limit: int = 40_000) -> CleanText:
    """Remove what databases reject (NUL, lone surrogates), keep everything else."""
    text = _SURROGATE.sub("\ufffd", raw)
    text = _CONTROL.sub("", text)
    text = _BIDI_CONTROLS.sub("", text)
    text = unicodedata.normalize("NFC", text).strip()
    if not text.strip("\u200b\u200c\u200d\u2060\ufeff \t\r\n"):
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
