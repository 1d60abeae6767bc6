"""Merging one pattern into another (`merge 12 into 7`): a manager's fix where grouping told one
problem, described through different symptoms, as two patterns.

Every report of the source moves to the target, with its weekly counts; the target is worked out
again from its members (title, stage, kinds, teams, counts, first and last seen, centroid) as an
erasure works its patterns out (forgetting.recentre), and keeps its owner and status. The source
stays as a row marked merged (Pattern.merged_into), holding no report: digests, `top`, `stats`,
exports and alerts, which read patterns through their reports and weekly counts, no longer see it,
and `pattern 12` says where it went. It keeps its centroid words, so that a process whose word
index still holds them can take them out when it meets it (pattern_store.SqlPatternStore.load).
Nobody is messaged: the source's reporters hear of the target when its owner or status changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.errors import InputError, NotFound
from bot.taxonomy import Taxonomy
from digests.counts import count_week
from digests.forgetting import centroid_words, recentre
from digests.pattern_store import HOPS, PENDING
from store.models import Pattern, PatternWeek, Report
from store.reports import member_counts

__all__ = ["Merged", "merge_patterns", "merged_into"]


@dataclass(frozen=True)
class Merged:
    """What a merge did: how many reports moved, the target as it reads now, and the source's owner
    when the target has none (the manager may want them on it)."""

    source: int
    target: int
    moved: int
    title: str
    owner: str | None
    status: str
    source_owner: str | None
    words: dict[int, tuple[list[str], list[str]]]  # pattern -> (old, new) centroid words, for word indexes


def merged_into(session: Session, pattern_id: int) -> int | None:
    """Where a merged pattern's reports are now, following merges (None: it was not merged)."""
    row = session.get(Pattern, pattern_id)
    if row is None or row.merged_into is None:
        return None
    where = row.merged_into
    for _ in range(HOPS):
        ahead = session.get(Pattern, where)
        if ahead is None or ahead.merged_into is None:
            break
        where = ahead.merged_into
    return where


def merge_patterns(session: Session, *, tenant_id: int, source: int, target: int, taxonomy: Taxonomy) -> Merged:
    """Move every report of pattern `source` to `target` and work `target` out again; the source is
    kept, marked merged. InputError or NotFound, and nothing changed, for a merge that cannot be."""
    if source == target:
        raise InputError(
            f"Pattern #{source} can't be merged into itself: name two patterns, e.g. `merge {source} into 7`."
        )
    rows = {
        p.id: p
        for p in session.exec(
            select(Pattern).where(col(Pattern.id).in_([source, target]), col(Pattern.tenant_id) == tenant_id)
        ).all()
    }
    for pid in (source, target):
        if pid not in rows:
            raise NotFound(f"There is no pattern #{pid}: `top` lists the patterns by number.")
    src, tgt = rows[source], rows[target]
    if src.merged_into is not None:
        now = merged_into(session, source)
        raise InputError(f"Pattern #{source} was merged into #{now} already: its reports are there.")
    if tgt.merged_into is not None:
        now = merged_into(session, target)
        raise InputError(
            f"Pattern #{target} was merged into #{now}, which holds its reports now: "
            f"to merge #{source} there, type `merge {source} into {now}`."
        )
    before = {source: centroid_words(src), target: centroid_words(tgt)}
    moved = member_counts(session=session, pattern_ids=[source])[source]
    session.execute(update(Report).where(col(Report.pattern_id) == source).values(pattern_id=target))
    weeks = session.exec(select(PatternWeek.week, PatternWeek.reports).where(PatternWeek.pattern_id == source)).all()
    for week, n in sorted(weeks):
        count_week(session, tenant_id=tenant_id, pattern_id=target, week=week, amount=n)
    session.execute(delete(PatternWeek).where(col(PatternWeek.pattern_id) == source))
    recentre(session, [tgt], tenant_id, taxonomy)
    src.merged_into, src.report_count = target, 0
    src.terms = {key: n for key, n in (src.terms or {}).items() if key != PENDING}  # nothing left to work out
    session.add_all([src, tgt])
    session.flush()
    return Merged(
        source=source,
        target=target,
        moved=moved,
        title=tgt.title,
        owner=tgt.owner,
        status=tgt.status,
        source_owner=src.owner if not tgt.owner else None,
        words={source: (before[source], []), target: (before[target], centroid_words(tgt))},
    )
