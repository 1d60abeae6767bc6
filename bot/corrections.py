"""Turning a person's answers on the fix-tags form into tags, checked against the taxonomy."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import Handoff, Tags
from bot.errors import InputError
from bot.taxonomy import Taxonomy

__all__ = ["AXES", "PERSON", "answered_axes", "corrected_tags", "person_source"]

AXES = ("stage", "kinds", "teams", "handoff")
PERSON = "person"  # the source of tags a person set on every axis


def person_source(axes: tuple[str, ...]) -> str:
    """The source of a person's answer: 'person' for every axis, else 'person:stage,teams'."""
    chosen = [a for a in AXES if a in axes]
    return PERSON if len(chosen) == len(AXES) else f"{PERSON}:{','.join(chosen)}"


def answered_axes(source: str | None) -> tuple[str, ...]:
    """The axes a person set, read back from a source written by `person_source`."""
    head, _, listed = (source or "").partition(":")
    if head != PERSON:
        return ()
    return AXES if not listed else tuple(a for a in AXES if a in listed.split(","))


def corrected_tags(tx: Taxonomy, base: Tags, values: dict[str, object], *, partial: bool) -> Tags:
    """The tags a person chose; with `partial`, fields they did not touch stay as they were.

    Where a form asks for labels typed in a text box (a Teams card holds only so many choices),
    people write "Finance, it": each value is trimmed, empty ones are ignored, and a label, its
    title or an alias in any case names its label (Taxonomy.find); an unknown one is refused by name."""

    def label(key: str, axis: str, typed: str) -> str:
        found = tx.find(axis, typed)
        if found is None:
            raise InputError(f"'{typed}' is not a {key} in this taxonomy.")
        return found

    def one(key: str, axis: str, current: str | None) -> str | None:
        if key not in values:
            return current if partial else None
        raw = values[key]
        typed = str(raw).strip() if raw is not None else ""
        return None if typed in ("", "none") else label(key.replace("_", " "), axis, typed)

    def many(key: str, current: tuple[str, ...]) -> tuple[str, ...]:
        if key not in values:
            return current
        typed = [i.strip() for s in _answers(values[key]) for i in str(s).split(",")]
        return tuple(dict.fromkeys(label(key[:-1], key[:-1], i) for i in typed if i))

    current_from = base.handoff.from_team if base.handoff else None
    current_to = base.handoff.to_team if base.handoff else None
    h_from = one("handoff_from", "team", current_from)
    h_to = one("handoff_to", "team", current_to)
    return Tags(
        stage=one("stage", "stage", base.stage),
        kinds=many("kinds", base.kinds),
        teams=many("teams", base.teams),
        handoff=Handoff(h_from, h_to) if (h_from or h_to) else None,
        confidence={},
        source="person",
    )


def _answers(raw: object) -> list[object]:
    """A form field's answer as a list: one string, a list of them, or nothing."""
    if isinstance(raw, str):
        return [raw]
    if not raw:
        return []
    if not isinstance(raw, Iterable):
        raise TypeError(f"a form answer should be text or a list, not {type(raw).__name__}")
    return list(raw)
