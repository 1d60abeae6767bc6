"""A team's digest holds the patterns the team has a stake in, not only those it tags on most reports.

A pattern's teams are the teams on at least half of its reports (digests.engine); a team's digest
also holds a pattern when at least a third of its reports are tagged with the team, or when its
owner, read as the taxonomy reads a team (label, title or alias, any case), is the team. In the
demo, pattern "Billing: payment…" is owned by Finance and tagged finance on 4 of its 12 reports.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.taxonomy import load_taxonomy
from digests.digest import Audience, build_digest, parse_audience
from digests.service import Digests
from digests.snapshot import PatternInfo, Snapshot, WeekReport, digest_week
from store.db import session_scope
from store.models import Alert, Pattern, Subscription, Tenant
from tests.digests.conftest import NOW, RecordingMessenger, check_alerts_now
from tests.digests.test_digest_sql import NOW_AKL, _fill, _plain_snapshot

TX = load_taxonomy()
FINANCE = parse_audience("team:finance", TX)


def _info(pid: int = 1, **kw) -> PatternInfo:  # type: ignore[no-untyped-def]
    start, _ = digest_week(NOW)
    base = dict(
        title=f"pattern {pid}",
        stage="billing",
        kinds=("waiting",),
        teams=(),
        status="new",
        owner=None,
        owner_set_at=None,
        status_changed_at=None,
        first_seen=start - timedelta(weeks=3),
        last_seen=NOW,
        report_count=12,
        members=12,
    )
    return PatternInfo(pid, **(base | kw))  # type: ignore[arg-type]


def _holds(audience: Audience, p: PatternInfo) -> bool:
    return audience.with_stakes([audience.stake_of(p)], TX).has_pattern(p)


def test_a_team_on_a_third_of_the_reports_has_a_stake() -> None:
    assert _holds(FINANCE, _info(team_reports=(("finance", 4), ("support", 4))))  # 4 of 12
    assert not _holds(FINANCE, _info(team_reports=(("finance", 3), ("support", 8))))  # 3 of 12
    assert not _holds(FINANCE, _info(team_reports=(("finance", 4),), members=13))  # 4 of 13
    assert not _holds(FINANCE, _info(team_reports=(("support", 12),)))
    assert FINANCE.has_pattern(_info(teams=("finance",)))  # the pattern's own teams, as before
    assert not FINANCE.has_pattern(_info(team_reports=(("finance", 4),)))  # until it is told its stakes


def test_an_owner_is_read_as_the_taxonomy_reads_a_team() -> None:
    for owner in ("Finance", "accounts team", "ACCOUNTS-TEAM", "finance"):
        assert _holds(FINANCE, _info(owner=owner)), owner
    for owner in ("Dana", "Support", "financ", None):
        assert not _holds(FINANCE, _info(owner=owner)), owner
    stage = parse_audience("stage:billing", TX)
    assert stage.with_stakes([(1, "Finance", 12, 12)], TX) is stage
    assert FINANCE.with_stakes([(1, "Finance", 0, 12)], TX) == FINANCE  # the stakes are not who it is for


def _snapshot(patterns: dict[int, PatternInfo]) -> Snapshot:
    start, end = digest_week(NOW)
    weeks = tuple((start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(8)))
    history = {pid: {weeks[-1]: 3} for pid in patterns}
    reports = [
        WeekReport(pid, f"r{pid}-{i}", "billing", ("waiting",), ("support",), None, None)
        for pid in patterns
        for i in range(3)
    ]
    snap = Snapshot(NOW, start, end, weeks, reports, history, patterns)
    snap.reporters = dict.fromkeys(patterns, 3)
    return snap


def test_a_digest_built_by_hand_reads_shares_and_owners() -> None:
    snap = _snapshot(
        {
            1: _info(1, team_reports=(("finance", 4), ("support", 8))),
            2: _info(2, team_reports=(("support", 12),), owner="Accounts Team"),
            3: _info(3, team_reports=(("finance", 3), ("support", 9)), owner="Dana"),
        }
    )
    d = build_digest(snap, Audience("team", "finance"), TX, k=3)
    assert [x.id for x in d.top] == [1, 2]
    assert d.total == 6


def _pattern_id(engine, prefix: str) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return next(p.id for p in s.exec(select(Pattern)).all() if p.title.startswith(prefix))  # type: ignore[misc]


def test_the_demo_finance_digest_holds_the_payment_pattern_finance_owns(demo_services) -> None:  # type: ignore[no-untyped-def]
    payment = _pattern_id(demo_services.engine, "Billing: payment, install")
    digests = demo_services.extras["digests"]

    def listed(audience: str) -> set[int]:
        d = digests.build(platform="console", tenant="local", audience=audience, now=NOW)
        return {x.id for name in ("spiking", "top") for x in getattr(d, name)}

    assert payment in listed("team:finance")  # 4 of 12 reports, and owned by Finance
    assert payment in listed("team:accounts")  # the same audience
    assert payment in listed("team:support")  # 4 of 12 reports
    assert payment not in listed("team:digital")  # 1 of 12


def _stakes(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    """Give the patterns team tag counts (some a third, some just under) and owners named as teams are."""
    rng = random.Random(seed)
    teams = TX.team_labels[:4]
    owners = ["Finance", "accounts team", "SALES", "Dana", "onboarding", None]
    with Session(engine) as s:
        for p in s.exec(select(Pattern)).all():
            n = rng.randint(1, 13)
            tags = {f"xt:{t}": float(rng.choice([0, n // 3, -(-n // 3), n // 3 - 1, n])) for t in rng.sample(teams, 2)}
            p.terms = {"w:refund": 1.0, **{k: v for k, v in tags.items() if v > 0}, "_n": float(n)}
            p.teams = [k[3:] for k, v in tags.items() if v * 2 >= n]
            p.owner = rng.choice(owners)
            s.add(p)
        s.commit()


def _with_stakes(plain: Snapshot, engine) -> Snapshot:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        terms = {p.id: p.terms for p in s.exec(select(Pattern)).all()}
    for pid, info in plain.patterns.items():
        tagged = tuple(sorted((k[3:], int(v)) for k, v in terms[pid].items() if k.startswith("xt:")))
        plain.patterns[pid] = replace(info, team_reports=tagged, members=int(terms[pid]["_n"]))
    return plain


@pytest.mark.parametrize("seed", [1, 2])
def test_sql_team_digest_equals_the_python_digest(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    _fill(engine, seed)
    _stakes(engine, seed)
    wider = 0
    for now in (NOW, NOW_AKL):
        plain = _with_stakes(_plain_snapshot(engine, now), engine)
        for team in TX.team_labels[:4]:
            audience = parse_audience(f"team:{team}", TX)
            for k in (1, 3):
                got = Digests(engine, TX, k=k).build(platform="console", tenant="t", audience=f"team:{team}", now=now)
                want = build_digest(plain, audience, TX, k=k)
                assert got == want, (now, team, k)
                wider += any(team not in x.teams for name in ("top", "new", "unowned") for x in getattr(got, name))
    assert wider  # the data exercises the shares and the owners


def test_a_team_subscription_is_alerted_of_a_pattern_it_owns(demo_services) -> None:  # type: ignore[no-untyped-def]
    payment = _pattern_id(demo_services.engine, "Billing: payment, install")
    with session_scope(demo_services.engine) as session:
        tenant = session.exec(select(Tenant).where(Tenant.external_id == "local")).one()
        session.add(Subscription(tenant_id=tenant.id, audience="team:finance", platform="console", destination="F"))  # type: ignore[arg-type]
    messenger = RecordingMessenger()
    check_alerts_now(demo_services, messenger, NOW - timedelta(days=3))  # Sunday of the demo's busy week
    with session_scope(demo_services.engine) as session:
        alerted = {a.pattern_id for a in session.exec(select(Alert)).all() if a.audience.startswith("team:finance")}
    assert payment in alerted  # 6 reports this week, over the threshold of 5
    assert any(destination == "F" for _, _, destination, _ in messenger.sent)
