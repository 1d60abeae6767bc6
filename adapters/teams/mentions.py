"""@mentions in Teams text: Snag's own removed, people as "@someone", teams, channels and tags by name.

Slack's rule (adapters/slack/inbound.py): a report keeps no colleague's name, but keeps the
channels and groups it names. Teams marks a mention as `<at>Name</at>` in a message's text,
described by the activity's `mention` entities, and as `<at id="0">Name</at>` in the HTML of a
message handed to the message extension, described by that message's `mentions`. Everything
around a mention is kept as it was written. Pure functions over plain dicts.

One line names a person: a manager's `own 5 <at>Dana Lee</at>`, whose owner every reporter of
the pattern reads. There (`in_message(..., named=True)`) a person is shown by the name their
mention entity gives, and "@someone" only when Teams gives none.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

__all__ = [
    "SOMEONE",
    "Mentioned",
    "replace_mentions",
    "names_self",
    "in_message",
    "in_extension",
    "people_in_message",
]

SOMEONE = "@someone"
_AT = re.compile(r"<at\b([^>]*)>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""\bid\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# What Teams puts between the halves of one name it split into two mentions ("Sam" "Jones").
_GAP = re.compile(r"(?:[ \t]|&nbsp;|&#160;|\u00a0)*", re.IGNORECASE)
_LEADING_GAP = re.compile(r"^(?:[ \t]|&nbsp;|&#160;|\u00a0)+", re.IGNORECASE)
_TRAILING_GAP = re.compile(r"(?:[ \t\n]|&nbsp;|&#160;|\u00a0)\Z", re.IGNORECASE)
_PLACES = {"tag", "team", "channel"}


@dataclass(frozen=True)
class Mentioned:
    """Who or what one `<at>` span names: Snag itself, a person, or a place (team, channel, tag)."""

    kind: str  # self | person | place | named (a person shown by name: a pattern's owner)
    key: str  # the same key on two adjacent spans: one name Teams split in two
    name: str = ""

    @property
    def shown(self) -> str:
        if self.kind == "self":
            return ""
        if self.kind == "named":
            return self.name or SOMEONE
        return f"@{self.name}" if self.kind == "place" and self.name else SOMEONE

    def joined(self, other: Mentioned) -> Mentioned:
        """One name from two adjacent spans of it; a person's whole name, given with each half, once.
        A person half of whose name Teams did not give has none (never half a name as an owner)."""
        if self.kind == "named" and other.name == self.name:
            return self
        if self.kind == "named" and not (self.name and other.name):
            return replace(self, name="")
        return replace(self, name=f"{self.name} {other.name}".strip())


Resolve = Callable[[re.Match[str]], Mentioned]


def replace_mentions(text: str, resolve: Resolve) -> str:
    """The text with every `<at>` span shown as `resolve` says; the words around it untouched."""
    pieces: list[str | Mentioned] = []
    at = 0
    for match in _AT.finditer(text):
        gap, mentioned = text[at : match.start()], resolve(match)
        last = pieces[-1] if pieces else None
        if isinstance(last, Mentioned) and last.key == mentioned.key and _GAP.fullmatch(gap):
            pieces[-1] = last.joined(mentioned)
        else:
            pieces += [gap, mentioned]
        at = match.end()
    pieces.append(text[at:])
    return _joined(pieces)


def names_self(text: str, resolve: Resolve) -> bool:
    """Whether one of the text's `<at>` spans is Snag's own."""
    return any(resolve(match).kind == "self" for match in _AT.finditer(text))


def _joined(pieces: Sequence[str | Mentioned]) -> str:
    """The pieces as text; where Snag's own mention goes, so does one of the spaces around it."""
    out, removed = "", False
    for piece in pieces:
        if isinstance(piece, Mentioned):
            removed = piece.kind == "self"
            out += piece.shown
            continue
        if removed and (not out or _TRAILING_GAP.search(out)):
            piece = _LEADING_GAP.sub("", piece)  # Teams writes the space after a mention as &nbsp;
        out, removed = out + piece, False
    return out


def _name(match: re.Match[str]) -> str:
    return _TAG.sub("", match.group(2)).strip()


