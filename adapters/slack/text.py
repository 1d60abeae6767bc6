"""Slack mrkdwn: escaping user text so it shows literally, and cutting it to Slack's limits."""

from __future__ import annotations

import re

__all__ = ["escape", "truncate", "split", "ELLIPSIS", "plain_label"]

ELLIPSIS = "…"
# Slack parses these words as broadcasts in some surfaces even without angle brackets.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Escape &, < and > (so <!channel>, <@U1> and <url|label> show literally) and defuse @here."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), out)


def _safe_cut(escaped: str, at: int) -> int:
    """Move a cut point back so it never splits an &amp; / &lt; / &gt; entity."""
    partial = _PARTIAL_ENTITY.search(escaped[max(0, at - 4) : at])
    return at - len(partial.group(0)) if partial else at


def truncate(escaped: str, limit: int) -> str:
    """Cut already-escaped text to `limit` characters, ending with a visible ellipsis."""
    if len(escaped) <= limit:
        return escaped
    cut = _safe_cut(escaped, limit - len(ELLIPSIS))
    return escaped[:cut].rstrip() + ELLIPSIS


def split(escaped: str, limit: int) -> list[str]:
    """Split already-escaped text into pieces of at most `limit`, at line or word breaks."""
    pieces: list[str] = []
    rest = escaped
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = _safe_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def plain_label(text: str, limit: int) -> str:
    """Text for a plain_text object (button, option, title), cut with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + ELLIPSIS
