"""A pattern's team counts (Pattern.team_counts) are its terms' ("xt:<team>" and "_n"), however
the row is written: a team's digest reads them instead of every pattern's terms (migration 0018).

Written through the ORM (grouping, or a row whose terms are set), by a relabel's statements, and
filled from the terms of every pattern stored before the upgrade."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel import Session, select

from bot.taxonomy import load_taxonomy
from digests.relabel import Relabel, relabel
from store.db import make_engine, upgrade
from store.models import Pattern, Tenant, team_counts_of

NOW = "2026-11-20 09:00:00"
SHARED = {"w:refund": 0.4, "xt:finance": 4.0, "xt:support": 7.0, "xk:waiting": 3.0, "_n": 12.0}


def _stored(engine) -> dict[int, object]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, team_counts FROM patterns ORDER BY id")).all()
    return {pid: json.loads(v) if isinstance(v, str) else v for pid, v in rows}


def test_team_counts_are_the_terms_team_tags_and_members() -> None:
    assert team_counts_of(SHARED) == {"finance": 4, "support": 7, "_n": 12}
    assert team_counts_of({"w:refund": 0.4, "_n": 3.0}) is None  # no report names a team
    assert team_counts_of(None) is None


def test_an_upgrade_fills_the_team_counts_of_stored_patterns(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0017_subscription_numbers")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO tenants (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', :now)"),
                {"now": NOW},
            )
            for pid, terms in ((1, SHARED), (2, {"w:login": 1.0, "_n": 2.0})):
                conn.execute(
                    text(
                        "INSERT INTO patterns (id, tenant_id, title, kinds, teams, status, first_seen, last_seen, "
                        "report_count, terms, created_at) VALUES (:id, 1, 'refunds wait', '[]', '[\"support\"]', "
                        "'new', :now, :now, 12, :terms, :now)"
                    ),
                    {"id": pid, "now": NOW, "terms": json.dumps(terms)},
                )
        upgrade(engine)
        assert _stored(engine) == {1: {"finance": 4, "support": 7, "_n": 12}, 2: None}
    finally:
        engine.dispose()


def test_rows_written_through_the_orm_and_by_a_relabel_keep_them(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with Session(engine) as s:
            tenant = Tenant(platform="slack", external_id="T1")
            s.add(tenant)
            s.commit()
            assert tenant.id is not None
            s.add(Pattern(tenant_id=tenant.id, title="refunds wait", teams=["support"], terms=SHARED))
            s.commit()
            assert list(_stored(engine).values()) == [{"finance": 4, "support": 7, "_n": 12}]
            row = s.exec(select(Pattern)).one()
            row.terms = {**SHARED, "xt:finance": 5.0, "_n": 13.0}  # grouping added a report
            s.add(row)
            s.commit()
            assert list(_stored(engine).values()) == [{"finance": 5, "support": 7, "_n": 13}]
            row.title = "refunds still wait"  # a write that leaves the terms keeps the counts
            s.add(row)
            s.commit()
            assert list(_stored(engine).values()) == [{"finance": 5, "support": 7, "_n": 13}]
        relabel(engine, Relabel("team", "finance", "payments"), load_taxonomy())
        assert list(_stored(engine).values()) == [{"payments": 5, "support": 7, "_n": 13}]
    finally:
        engine.dispose()