def _unknown() -> Iterator[str]:
    """Keys of spans nothing describes: each a person of its own, never merged with the next."""
    return (f"unknown:{n}" for n in itertools.count())


def in_message(entities: Sequence[Mapping], bot: Mapping, *, named: bool = False) -> Resolve:
    """Spans of a message's text, described by its `mention` entities (taken in order, each once).

    `named`: a person is shown by the name their entity gives (a manager's `own` line), not "@someone"."""
    unused = [e for e in entities if str(e.get("type") or "").lower() == "mention"]
    unknown, bot_id, bot_name = _unknown(), str(bot.get("id") or ""), str(bot.get("name") or "")

    def resolve(match: re.Match[str]) -> Mentioned:
        name = _name(match)
        entity = _take(unused, lambda e: e.get("text") == match.group(0)) or _take(
            unused, lambda e: _mentioned(e).get("name") == name
        )
        if entity is None:  # Teams always describes a mention; without one, only Snag's name is known
            return Mentioned("self", "self") if name and name == bot_name else Mentioned("person", next(unknown))
        mentioned = _mentioned(entity)
        target = str(mentioned.get("id") or "")
        if target and target == bot_id:
            return Mentioned("self", "self")
        if str(mentioned.get("type") or "").lower() in _PLACES or target.startswith("19:"):  # 19: a thread
            return Mentioned("place", f"place:{target}", name or str(mentioned.get("name") or ""))
        key = f"person:{target}" if target else next(unknown)
        if named:  # the entity's name: the span may show a part of it (a last name taken out)
            return Mentioned("named", key, " ".join(str(mentioned.get("name") or "").split()))
        return Mentioned("person", key)

    return resolve


def people_in_message(entities: Sequence[Mapping], bot: Mapping) -> tuple[str, ...]:
    """The ids of the people a message's `mention` entities name, Snag and places aside, each once.

    The text shows each of them as "@someone"; an admin's `erase @sam` means this id. It is the id
    a Person gets (bot.inbound.user_of): the AAD object id when Teams gives one, else the channel id."""
    found: dict[str, None] = {}
    bot_id = str(bot.get("id") or "")
    for entity in entities:
        mentioned = _mentioned(entity)
        target = str(mentioned.get("id") or "")
        place = str(mentioned.get("type") or "").lower() in _PLACES or target.startswith("19:")
        if str(entity.get("type") or "").lower() != "mention" or not target or target == bot_id or place:
            continue
        found[str(mentioned.get("aadObjectId") or target)] = None
    return tuple(found)


def in_extension(mentions: Sequence[Mapping], bot: Mapping) -> Resolve:
    """Spans of a message given to the message extension, described by its `mentions` (by `id`)."""
    by_id = {str(m.get("id")): m for m in mentions if isinstance(m, Mapping)}
    unknown, app_id = _unknown(), str(bot.get("id") or "").removeprefix("28:")

    def resolve(match: re.Match[str]) -> Mentioned:
        found = _ID.search(match.group(1))
        mention = by_id.get(found.group(1)) if found else None
        if mention is None:
            return Mentioned("person", next(unknown))
        mentioned = _mentioned(mention)
        name = _name(match) or str(mention.get("mentionText") or "")
        for kind in ("conversation", "tag"):
            place = mentioned.get(kind)
            if isinstance(place, Mapping):
                return Mentioned("place", f"place:{place.get('id')}", name or str(place.get("displayName") or ""))
        application = mentioned.get("application")
        if isinstance(application, Mapping) and app_id and application.get("id") == app_id:
            return Mentioned("self", "self")
        who = next((v for v in (mentioned.get("user"), application) if isinstance(v, Mapping)), {})
        return Mentioned("person", f"person:{who['id']}" if who.get("id") else next(unknown))

    return resolve


def _mentioned(described: Mapping) -> Mapping:
    value = described.get("mentioned")
    return value if isinstance(value, Mapping) else {}


def _take(unused: list[Mapping], fits: Callable[[Mapping], bool]) -> Mapping | None:
    for i, entity in enumerate(unused):
        if fits(entity):
            return unused.pop(i)
    return None
