"""Labels stored in the database that the taxonomy no longer has, said at start and on `reload`.

Patterns are read, not reports (a few queries over the patterns' tag columns, far fewer rows): a label
no pattern is tagged with is not looked for. Only for a label found are its reports counted.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Text, case, cast, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import where
from bot.taxonomy import Taxonomy
from digests.relabel import AXES, label_in
from store.models import Pattern, Report, Subscription

__all__ = ["Stale", "stale_labels", "stale_warnings", "warning"]

log = logging.getLogger("snag.labels")


@dataclass(frozen=True)
class Stale:
    """A label of one axis the taxonomy does not have, and how much of the database still uses it."""

    axis: str
    label: str
    patterns: int = 0
    reports: int = 0
    subscriptions: int = 0


def stale_warnings(engine: Engine, taxonomy: Taxonomy) -> list[str]:
    """One sentence per stored label the taxonomy no longer has, with the command that moves it;
    none when the check cannot be made (it is only advice: a database error is logged, not raised)."""
    try:
        return [warning(stale, taxonomy) for stale in stale_labels(engine, taxonomy)]
    except SQLAlchemyError as exc:
        log.warning("could not check the stored tags against the taxonomy: %s", where(exc))
        return []


def stale_labels(engine: Engine, taxonomy: Taxonomy) -> list[Stale]:
    """The labels patterns are tagged with, or subscriptions are to, that `taxonomy` lacks."""
    known = {"stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels, "team": taxonomy.team_labels}
    with engine.connect() as conn:
        patterns = _pattern_labels(conn)
        subscribed = _subscribed_labels(conn)
        found: list[Stale] = []
        for axis in AXES:
            labels = sorted((set(patterns[axis]) | set(subscribed[axis])) - set(known[axis]))
            reports = _report_counts(conn, axis, labels) if labels else {}
            found += [
                Stale(axis, label, patterns[axis][label], reports.get(label, 0), subscribed[axis][label])
                for label in labels
            ]
    return found


def _pattern_labels(conn: Connection) -> dict[str, Counter[str]]:
    """Patterns per stage, kind and team: one pass over the patterns, grouped by their stored tags
    (few distinct: a pattern's row is large, its terms, so one pass rather than one per axis)."""
    t = Pattern.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    kinds, teams = cast(t.c.kinds, Text), cast(t.c.teams, Text)  # PostgreSQL's json cannot be grouped by
    counts: dict[str, Counter[str]] = {axis: Counter() for axis in AXES}
    read: dict[str, set[str]] = {}
    for stage, listed_kinds, listed_teams, n in conn.execute(
        select(t.c.stage, kinds, teams, func.count()).group_by(t.c.stage, kinds, teams)
    ):
        if stage is not None:
            counts["stage"][stage] += n
        for axis, text in (("kind", listed_kinds), ("team", listed_teams)):
            if text not in read:
                labels = json.loads(text) if text else []
                read[text] = {str(label) for label in labels} if isinstance(labels, list) else set()
            for label in read[text]:
                counts[axis][label] += n
    return counts


def _subscribed_labels(conn: Connection) -> dict[str, Counter[str]]:
    """Digest subscriptions per team and stage their audience names ("team:finance")."""
    t = Subscription.__table__  # type: ignore[attr-defined]
    counts: dict[str, Counter[str]] = {axis: Counter() for axis in AXES}
    for audience, n in conn.execute(select(t.c.audience, func.count()).group_by(t.c.audience)):
        axis, colon, label = str(audience).partition(":")
        if colon and axis in ("team", "stage"):
            counts[axis][label] += n
    return counts


def _report_counts(conn: Connection, axis: str, labels: list[str]) -> dict[str, int]:
    """Reports tagged with each of these labels (a team also as either side of a handoff): one query."""
    t = Report.__table__  # type: ignore[attr-defined]
    if axis == "stage":
        query = select(t.c.stage, func.count()).where(t.c.stage.in_(labels)).group_by(t.c.stage)
        return {str(stage): int(n) for stage, n in conn.execute(query)}
    column = t.c.kinds if axis == "kind" else t.c.teams

    def tagged(label: str) -> ColumnElement[bool]:
        if axis == "kind":
            return label_in(column, label)
        return or_(label_in(column, label), t.c.handoff_from == label, t.c.handoff_to == label)

    row = conn.execute(select(*(func.sum(case((tagged(label), 1), else_=0)) for label in labels))).one()
    return {label: int(n or 0) for label, n in zip(labels, row, strict=True)}


def _some(n: int, one: str) -> str:
    return f"{n:,} {one}{'' if n == 1 else 's'}"


def warning(stale: Stale, taxonomy: Taxonomy) -> str:
    """E.g. "12 reports and 3 patterns are tagged team bed_management, which the taxonomy no longer
    has: `snag relabel team bed_management <new label>`"."""
    alias_of = taxonomy.find(stale.axis, stale.label)  # the old label kept as a name of another
    command = f"`snag relabel {stale.axis} {stale.label} {alias_of or '<new label>'}`"
    if stale.axis == "stage" and alias_of is None:
        command += " (or `none` for no stage)"
    audience, subs = f"{stale.axis}:{stale.label}", _some(stale.subscriptions, "digest subscription")
    are = "is" if stale.subscriptions == 1 else "are"
    held = [_some(n, what) for n, what in ((stale.reports, "report"), (stale.patterns, "pattern")) if n]
    if not held and alias_of:
        return f"{subs} {are} to {audience}, a name the taxonomy keeps only for {stale.axis} {alias_of}: {command}"
    if not held:
        return f"{subs} {are} to {audience}, which the taxonomy no longer has, so no digest can be built: {command}"
    are = "is" if len(held) == 1 and max(stale.reports, stale.patterns) == 1 else "are"
    said = f"{' and '.join(held)} {are} tagged {stale.axis} {stale.label}, which the taxonomy no longer has: {command}"
    if stale.subscriptions and alias_of is None:
        said += f"; {subs} to {audience} cannot be sent until then"
    return said
