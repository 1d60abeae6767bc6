"""Text as the model sees it, the same in training and tagging."""

from __future__ import annotations

__all__ = ["model_text"]

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\u2013": "-",
        "\u2014": "-",
    }
)


def model_text(text: str) -> str:
    """Phones' curly quotes and dashes made plain, so "don\u2019t" meets the cue "don't"."""
    return text.translate(_TYPOGRAPHY)
