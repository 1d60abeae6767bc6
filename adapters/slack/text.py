"""Slack mrkdwn: escaping user text so it shows literally, cutting it to Slack's limits, and
reading @mentions in the formatted text Slack sends."""

from __future__ import annotations

import re

__all__ = [
    "escape",
    "truncate",
    "split",
    "ELLIPSIS",
    "plain_label",
    "mentioned_users",
    "mention_labels",
    "without_mention",
]

ELLIPSIS = "…"
# Slack parses these words as broadcasts in some surfaces even without angle brackets.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_WORD_JOINER = "\u2060"
# A person's @mention as Slack sends it: <@U123>, or <@U123|sam> with a label.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>\n]*))?>")


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


def mentioned_users(text: str) -> tuple[str, ...]:
    """The user ids Slack's formatted text @mentions, each once, in order."""
    return tuple(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text or "")))


def mention_labels(text: str) -> dict[str, str]:
    """The label Slack gave each @mentioned user id, where it gave one (a slash command's
    `<@U123|sam>`: their user name)."""
    return {m.group(1): m.group(2).strip() for m in _MENTION.finditer(text or "") if (m.group(2) or "").strip()}


def without_mention(text: str, user: str | None) -> str:
    """Slack's formatted text with each @mention of `user` (Snag's own) made a space."""
    if not user:
        return text
    return _MENTION.sub(lambda m: " " if m.group(1) == user else m.group(0), text)
