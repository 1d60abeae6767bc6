"""The digest the service reads with SQL equals the digest built in Python from every report and pattern.

The service aggregates the week and ranks the sections in the database (signals.SQL_RULES) and
only reads the patterns a section can show; the reference here reads the whole tenant with plain
SELECTs and builds the digest with the Python rules, as the digest was built before. Both on SQLite
and on PostgreSQL, with random data made to hit the edges: owners on most patterns (so the
unowned section has to read further down the ranking), closed patterns among the fading ones,
ties, first-seen and status-change times on the week's boundaries, reports without a pattern,
other tenants and other weeks.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.taxonomy import load_taxonomy
from digests.digest import build_digest, candidate_ids, parse_audience
from digests.service import Digests
from digests.snapshot import PatternInfo, Snapshot, WeekReport, digest_week, mondays_before
from store.models import Pattern, PatternWeek, Report, Tenant

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TX = load_taxonomy()


def _fill(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    start, end = digest_week(NOW)
    mondays = [datetime.combine(start.date() - timedelta(weeks=i), datetime.min.time(), UTC) for i in range(11)]
    teams, stages, kinds = TX.team_labels[:4], TX.stage_labels[:4], TX.kind_labels[:4]
    moments = [
        start,
        end,
        start - timedelta(microseconds=1),
        end - timedelta(microseconds=1),
        start + timedelta(days=3),
    ]
    with Session(engine) as s:
        ours, other = Tenant(platform="console", external_id="t"), Tenant(platform="console", external_id="other")
        s.add_all([ours, other])
        s.commit()
        patterns = []
        for i in range(rng.randint(60, 140)):
            tenant = other if i % 17 == 0 else ours
            first = rng.choice(moments) if rng.random() < 0.3 else start - timedelta(days=rng.randint(1, 60))
            closed = rng.random() < 0.25
            p = Pattern(
                tenant_id=tenant.id,
                title=f"pattern {i}",
                stage=rng.choice([*stages, None]),
                kinds=rng.sample(kinds, rng.randint(0, 2)),
                teams=rng.sample(teams, rng.randint(0, 2)),
                status=rng.choice(["resolved", "wont_fix"]) if closed else rng.choice(["new", "acknowledged"]),
                owner=rng.choice(["IT", "Finance"]) if rng.random() < 0.8 else None,
                status_changed_at=rng.choice([*moments, None, start - timedelta(days=9)]),
                first_seen=first,
                last_seen=NOW,
            )
            patterns.append(p)
        s.add_all(patterns)
        s.commit()
        for p in patterns:
            busy = rng.choice([0, 1, 3, 8])
            for monday in mondays:
                if rng.random() < 0.6:
                    n = rng.randint(0, busy) if rng.random() < 0.9 else rng.randint(0, 12)
                    s.add(
                        PatternWeek(tenant_id=p.tenant_id, pattern_id=p.id, week=monday.date().isoformat(), reports=n)
                    )
        reporters = [f"k{i}" for i in range(rng.randint(6, 30))]
        for i in range(rng.randint(150, 400)):
            p = rng.choice(patterns) if rng.random() < 0.9 else None
            when = rng.choice([*moments, start + timedelta(seconds=rng.randrange(7 * 86400))])
            if rng.random() < 0.1:
                when = start - timedelta(days=rng.randint(1, 20))
            handoff = rng.random() < 0.4
            s.add(
                Report(
                    tenant_id=p.tenant_id if p else ours.id,
                    pattern_id=p.id if p else None,
                    platform="console",
                    reporter_key=rng.choice(reporters),
                    text=f"report {i} about {rng.choice(['refunds', 'logins', 'delivery'])}",
                    created_at=when,
                    stage=rng.choice([*stages, None, ""]),
                    kinds=rng.sample(kinds, rng.randint(0, 3)),
                    teams=rng.sample(teams, rng.randint(0, 2)),
                    handoff_from=rng.choice([*teams, None, ""]) if handoff else None,
                    handoff_to=rng.choice([*teams, None]) if handoff else None,
                )
            )
        s.commit()


def _patterns_and_weeks(engine, weeks) -> tuple[list[Pattern], dict[int, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """Every pattern of the test tenant, and each one's reports in each of the given weeks."""
    with Session(engine) as s:
        tenant = s.exec(select(Tenant).where(Tenant.external_id == "t")).one()
        patterns = list(s.exec(select(Pattern).where(Pattern.tenant_id == tenant.id)).all())
        counts = s.exec(select(PatternWeek).where(PatternWeek.tenant_id == tenant.id)).all()
    history: dict[int, dict[str, int]] = defaultdict(dict)
    for row in counts:
        if row.week in weeks and row.reports:
            history[row.pattern_id][row.week] = row.reports
    return patterns, history


