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
    """The tags a person chose; with `partial`, fields they did not touch stay as they were."""

    def one(key: str, allowed: tuple[str, ...], current: str | None) -> str | None:
        if key not in values:
            return current if partial else None
        raw = values[key]
        value = str(raw) if raw not in (None, "", "none") else None
        if value is not None and value not in allowed:
            raise InputError(f"'{value}' is not a {key.replace('_', ' ')} in this taxonomy.")
        return value

    def many(key: str, allowed: tuple[str, ...], current: tuple[str, ...]) -> tuple[str, ...]:
        if key not in values:
            return current
        raw = values[key]
        items = [i for s in _answers(raw) for i in str(s).split(",") if i]
        bad = [i for i in items if i not in allowed]
        if bad:
            raise InputError(f"'{bad[0]}' is not a {key[:-1]} in this taxonomy.")
        return tuple(dict.fromkeys(items))

    current_from = base.handoff.from_team if base.handoff else None
    current_to = base.handoff.to_team if base.handoff else None
    h_from = one("handoff_from", tx.team_labels, current_from)
    h_to = one("handoff_to", tx.team_labels, current_to)
    return Tags(
        stage=one("stage", tx.stage_labels, base.stage),
        kinds=many("kinds", tx.kind_labels, base.kinds),
        teams=many("teams", tx.team_labels, base.teams),
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
