"""Erasing a person whose reports are spread over many patterns leaves what working those patterns
out again from the reports left gives: titles, centroid words, tags, report counts, term counts,
weekly counts. Patterns too big to work out before the person is answered lose every word the
erased reports used at once, and are finished in the background, or by the next process if this
one stops first. A few statements do it, however many reports and patterns. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import Services
from bot.domain import IncomingMessage, Person, Role
from digests.demo import _rows, _tags
from digests.engine import SURFACE, PatternState
from digests.features import DOCS, OwnIdf, char_grams, words, written
from digests.grouper import PENDING, SqlGrouper, count_terms, features_of_report, week_of, write_pattern
from store.db import session_scope
from store.models import Pattern, PatternWeek, Report, TermCount
from store.reports import IN_LIST, member_counts, recount_patterns, uncount_weeks
from tests.digests.conftest import make_services

NOW = datetime(2026, 11, 25, tzinfo=UTC)
WORD = "quixbury"  # in every report of theirs, in nobody else's


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[Services]:
    services = make_services(tmp_path, db_url)
    yield services
    services.engine.dispose()


def _fill(world: Services, heavy: Person, rows: int = 150) -> None:
    """The demo's reports, every third one theirs (with their word), grouped as they arrive."""
    snag = world.snag
    admin = replace(snag.person("console", "local", "admin"), role=Role.ADMIN)
    items = []
    for n, row in enumerate(_rows(NOW)[:rows]):
        theirs = n % 3 == 0
        text = f"{row['text']} {WORD} yard" if theirs else row["text"]
        key = snag.key_of(heavy) if theirs else f"key-{row['reporter']}"
        items.append((text, row["when"], key, f"t:{row['id']}", _tags(row)))
    for record in world.repository.import_reports(person=admin, items=items):
        world.extras["grouper"].assign(record)


def _stored(world: Services) -> tuple[list[Report], dict[int, Pattern], dict[str, int], dict[tuple[int, str], int]]:
    """Reports (oldest first), patterns, term counts and the weekly counts above zero."""
    with session_scope(world.engine) as s:
        reports = list(s.exec(select(Report).order_by(Report.created_at, Report.id)).all())  # type: ignore[arg-type]
        patterns = {p.id: p for p in s.exec(select(Pattern)).all() if p.id}
        counts = {t.term: t.docs for t in s.exec(select(TermCount)).all()}
        weeks = {(w.pattern_id, w.week): w.reports for w in s.exec(select(PatternWeek)).all() if w.reports}
    return reports, patterns, counts, weeks


def _from_scratch(
    world: Services, reports: list[Report], patterns: set[int]
) -> tuple[dict[str, int], dict[tuple[int, str], int], dict[int, Pattern]]:
    """Term counts and weekly counts of these reports, and these patterns worked out from them."""
    counts: Counter[str] = Counter()
    for report in reports:
        counts.update(OwnIdf.keys(report.text))
    weeks = Counter((r.pattern_id, week_of(r.created_at)) for r in reports if r.pattern_id)
    tables = OwnIdf(counts).tables
    rows = {}
    for pid in patterns:
        state = PatternState(id=pid, words={}, chars={}, n=0)
        for report in (r for r in reports if r.pattern_id == pid):
            state.add(features_of_report(report, tables, world.taxonomy))
        rows[pid] = row = Pattern(tenant_id=0, title="")
        write_pattern(row, state, world.taxonomy, keep_title=False)
        if not state.n:
            row.title, row.teams = "Reports erased on request", []
    return dict(counts), dict(weeks), rows


def _shown(row: Pattern) -> tuple[Any, ...]:
    dates = (row.first_seen.replace(tzinfo=None), row.last_seen.replace(tzinfo=None)) if row.report_count else ()
    return (row.title, row.stage, row.kinds, row.teams, row.report_count, row.terms, *dates)


def _not_theirs(reports: list[Report], patterns: dict[int, Pattern]) -> dict[int, list[str]]:
    """Centroid words, character grams and words kept for titles of each pattern that none of its
    reports holds."""
    held: dict[int | None, set[str]] = defaultdict(set)
    for r in reports:
        held[r.pattern_id] |= {f"w:{w}" for w in words(r.text)} | {f"c:{g}" for g in char_grams(r.text)}
        held[r.pattern_id] |= {f"{SURFACE}{st}:{w}" for st, w in written(r.text)}
    said = ("w:", "c:", SURFACE)
    stray = {pid: [k for k in p.terms if k.startswith(said) and k not in held[pid]] for pid, p in patterns.items()}
    return {pid: keys for pid, keys in stray.items() if keys}


