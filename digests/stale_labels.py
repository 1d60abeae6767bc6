"""Labels stored in the database that the taxonomy no longer has, said at start and on `reload`.

Reports, patterns and subscriptions are each read once, grouped by their tag columns (few distinct
values): a label only a few reports carry, outvoted in their pattern's tags, is found too, and so is
an old label the taxonomy now keeps as an alias of another (its reports are in no digest or `top`
of that other label until they are relabelled).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import where
from bot.taxonomy import Taxonomy
from digests.relabel import AXES
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
    """The labels reports or patterns are tagged with, or subscriptions are to, that `taxonomy` lacks
    as labels (an old label it keeps as an alias of another is one)."""
    known = {"stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels, "team": taxonomy.team_labels}
    with engine.connect() as conn:
        patterns, reports, subscribed = _pattern_labels(conn), _report_labels(conn), _subscribed_labels(conn)
    found: list[Stale] = []
    for axis in AXES:
        labels = sorted((set(patterns[axis]) | set(reports[axis]) | set(subscribed[axis])) - set(known[axis]))
        found += [
            Stale(axis, label, patterns[axis][label], reports[axis][label], subscribed[axis][label]) for label in labels
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
                read[text] = _listed(text)
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


def _report_labels(conn: Connection) -> dict[str, Counter[str]]:
    """Reports per stage, kind and team (a team also as either side of a handoff, a report counted
    once): one pass over the reports, grouped by their tag columns."""
    t = Report.__table__  # type: ignore[attr-defined]
    kinds, teams = cast(t.c.kinds, Text), cast(t.c.teams, Text)  # PostgreSQL's json cannot be grouped by
    columns = (t.c.stage, kinds, teams, t.c.handoff_from, t.c.handoff_to)
    counts: dict[str, Counter[str]] = {axis: Counter() for axis in AXES}
    for stage, listed_kinds, listed_teams, handoff_from, handoff_to, n in conn.execute(
        select(*columns, func.count()).group_by(*columns)
    ):
        if stage is not None:
            counts["stage"][stage] += n
        counts["kind"].update(dict.fromkeys(_listed(listed_kinds), n))
        handoff = {side for side in (handoff_from, handoff_to) if side is not None}
        counts["team"].update(dict.fromkeys(_listed(listed_teams) | handoff, n))
    return counts


def _listed(text: str | None) -> set[str]:
    """The labels of a JSON list column as stored text ('["finance", "sales"]')."""
    labels = json.loads(text) if text else []
    return {str(label) for label in labels} if isinstance(labels, list) else set()


def _some(n: int, one: str) -> str:
    return f"{n:,} {one}{'' if n == 1 else 's'}"


def warning(stale: Stale, taxonomy: Taxonomy) -> str:
    """E.g. "12 reports and 3 patterns are tagged team bed_management, which the taxonomy no longer
    has: `snag relabel team bed_management <new label>`"; an old label the taxonomy keeps as an alias
    names the label it now belongs to, and says its digests leave those reports out until then."""
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
    now = f" (only a name of {stale.axis} {alias_of} now)" if alias_of else ""
    are = "is" if len(held) == 1 and max(stale.reports, stale.patterns) == 1 else "are"
    said = f"{' and '.join(held)} {are} tagged {stale.axis} {stale.label}, which the taxonomy no longer has{now}: "
    said += command
    if stale.subscriptions and alias_of:
        get = "gets" if stale.subscriptions == 1 else "get"
        said += f"; until then {subs} to {audience} {get} the digest of {stale.axis} {alias_of}, which leaves them out"
    elif stale.subscriptions:
        said += (
            f"; {subs} to {audience} cannot be sent until then (the latest week given up is sent again once relabelled)"
        )
    elif alias_of:
        said += f"; until then `top {stale.axis}:{stale.label}` counts {stale.axis} {alias_of} without them"
    return said