def _reference(engine, audience, k: int):  # type: ignore[no-untyped-def]
    """The digest built the plain way: every report and pattern read, everything decided in Python."""
    start, end = digest_week(NOW)
    weeks = mondays_before(start)
    patterns, history = _patterns_and_weeks(engine, weeks)
    with Session(engine) as s:
        reports = s.exec(select(Report).join(Tenant).where(Tenant.external_id == "t")).all()
    info = {
        p.id: PatternInfo(
            p.id,
            p.title,
            p.stage,
            tuple(p.kinds),
            tuple(p.teams),
            p.status,
            p.owner,
            p.owner_set_at,
            p.status_changed_at,
            p.first_seen,
            p.last_seen,
            p.report_count,
        )
        for p in patterns
    }
    week = [r for r in reports if start <= r.created_at < end]
    snap = Snapshot(
        NOW,
        start,
        end,
        weeks,
        [
            WeekReport(
                r.pattern_id, r.reporter_key, r.stage, tuple(r.kinds), tuple(r.teams), r.handoff_from, r.handoff_to
            )
            for r in week
        ],
        dict(history),
        info,  # type: ignore[arg-type]
    )
    everyone: dict[int, set[str]] = defaultdict(set)
    for r in reports:
        if r.pattern_id:
            everyone[r.pattern_id].add(r.reporter_key)
    snap.reporters = {pid: len(everyone[pid]) for pid in candidate_ids(snap, audience) if everyone[pid]}
    latest: dict[int, Report] = {}
    for r in sorted(week, key=lambda r: (r.created_at, r.id)):
        if r.pattern_id:
            latest[r.pattern_id] = r
    snap.quotes = {pid: r.text for pid, r in latest.items()}
    return build_digest(snap, audience, TX, k=k)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_digest_equals_the_python_digest(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    _fill(engine, seed)
    rng = random.Random(seed)
    for raw in ["all", f"team:{rng.choice(TX.team_labels[:4])}", f"stage:{rng.choice(TX.stage_labels[:4])}"]:
        audience = parse_audience(raw, TX)
        for k in (1, 2, 3, 50):  # 50: the audience is too small, the digest suppressed
            got = Digests(engine, TX, k=k).build(platform="console", tenant="t", audience=raw, now=NOW)
            want = _reference(engine, audience, k)
            assert got == want, (raw, k)
    busy = Digests(engine, TX, k=1).build(platform="console", tenant="t", audience="all", now=NOW)
    assert busy.top and busy.unowned is not None and busy.total  # the data exercises the sections


def test_sections_read_further_when_the_first_rows_fail_the_python_rule(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Owned patterns rank first; the unowned section must page past them, not come back short."""
    import digests.service as service

    start, _ = digest_week(NOW)
    with Session(engine) as s:
        tenant = Tenant(platform="console", external_id="t")
        s.add(tenant)
        s.commit()
        rows = [
            Pattern(
                tenant_id=tenant.id,
                title=f"p{i}",
                owner="IT" if i < 30 else None,  # the 30 busiest are owned
                first_seen=start - timedelta(days=40),
                last_seen=NOW,
            )
            for i in range(40)
        ]
        s.add_all(rows)
        s.commit()
        for i, p in enumerate(rows):
            s.add(PatternWeek(tenant_id=tenant.id, pattern_id=p.id, week=start.date().isoformat(), reports=100 - i))
            for j in range(3):
                s.add(
                    Report(
                        tenant_id=tenant.id,
                        pattern_id=p.id,
                        platform="console",
                        reporter_key=f"k{j}",
                        text="x",
                        created_at=start,
                    )
                )
        s.commit()
    pages: list[tuple[dict[str, int], set[str]]] = []
    real = service.load_ranked

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        pages.append((dict(args[7]), set(args[8])))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "load_ranked", spy)
    d = Digests(engine, TX, k=3).build(platform="console", tenant="t", audience="all", now=NOW)
    assert [x.title for x in d.unowned] == [f"p{i}" for i in range(30, 35)]
    assert len(pages) == 2 and pages[1] == ({"unowned": 80}, {"unowned"})  # read again, owners checked in SQL
    assert d == _reference(engine, parse_audience("all", TX), 3)


def test_an_unknown_tenant_gets_an_empty_suppressed_digest(engine) -> None:  # type: ignore[no-untyped-def]
    d = Digests(engine, TX, k=3).build(platform="console", tenant="nobody", audience="all", now=NOW)
    assert d.suppressed and d.total == 0 and d.reporters == 0 and len(d.weeks) == 8


def test_figures_from_sql_match_the_snapshot_rules(engine) -> None:  # type: ignore[no-untyped-def]
    """Handoff and stage x kind cells: empty labels count as '?' and 'unknown', as the Python rules say."""
    _fill(engine, 7)
    d = Digests(engine, TX, k=1).build(platform="console", tenant="t", audience="all", now=NOW)
    want = _reference(engine, parse_audience("all", TX), 1)
    assert d.hotspots == want.hotspots and d.heat == want.heat
    assert any(a == "?" or b == "?" for a, b in d.hotspots) and any(stage == "unknown" for stage, _ in d.heat)
    assert replace(d, quotes=()) == replace(want, quotes=())


def test_sql_rules_select_and_rank_as_the_python_rules(engine) -> None:  # type: ignore[no-untyped-def]
    """Each section's SQL rule keeps what its Python rule keeps, ranked alike: all of the rule where the
    SQL has it; where it leaves a part to the pattern row (fading, unowned), the counts part first,
    and the rule with that part when read whole (unowned's age is always left to Python)."""
    from digests import signals
    from digests.snapshot import load_ranked

    _fill(engine, 11)
    start, end = digest_week(NOW)
    weeks = mondays_before(start)
    patterns, history = _patterns_and_weeks(engine, weeks)
    counts = {p.id: signals.series(history[p.id], weeks) for p in patterns}
    still_open = {p.id: p.status not in signals.CLOSED for p in patterns}
    python = {
        "new": lambda p, c: start <= p.first_seen < end,
        "spiking": lambda p, c: not start <= p.first_seen < end and signals.is_spiking(c),
        "persistent": lambda p, c: signals.is_persistent(c),
        "fading": lambda p, c: signals.is_fading(c),
        "unowned": lambda p, c: any(c[-signals.RECENT_WEEKS :]),
        "resolved": lambda p, c: p.status == "resolved" and p.status_changed_at and start <= p.status_changed_at < end,
        "top": lambda p, c: bool(c[-1]),
    }
    whole = python | {
        "fading": lambda p, c: still_open[p.id] and signals.is_fading(c),
        "unowned": lambda p, c: p.owner is None and still_open[p.id] and any(c[-signals.RECENT_WEEKS :]),
    }

    def ranked(page: int, names, read_whole):  # type: ignore[no-untyped-def]
        every = parse_audience("all", TX)
        pages = {name: page for name in names}
        return load_ranked(
            engine, patterns[0].tenant_id, start, end, every, signals.SQL_COUNTS, signals.SQL_RULES, pages, read_whole
        )

    for rules, read_whole in ((python, ()), (whole, tuple(python))):
        got = ranked(10_000, rules, read_whole)
        for name, rule in rules.items():
            want = sorted(
                (p.id for p in patterns if rule(p, counts[p.id])), key=lambda i: (-counts[i][-1], -sum(counts[i]), i)
            )
            assert [info.id for info, _ in got[name]] == want, (name, read_whole)
            assert all(signals.series(w, weeks) == counts[info.id] for info, w in got[name])
        assert all(got[name] for name in rules)  # the data reaches every section
        top3 = ranked(3, rules, read_whole)
        assert all(top3[name] == got[name][:3] for name in rules)
