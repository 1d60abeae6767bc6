"""Regrouping a tenant's whole history: the engine run again over every report, pattern rows reused."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from bot.taxonomy import Taxonomy
from digests.engine import Engine, MemoryStore, Params, PatternState
from digests.features import OwnIdf
from digests.pattern_rows import features_of_report, write_pattern
from digests.pattern_store import merge_end
from digests.week import week_of
from store.models import Alert, Pattern, PatternWeek, Report, TermCount
from store.privacy import RETAINED_TEXT

__all__ = ["Regrouped", "regroup"]

log = logging.getLogger("snag.grouping")


class Regrouped(int):
    """How many patterns a regrouping made; `left`: pattern id -> how many of its reports moved
    to another pattern, for patterns someone owns or has moved on from "new" (their reporters were
    told its owner and status, which their reports no longer have)."""

    left: dict[int, int]

    def __new__(cls, patterns: int, *, left: dict[int, int] | None = None) -> Regrouped:
        made = super().__new__(cls, patterns)
        made.left = dict(left or {})
        return made


def regroup(session: Session, tenant_id: int, taxonomy: Taxonomy, params: Params) -> Regrouped:
    """Run the engine over every report in order and write the result, reusing pattern rows.

    Reports the retention policy reduced to their tags have no words left to group by: they
    stay in their patterns, which survive for them (counting only them) if no words claim them.
    Where words do claim such a pattern, those reports still bring their tags and dates (it is as
    old as they are, not new this week), and its title stays while they are at least half of it
    or when the words left share none to show: the texts it was made of are gone, not wrong
    (see titles.title_for).

    A manager's merges hold (see _kept_together): the reports a merge target holds stay together,
    and a pattern merged away stays a row pointing at wherever they are now.
    """
    reports = session.exec(
        select(Report).where(col(Report.tenant_id) == tenant_id).order_by(col(Report.created_at), col(Report.id))
    ).all()
    patterns = session.exec(select(Pattern).where(col(Pattern.tenant_id) == tenant_id)).all()
    existing = {p.id: p for p in patterns if p.id is not None and p.merged_into is None}  # merged rows stay
    old_of = {r.id: r.pattern_id for r in reports if r.id is not None}
    worded = [r for r in reports if r.text != RETAINED_TEXT]
    together = _kept_together(patterns, old_of)
    memory, members, own = _replay(worded, params, taxonomy, together)
    reused = _reuse(members, old_of, set(existing))
    kept: dict[int, list[Report]] = defaultdict(list)  # pattern id -> its retained reports
    for r in reports:
        if r.text == RETAINED_TEXT and r.id is not None and r.pattern_id is not None and r.pattern_id in existing:
            kept[r.pattern_id].append(r)
    pattern_of = {r.id: pid for pid, rows in kept.items() for r in rows if r.id is not None}
    for pid in set(kept) - set(reused.values()):  # only retained reports left: the pattern stays for them
        existing[pid].report_count = len(kept[pid])
        session.add(existing[pid])
    survivors = set(reused.values()) | set(kept)
    for mid in sorted(members):
        row = existing[reused[mid]] if mid in reused else Pattern(tenant_id=tenant_id, title="")
        retained = kept.get(row.id, []) if row.id is not None else []
        row_id = _write(session, row, memory.patterns[mid], retained, own, taxonomy, members[mid])
        pattern_of.update(dict.fromkeys(members[mid], row_id))
    _recount(session, tenant_id, own, reports, pattern_of)
    _repoint(session, patterns, together, pattern_of)
    tended = {pid for pid, p in existing.items() if p.owner or p.status != "new"}
    left = Counter(old for rid, old in old_of.items() if old in tended and pattern_of.get(rid) != old)
    _drop(session, [pid for pid in existing if pid not in survivors])
    log.info("regrouped %d reports into %d patterns", len(reports), len(members))
    return Regrouped(len(members), left={pid: n for pid, n in left.items() if pid is not None})


def _kept_together(rows: Sequence[Pattern], old_of: dict[int, int | None]) -> dict[int, int]:
    """Report id -> the pattern a manager merged others into that it is in now: a merged set.

    The rule a rebuild keeps a merge by: every report a merge target holds before the rebuild (the
    merged pattern's, its own, and those grouped into it since) stays together in one pattern.
    Other reports are grouped as always, and may join that pattern too."""
    targets = {p.merged_into for p in rows if p.merged_into is not None}
    return {rid: pid for rid, pid in old_of.items() if pid is not None and pid in targets}


def _repoint(
    session: Session, patterns: Sequence[Pattern], together: Mapping[int, int], pattern_of: Mapping[int, int]
) -> None:
    """Point each merged pattern at the pattern its merged set is in after the rebuild (it may hold
    another row's number now, and a chain of merges becomes one step)."""
    now = {held: pattern_of[rid] for rid, held in together.items() if rid in pattern_of}
    by_id = {p.id: p for p in patterns}
    for row in patterns:
        end = None if row.merged_into is None else merge_end(by_id, row.merged_into)
        if row.merged_into is not None and end in now and now[end] != row.merged_into:
            row.merged_into = now[end]
            session.add(row)


def _replay(
    reports: Sequence[Report], params: Params, taxonomy: Taxonomy, together: Mapping[int, int] | None = None
) -> tuple[MemoryStore, dict[int, list[int]], OwnIdf]:
    """The engine over the reports in time order, counting their words as the live path did.

    A report of a merged set (`together`: report id -> its set) after the set's first joins the
    pattern the first went to, whatever its similarity: a manager said they are one problem."""
    memory = MemoryStore()
    engine = Engine(memory, params)
    own = OwnIdf()
    members: dict[int, list[int]] = defaultdict(list)
    placed: dict[int, int] = {}  # merged set -> the memory pattern holding it
    for report in reports:
        assert report.id is not None  # a stored row's key
        own.add(report.text)
        features = features_of_report(report, own.tables, taxonomy)
        held = (together or {}).get(report.id)
        if held is not None and held in placed:
            state = memory.patterns[placed[held]]
            old = list(state.words)
            state.add(features)
            memory.save(state, old)
        else:
            state, _ = engine.assign(features)
            if held is not None:
                placed[held] = state.id
        members[state.id].append(report.id)
    return memory, members, own


def _reuse(members: dict[int, list[int]], old_of: dict[int, int | None], existing: set[int]) -> dict[int, int]:
    """Memory pattern -> the existing row that shares most of its reports (each row reused once)."""
    overlaps = []
    for mid, ids in members.items():
        for pid, n in Counter(pid for i in ids if (pid := old_of[i]) is not None and pid in existing).items():
            overlaps.append((-n, pid, mid))
    reused: dict[int, int] = {}
    for _, pid, mid in sorted(overlaps):
        if mid not in reused and pid not in reused.values():
            reused[mid] = pid
    return reused


def _write(
    session: Session,
    row: Pattern,
    state: PatternState,
    retained: Sequence[Report],
    own: OwnIdf,
    taxonomy: Taxonomy,
    members: list[int],
) -> int:
    """Write one regrouped pattern (and the retained reports it keeps, their tags and dates without
    words) onto its row, and move its reports to it; returns the row's id."""
    for report in retained:
        state.add(features_of_report(report, own.tables, taxonomy))
    write_pattern(row, state, taxonomy, keep_title=bool(retained))
    session.add(row)
    session.flush()
    assert row.id is not None
    session.execute(update(Report).where(col(Report.id).in_(members)).values(pattern_id=row.id))
    return row.id


def _recount(
    session: Session, tenant_id: int, own: OwnIdf, reports: Sequence[Report], pattern_of: dict[int, int]
) -> None:
    """Write the tenant's term counts and weekly counts again, as the replay counted them."""
    session.execute(delete(TermCount).where(col(TermCount.tenant_id) == tenant_id))
    if own.counts:
        session.execute(
            insert(TermCount), [{"tenant_id": tenant_id, "term": k, "docs": n} for k, n in sorted(own.counts.items())]
        )
    session.execute(delete(PatternWeek).where(col(PatternWeek.tenant_id) == tenant_id))
    weeks = Counter(
        (pattern_of[r.id], week_of(r.created_at)) for r in reports if r.id is not None and r.id in pattern_of
    )
    session.add_all(
        PatternWeek(tenant_id=tenant_id, pattern_id=pid, week=week, reports=n)
        for (pid, week), n in sorted(weeks.items())
    )


def _drop(session: Session, gone: list[int]) -> None:
    """Delete the pattern rows no regrouped pattern reused, their alerts with them."""
    if gone:
        session.execute(delete(Alert).where(col(Alert.pattern_id).in_(gone)))
        session.execute(update(Report).where(col(Report.pattern_id).in_(gone)).values(pattern_id=None))
        session.execute(delete(Pattern).where(col(Pattern.id).in_(gone)))