def test_erasing_someone_spread_over_many_patterns_leaves_what_working_them_out_again_gives(
    world: Services,
) -> None:
    snag, grouper = world.snag, world.extras["grouper"]
    heavy = snag.person("console", "local", "heavy")
    _fill(world, heavy)
    reports, before, _, _ = _stored(world)
    theirs = [r for r in reports if r.reporter_key == snag.key_of(heavy)]
    touched = {r.pattern_id for r in theirs if r.pattern_id}
    assert len(theirs) == 50 and len(touched) >= 20 and any(f"w:{WORD}" in p.terms for p in before.values())
    assert any(f"{SURFACE}{WORD}:{WORD}" in p.terms for p in before.values())  # a word titles could show
    jobs: list[Callable[[], None]] = []
    grouper.inline, grouper.later = 8, jobs.append  # most of their patterns are too big to work out at once

    def say(text: str) -> str:
        return snag.handle_message(IncomingMessage(heavy, text, "D1")).title

    assert "`erase mine confirm`" in say("erase mine")
    assert say("erase mine confirm") == "Erased all 50 of your report(s) and everything linked to them."

    left, answered, counts, weeks = _stored(world)
    want_counts, want_weeks, want = _from_scratch(world, left, touched)
    assert counts == want_counts and weeks == want_weeks  # the counts are exact at once
    pending = {pid for pid, p in answered.items() if PENDING in p.terms}
    assert len(jobs) == 1 and 5 <= len(pending) < len(touched) and pending <= touched
    assert _not_theirs(left, answered) == {}  # none of their words, in any pattern, before the answer
    assert not [p.title for p in answered.values() if WORD in p.title.lower()]
    for pid in touched:
        assert answered[pid].report_count == sum(1 for r in left if r.pattern_id == pid)
        if pid not in pending:
            assert _shown(answered[pid]) == _shown(want[pid])
    for pid in set(before) - touched:
        assert _shown(answered[pid]) == _shown(before[pid])

    # this process stops before its background job runs: the next one finishes the patterns
    later: list[Callable[[], None]] = []
    SqlGrouper(world.engine, world.taxonomy, later=later.append).warm()
    assert len(later) == 1
    later[0]()
    jobs[0]()  # the first process's job, late, finds nothing left to do
    _, settled, counts, weeks = _stored(world)
    assert counts == want_counts and weeks == want_weeks
    for pid in touched:
        assert _shown(settled[pid]) == _shown(want[pid])
    assert not [pid for pid, p in settled.items() if PENDING in p.terms]
    assert [p.report_count for p in settled.values() if p.title == "Reports erased on request"] == [0] * sum(
        1 for p in want.values() if not p.report_count
    )


def test_forgetting_takes_a_few_statements_however_many_reports_and_patterns(world: Services) -> None:
    snag, grouper = world.snag, world.extras["grouper"]
    heavy = snag.person("console", "local", "heavy")
    _fill(world, heavy, rows=240)
    key = snag.key_of(heavy)
    learnt = grouper.words_of(platform="console", tenant="local", reporter_key=key)
    assert learnt is not None and len(learnt.reports) == 80 and len({pid for _, pid in learnt.reports}) >= 20
    assert world.repository.erase_reporter(person=heavy, reporter_key=key) == 80
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        grouper.forget(learnt)
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert len(statements) <= 12, statements  # was 2 a report and 2 a pattern: 280 here
    reports, patterns, counts, _ = _stored(world)
    assert not [k for k in counts if WORD in k] and _not_theirs(reports, patterns) == {}


def test_weekly_and_pattern_counts_come_off_in_one_statement_each(world: Services) -> None:
    heavy = world.snag.person("console", "local", "heavy")
    _fill(world, heavy, rows=60)
    reports, _, _, weeks = _stored(world)
    theirs = [r for r in reports if r.reporter_key == world.snag.key_of(heavy)]
    gone = Counter((r.pattern_id, week_of(r.created_at)) for r in theirs if r.pattern_id)
    with session_scope(world.engine) as s:
        for report in theirs:
            s.delete(s.get(Report, report.id))
        s.flush()
        uncount_weeks(session=s, weeks=gone | {(999_999, "2026-11-16"): 1})  # a week never counted: nothing
        recount_patterns(session=s, pattern_ids=[pid for pid, _ in gone])
    left, patterns, _, weekly = _stored(world)
    assert weekly == dict(Counter((r.pattern_id, week_of(r.created_at)) for r in left if r.pattern_id))
    assert weekly == {k: n - gone[k] for k, n in weeks.items() if n > gone[k]}  # type: ignore[index]
    held = Counter(r.pattern_id for r in left)
    assert {pid: p.report_count for pid, p in patterns.items()} == {pid: held[pid] for pid in patterns}


def test_member_counts_count_every_pattern_asked_an_in_list_at_a_time(world: Services) -> None:
    _fill(world, world.snag.person("console", "local", "heavy"), rows=60)
    reports, patterns, _, _ = _stored(world)
    never = range(10**6, 10**6 + IN_LIST)  # more than one IN list, most of it patterns that do not exist
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with session_scope(world.engine) as s:
        event.listen(world.engine, "before_cursor_execute", seen)
        try:
            counts = member_counts(session=s, pattern_ids=[*patterns, *never, *patterns])
        finally:
            event.remove(world.engine, "before_cursor_execute", seen)
    held = Counter(r.pattern_id for r in reports)
    assert counts == {pid: held[pid] for pid in patterns} | dict.fromkeys(never, 0)
    assert len(statements) == 2


def test_term_counts_take_an_amount_a_key_and_go_at_zero(world: Services) -> None:
    _fill(world, world.snag.person("console", "local", "heavy"), rows=3)
    _, _, before, _ = _stored(world)
    with session_scope(world.engine) as s:
        tenant_id = s.exec(select(Report.tenant_id)).first()
        assert tenant_id is not None
        count_terms(s, tenant_id=tenant_id, keys={"w:zorp": 3, "w:blen": 1, DOCS: 2})
        count_terms(s, tenant_id=tenant_id, keys={"w:zorp": -2, "w:blen": -1, "w:never": -1, DOCS: -1})
    _, _, after, _ = _stored(world)
    assert after == before | {"w:zorp": 1, DOCS: before[DOCS] + 1}
