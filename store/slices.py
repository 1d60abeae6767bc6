"""Counting slices of reports in SQL, with the ones under k distinct reporters folded into "other".

Whether a slice may be shown depends on how many different people are in it, and one person can
be in several folded slices, so the "other" slice's people are counted in SQL over its reports,
never added up from the slices it folds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, distinct, exists, func, literal, or_, true
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlmodel import Session, col, select

from bot.ports import Filters
from store.models import Report

__all__ = ["rank_patterns", "label_counts", "pattern_split"]

AXES = ("stage", "kind", "team")


def _elements(column: Any, dialect: str) -> TableValuedAlias:
    """A JSON list column's strings as rows of one `value` column, for the report being read."""
    unnest = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    return unnest(column).table_valued("value")


def _lists(column: Any, labels: list[str], dialect: str) -> ColumnElement[bool]:
    """Whether a report's JSON list column holds one of `labels`."""
    each = _elements(column, dialect)
    return exists(select(literal(1)).select_from(each).where(each.c.value.in_(labels)))


def _scope(tenant_id: int, since: datetime, before: datetime | None) -> list[ColumnElement[bool]]:
    """The tenant's reports filed from `since` to the cut `before` (None: up to now)."""
    scope = [col(Report.tenant_id) == tenant_id, col(Report.created_at) >= since]
    return scope + ([col(Report.created_at) < before] if before is not None else [])


def _window(tenant_id: int, filters: Filters, dialect: str) -> Any:
    """The grouped reports `top` counts: in the window (since its start, before its cut), matching
    its filters."""
    where = [*_scope(tenant_id, filters.since, filters.before), col(Report.pattern_id).is_not(None)]
    if filters.stage is not None:
        where.append(col(Report.stage) == filters.stage)
    if filters.team is not None:
        where.append(_lists(Report.teams, [filters.team], dialect))
    if filters.kind is not None:
        where.append(_lists(Report.kinds, [filters.kind], dialect))
    return select(col(Report.pattern_id), col(Report.reporter_key)).where(*where).cte("window")


def rank_patterns(
    *, session: Session, tenant_id: int, filters: Filters, k: int, limit: int
) -> tuple[list[tuple[int, int, int]], tuple[int, int]]:
    """The `limit` patterns with most reports in the window among those with at least k distinct
    reporters there, as (pattern id, reports, reporters); then the (reports, distinct reporters)
    of every pattern with fewer, the "other" slice."""
    window = _window(tenant_id, filters, session.get_bind().dialect.name)
    reports, people = func.count(), func.count(distinct(window.c.reporter_key))
    ranked = session.exec(
        select(window.c.pattern_id, reports, people)
        .group_by(window.c.pattern_id)
        .having(people >= k)
        .order_by(reports.desc(), window.c.pattern_id)
        .limit(limit)
    ).all()
    folded = select(window.c.pattern_id).group_by(window.c.pattern_id).having(people < k)
    other = session.exec(select(reports, people).where(window.c.pattern_id.in_(folded))).one()
    return [(int(p), int(n), int(r)) for p, n, r in ranked], (int(other[0]), int(other[1]))


def pattern_split(
    *, session: Session, tenant_id: int, since: datetime, k: int, before: datetime | None = None
) -> tuple[int, tuple[int, int]]:
    """The reports since `since` (before `before`) in patterns `top` may show (at least k distinct
    reporters in the window, counted as rank_patterns counts them), then the (reports, distinct
    reporters) of all the others: top's "other" slice and the reports in no pattern. `stats` tells
    its total exactly only when that rest is empty or from k people; otherwise the total minus
    top's counts would be it."""
    scope = _scope(tenant_id, since, before)
    people = func.count(distinct(col(Report.reporter_key)))
    crowded = (
        select(col(Report.pattern_id))
        .where(*scope, col(Report.pattern_id).is_not(None))
        .group_by(col(Report.pattern_id))
        .having(people >= k)
    )
    shown = session.exec(
        select(func.count()).select_from(Report).where(*scope, col(Report.pattern_id).in_(crowded))
    ).one()
    rest = or_(col(Report.pattern_id).is_(None), col(Report.pattern_id).not_in(crowded))
    n, r = session.exec(select(func.count(), people).where(*scope, rest)).one()
    return int(shown), (int(n), int(r))


def _list_column(axis: str) -> Any:
    """The JSON list a report's kinds or teams are in; None for the stage, a column of its own."""
    return {"kind": Report.kinds, "team": Report.teams}.get(axis)


def label_counts(
    *, session: Session, tenant_id: int, since: datetime, k: int, before: datetime | None = None
) -> dict[str, object]:
    """Reports since `since` and before the cut `before` (None: up to now), per stage, kind and
    team as {label: (reports, distinct reporters)},
    under "other" each axis's (reports, distinct reporters) of the labels with fewer than k, and
    under "untagged" each axis's (reports, distinct reporters) with no label there (no stage yet,
    no team named), so the rows add up to the total; under "in_patterns" and "outside", what
    pattern_split says."""
    dialect = session.get_bind().dialect.name
    scope = _scope(tenant_id, since, before)
    reports, people = func.count(distinct(col(Report.id))), func.count(distinct(col(Report.reporter_key)))
    result: dict[str, object] = {"reports": session.exec(select(func.count()).select_from(Report).where(*scope)).one()}
    other: dict[str, tuple[int, int]] = {}
    untagged: dict[str, tuple[int, int]] = {}
    for axis in AXES:
        listed = _list_column(axis)
        each = _elements(listed, dialect) if listed is not None else None
        label = each.c.value if each is not None else col(Report.stage)
        query = select(label, reports, people).where(*scope, label.is_not(None), label != "").group_by(label)
        if each is not None:
            query = query.select_from(Report).join(each, true())
        counts = {str(lb): (int(n), int(r)) for lb, n, r in session.exec(query).all()}
        result[axis] = counts
        folded = [lb for lb, (_, r) in counts.items() if r < k]
        if folded:
            held = col(Report.stage).in_(folded) if listed is None else _lists(listed, folded, dialect)
            n, r = session.exec(select(reports, people).where(*scope, held)).one()
            other[axis] = (int(n), int(r))
        if listed is None:
            none = or_(col(Report.stage).is_(None), col(Report.stage) == "")
        else:
            none = ~exists(select(literal(1)).select_from(_elements(listed, dialect)))
        n, r = session.exec(select(reports, people).where(*scope, none)).one()
        if n:
            untagged[axis] = (int(n), int(r))
    result["other"] = other
    result["untagged"] = untagged
    result["in_patterns"], result["outside"] = pattern_split(
        session=session, tenant_id=tenant_id, since=since, k=k, before=before
    )
    return result
