"""What a digest reads to know its patterns, at 1,000,000 reports as on a small store.

A team's digest knows the patterns it has a stake in from their team counts (Pattern.team_counts)
and owners, checked in the statements that read them: it used to read every pattern's terms first
(a few kilobytes each; 535-557 ms of a team digest on PostgreSQL at 100,000 patterns). And each
listed pattern's reporters by the week's end come with the sections' statement, from the indexes,
not from a statement of their own after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from bot.taxonomy import load_taxonomy
from digests.digest import build_digest, parse_audience
from digests.service import Digests
from digests.snapshot import digest_week, load_reporters
from tests.digests.test_digest_sql import NOW, NOW_AKL, _fill, _plain_snapshot
from tests.digests.test_team_audience import _stakes, _with_stakes

TX = load_taxonomy()


def _statements(engine) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, sql, *rest: seen.append(sql))
    return seen


@pytest.mark.parametrize("team", TX.team_labels[:2])
def test_a_team_digest_reads_the_terms_of_the_patterns_it_lists_only(engine, team: str) -> None:  # type: ignore[no-untyped-def]
    _fill(engine, 3)
    _stakes(engine, 3)
    seen = _statements(engine)
    got = Digests(engine, TX, k=1).build(platform="console", tenant="t", audience=f"team:{team}", now=NOW)
    assert got.top  # the team has patterns: the statements ran
    reading_terms = [sql for sql in seen if "terms" in sql]
    assert reading_terms and all("rn <= " in sql for sql in reading_terms), reading_terms  # the listed ones
    plain = _with_stakes(_plain_snapshot(engine, NOW), engine)
    assert got == build_digest(plain, parse_audience(f"team:{team}", TX), TX, k=1)


@pytest.mark.parametrize("now", [NOW, NOW_AKL])
def test_the_listed_patterns_reporters_by_the_weeks_end_come_with_the_sections(engine, now) -> None:  # type: ignore[no-untyped-def]
    _fill(engine, 5)
    seen = _statements(engine)
    digests = Digests(engine, TX, k=1)
    with engine.connect() as conn:
        snap = digests.snapshot(conn, platform="console", tenant="t", audience=parse_audience("all", TX), now=now)
    alone = [sql for sql in seen if sql.lstrip().startswith("SELECT pattern_id, COUNT(DISTINCT reporter_key)")]
    assert alone == []  # no statement of their own
    _, end = digest_week(now)
    assert snap.patterns and snap.reporters
    assert snap.reporters == load_reporters(engine, sorted(snap.patterns), until=end)
    assert snap.reporters != load_reporters(
        engine, sorted(snap.patterns), until=end + timedelta(weeks=2)
    )  # later reports
