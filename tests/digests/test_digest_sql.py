"""The digest the service reads with SQL equals the digest built in Python from every report and pattern.

The service aggregates the week and ranks the sections in the database (signals.SQL_RULES) and
only reads the patterns a section shows; the reference here reads the whole tenant with plain
SELECTs, counts each pattern's reports in the digest's own weeks (digests.week.week_windows) and
its reporters, and builds the digest with the Python rules. Both on SQLite and on PostgreSQL, for
digests in UTC, New York and Auckland, with random data made to hit the edges: owners on most
patterns (so the unowned section has to read further down the ranking), closed patterns among the
fading ones, patterns with one or two reporters among busy ones, ties, reports, first-seen and
status-change times on the weeks' boundaries (UTC and local), reports without a pattern, other
tenants and other weeks. The weekly counts are what grouping keeps: each pattern's reports per
UTC week.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.taxonomy import load_taxonomy
from digests.digest import MAX_LINES, MOST, SECTIONS, build_digest, in_section, parse_audience
from digests.service import Digests
from digests.snapshot import PatternInfo, Snapshot, WeekReport, digest_week, mondays_before
from digests.week import week_of, week_windows
from store.models import Pattern, PatternWeek, Report, Tenant

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NOW_NY = NOW.astimezone(ZoneInfo("America/New_York"))  # the same week, from Monday 05:00 UTC
NOW_AKL = NOW.astimezone(ZoneInfo("Pacific/Auckland"))  # the same week, from Sunday 11:00 UTC
TX = load_taxonomy()


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _edges() -> list[datetime]:
    """Every boundary of the weeks the tests look at (UTC Mondays and local ones), and a microsecond before."""
    bounds = {
        _utc(b) for now in (NOW, NOW_NY, NOW_AKL) for _, lo, hi in week_windows(*digest_week(now)) for b in (lo, hi)
    }
    return sorted(bounds | {b - timedelta(microseconds=1) for b in bounds})


def _report(
    rng: random.Random, tenant_id: int, pattern_id: int | None, reporter: str, when: datetime, i: int
) -> Report:
    teams, stages, kinds = TX.team_labels[:4], TX.stage_labels[:4], TX.kind_labels[:4]
    handoff = rng.random() < 0.4
    return Report(
        tenant_id=tenant_id,
        pattern_id=pattern_id,
        platform="console",
        reporter_key=reporter,
        text=f"report {i} about {rng.choice(['refunds', 'logins', 'delivery'])}",
        created_at=when,
        stage=rng.choice([*stages, None, ""]),
        kinds=rng.sample(kinds, rng.randint(0, 3)),
        teams=rng.sample(teams, rng.randint(0, 2)),
        handoff_from=rng.choice([*teams, None, ""]) if handoff else None,
        handoff_to=rng.choice([*teams, None]) if handoff else None,
    )


def _fill(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    start, end = digest_week(NOW)
    mondays = [datetime.combine(start.date() - timedelta(weeks=i), time.min, UTC) for i in range(-1, 11)]
    teams, stages, kinds = TX.team_labels[:4], TX.stage_labels[:4], TX.kind_labels[:4]
    edges = _edges()
    moments = [*edges, start + timedelta(days=3)]
    with Session(engine) as s:
        ours, other = Tenant(platform="console", external_id="t"), Tenant(platform="console", external_id="other")
        s.add_all([ours, other])
        s.commit()
        patterns = []
        for i in range(rng.randint(60, 140)):
            tenant = other if i % 17 == 0 else ours
            first = rng.choice(moments) if rng.random() < 0.3 else start - timedelta(days=rng.randint(1, 60))
            closed = rng.random() < 0.25
            owner = rng.choice(["IT", "Finance"]) if rng.random() < 0.8 else None
            p = Pattern(
                tenant_id=tenant.id,
                title=f"pattern {i}",
                stage=rng.choice([*stages, None]),
                kinds=rng.sample(kinds, rng.randint(0, 2)),
                teams=rng.sample(teams, rng.randint(0, 2)),
                status=rng.choice(["resolved", "wont_fix"]) if closed else rng.choice(["new", "acknowledged"]),
                owner=owner,
                owner_set_at=rng.choice([None, NOW - timedelta(days=14), NOW - timedelta(days=3)])
                if not owner
                else None,
                status_changed_at=rng.choice([*moments, None, start - timedelta(days=9)]),
                first_seen=first,
                last_seen=NOW,
            )
            patterns.append(p)
        s.add_all(patterns)
        s.commit()
        reporters = [f"k{i}" for i in range(rng.randint(6, 30))]
        rows = []
        for p in patterns:  # each pattern's reports, week by week, from its own few people or from anyone
            busy = rng.choice([0, 1, 3, 8])
            people = rng.sample(reporters, rng.choice([1, 2, len(reporters)]))
            for monday in mondays:
                if rng.random() < 0.6:
                    n = rng.randint(0, busy) if rng.random() < 0.9 else rng.randint(0, 12)
                    for _ in range(n):
                        when = (
                            rng.choice(edges)
                            if rng.random() < 0.15
                            else monday + timedelta(seconds=rng.randrange(7 * 86400))
                        )
                        rows.append(_report(rng, p.tenant_id, p.id, rng.choice(people), when, len(rows)))
        for _ in range(rng.randint(20, 60)):  # reports without a pattern
            when = rng.choice([*moments, start + timedelta(seconds=rng.randrange(7 * 86400))])
            rows.append(_report(rng, ours.id, None, rng.choice(reporters), when, len(rows)))
        s.add_all(rows)
        weekly = Counter((r.tenant_id, r.pattern_id, week_of(r.created_at)) for r in rows if r.pattern_id)
        s.add_all(PatternWeek(tenant_id=t, pattern_id=pid, week=w, reports=n) for (t, pid, w), n in weekly.items())
        s.commit()


def _tenant_rows(engine) -> tuple[list[Pattern], list[Report]]:  # type: ignore[no-untyped-def]
    """Every pattern and report of the test tenant."""
    with Session(engine) as s:
        tenant = s.exec(select(Tenant).where(Tenant.external_id == "t")).one()
        patterns = list(s.exec(select(Pattern).where(Pattern.tenant_id == tenant.id)).all())
        reports = list(s.exec(select(Report).where(Report.tenant_id == tenant.id)).all())
    return patterns, reports


def _plain_snapshot(engine, now: datetime) -> Snapshot:  # type: ignore[no-untyped-def]
    """Everything read the plain way: each pattern's reports counted in the digest's own weeks, the
    week's reports, every pattern's distinct reporters (by the week's end) and latest words of the week."""
    start, end = digest_week(now)
    patterns, reports = _tenant_rows(engine)
    history: dict[int, dict[str, int]] = defaultdict(dict)
    everyone: dict[int, set[str]] = defaultdict(set)
    windows = week_windows(start, end)
    weekly_people: dict[int, list[set[str]]] = defaultdict(lambda: [set() for _ in windows])
    for r in reports:
        if r.pattern_id and _utc(r.created_at) < end:
            everyone[r.pattern_id].add(r.reporter_key)
            for i, (monday, lo, hi) in enumerate(windows):
                if lo <= _utc(r.created_at) < hi:
                    history[r.pattern_id][monday] = history[r.pattern_id].get(monday, 0) + 1
                    weekly_people[r.pattern_id][i].add(r.reporter_key)
    info = {
        p.id: PatternInfo(
            p.id,
            p.title,
            p.stage,
            tuple(p.kinds),
            tuple(p.teams),
            p.status,
            p.owner,
            p.owner_set_at and _utc(p.owner_set_at),
            p.status_changed_at and _utc(p.status_changed_at),
            _utc(p.first_seen),
            _utc(p.last_seen),
            p.report_count,
        )
        for p in patterns
    }
    week = [r for r in reports if start <= _utc(r.created_at) < end]
    snap = Snapshot(
        now,
        start,
        end,
        mondays_before(start),
        [
            WeekReport(
                r.pattern_id, r.reporter_key, r.stage, tuple(r.kinds), tuple(r.teams), r.handoff_from, r.handoff_to
            )
            for r in week
        ],
        dict(history),
        info,  # type: ignore[arg-type]
    )
    snap.reporters = {pid: len(people) for pid, people in everyone.items()}
    snap.week_people = lambda ids: {pid: tuple(len(p) for p in weekly_people[pid]) for pid in ids}
    snap.prev_reports = [
        WeekReport(r.pattern_id, r.reporter_key, r.stage, tuple(r.kinds), tuple(r.teams), r.handoff_from, r.handoff_to)
        for r in reports
        if start - (end - start) <= _utc(r.created_at) < start
    ]
    latest: dict[int, Report] = {}
    for r in sorted(week, key=lambda r: (_utc(r.created_at), r.id)):
        if r.pattern_id:
            latest[r.pattern_id] = r
    snap.quotes = {pid: r.text for pid, r in latest.items()}
    return snap


def _reference(engine, audience, k: int, now: datetime = NOW):  # type: ignore[no-untyped-def]
    """The digest built the plain way: every report and pattern read, everything decided in Python."""
    return build_digest(_plain_snapshot(engine, now), audience, TX, k=k)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_digest_equals_the_python_digest(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    _fill(engine, seed)
    rng = random.Random(seed)
    audiences = ["all", f"team:{rng.choice(TX.team_labels[:4])}", f"stage:{rng.choice(TX.stage_labels[:4])}"]
    longer = 0
    for now in (NOW, NOW_NY, NOW_AKL):
        plain = _plain_snapshot(engine, now)
        for raw in audiences:
            audience = parse_audience(raw, TX)
            for k in (1, 2, 3, 50):  # 50: the audience is too small, the digest suppressed
                got = Digests(engine, TX, k=k).build(platform="console", tenant="t", audience=raw, now=now)
                want = build_digest(plain, audience, TX, k=k)
                assert got == want, (now, raw, k)
                longer += any(got.sizes.get(name, 0) > MAX_LINES for name in SECTIONS)
    busy = Digests(engine, TX, k=1).build(platform="console", tenant="t", audience="all", now=NOW)
    assert busy.top and busy.unowned is not None and busy.total  # the data exercises the sections
    assert longer  # and sections with more patterns than they list


def test_the_unowned_section_looks_past_owned_patterns_ranked_above(engine) -> None:  # type: ignore[no-untyped-def]
    """Owned patterns rank first; the unowned section lists the best unowned ones, not an empty page."""
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
            s.add(PatternWeek(tenant_id=tenant.id, pattern_id=p.id, week=start.date().isoformat(), reports=43 - i))
            for j in range(43 - i):
                s.add(
                    Report(
                        tenant_id=tenant.id,
                        pattern_id=p.id,
                        platform="console",
                        reporter_key=f"k{j % 3}",
                        text="x",
                        created_at=start + timedelta(minutes=j),
                    )
                )
        s.commit()
    d = Digests(engine, TX, k=3).build(platform="console", tenant="t", audience="all", now=NOW)
    assert [x.title for x in d.unowned] == [f"p{i}" for i in range(30, 35)]
    assert d.sizes["unowned"] == 10 and d.sizes["top"] == MOST  # 40, counted up to MOST
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


def _ranked(engine, plain: Snapshot, k: int, *, page: int, most: int):  # type: ignore[no-untyped-def]
    """Every section's patterns as the service's statement reads them, for the plain snapshot's week."""
    from digests import signals
    from digests.snapshot import load_ranked

    with Session(engine) as s:
        tenant_id = s.exec(select(Tenant.id).where(Tenant.external_id == "t")).one()
    return load_ranked(
        engine,
        tenant_id,
        plain.week_start,
        plain.week_end,
        parse_audience("all", TX),
        signals.SQL_COUNTS,
        signals.SQL_RULES,
        page=page,
        k=k,
        most=most,
        moments=signals.sql_moments(plain.now),
    )


@pytest.mark.parametrize("k", [1, 3])
def test_sql_rules_select_and_rank_as_the_python_rules(engine, k: int) -> None:  # type: ignore[no-untyped-def]
    """Each section's SQL rule, with the anonymity threshold, keeps exactly what its Python rule keeps
    among the patterns with at least k reporters, ranked alike, with the weekly counts of the digest's
    own weeks; a smaller page is the start of the same ranking and a smaller `most` caps the count."""
    from digests import signals

    _fill(engine, 11)
    reached: set[str] = set()
    for now in (NOW, NOW_NY):
        plain = _plain_snapshot(engine, now)
        counts = {pid: signals.series(plain.history.get(pid, {}), plain.weeks) for pid in plain.patterns}
        got, sizes = _ranked(engine, plain, k, page=10_000, most=10_000)
        top3, capped = _ranked(engine, plain, k, page=3, most=4)
        for name in SECTIONS:
            kept = [
                pid
                for pid, p in plain.patterns.items()
                if plain.reporters.get(pid, 0) >= k and in_section(name, p, counts[pid], plain, k=k)
            ]
            shown = {  # this week's reports as a line shows them: none when from fewer than k people
                pid: counts[pid][-1] if plain.people_of(p)[0] >= k else 0 for pid, p in plain.patterns.items()
            }
            want = sorted(kept, key=lambda i: (-shown[i], -sum(counts[i]), i))  # noqa: B023 (used at once)
            assert [info.id for info, _ in got[name]] == want, (now, name)
            assert all(info.people == plain.people_of(plain.patterns[info.id]) for info, _ in got[name])
            assert all(signals.series(w, plain.weeks) == counts[info.id] for info, w in got[name])
            assert sizes[name] == len(want) and capped[name] == min(len(want), 4)
            assert top3[name] == got[name][:3]
            reached |= {name} if want else set()
    assert reached == set(SECTIONS)  # the data reaches every section
