"""Erasure and retention on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import Person, Platform, Tags
from store.models import Correction, Pattern, Report, Tenant
from store.privacy import RETAINED_TEXT
from store.repository import SqlRepository

NOW = datetime(2026, 11, 23, tzinfo=UTC)
A = Person(Platform.SLACK, "T1", "UA")
B = Person(Platform.SLACK, "T1", "UB")
OTHER_TENANT = Person(Platform.SLACK, "T2", "UA")


def file(repo: SqlRepository, person: Person, text: str, when: datetime = NOW) -> int:
    record, _ = repo.add_report(
        person=person, reporter_key=f"key-{person.tenant}-{person.user}", text=text, channel="C", created_at=when
    )
    return record.id


def test_erasure_removes_one_persons_reports_and_keeps_everyone_elses(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    a1, a2 = file(repo, A, "a one"), file(repo, A, "a two")
    b1 = file(repo, B, "b one")
    file(repo, OTHER_TENANT, "same user id, other tenant")
    repo.add_correction(
        report_id=a1,
        corrector_key="key-T1-UA",
        before=None,
        after=Tags(stage=None, kinds=("waiting",), teams=(), source="person"),
    )
    with Session(engine) as s:
        tenant = s.exec(select(Tenant).where(Tenant.external_id == "T1")).one()
        pattern = Pattern(tenant_id=tenant.id, title="p", report_count=3)
        s.add(pattern)
        s.commit()
        for rid in (a1, a2, b1):
            row = s.get(Report, rid)
            row.pattern_id = pattern.id  # type: ignore[union-attr]
            s.add(row)
        s.commit()
        pattern_id = pattern.id
    assert repo.erase_reporter(person=A, reporter_key="key-T1-UA") == 2
    with Session(engine) as s:
        texts = sorted(r.text for r in s.exec(select(Report)).all())
        assert texts == ["b one", "same user id, other tenant"]
        assert s.exec(select(Correction)).all() == []
        assert s.get(Pattern, pattern_id).report_count == 1  # type: ignore[union-attr]


def test_retention_reduces_old_reports_to_their_tags(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    old = file(repo, A, "old words", NOW - timedelta(days=400))
    new = file(repo, A, "new words", NOW - timedelta(days=3))
    repo.set_tags(report_id=old, tags=Tags(stage="billing", kinds=("waiting",), teams=("finance",)))
    assert repo.apply_retention(older_than=NOW - timedelta(days=365)) == 1
    assert repo.apply_retention(older_than=NOW - timedelta(days=365)) == 0
    with Session(engine) as s:
        kept = s.get(Report, old)
        assert kept.text == RETAINED_TEXT and kept.stage == "billing"  # type: ignore[union-attr]
        assert s.get(Report, new).text == "new words"  # type: ignore[union-attr]


def test_erasure_takes_reports_out_of_weekly_pattern_counts(engine) -> None:  # type: ignore[no-untyped-def]
    from store.models import PatternWeek

    repo = SqlRepository(engine)
    mine = file(repo, A, "a one", NOW - timedelta(days=2))
    theirs = file(repo, B, "b one", NOW - timedelta(days=2))
    with Session(engine) as s:
        tenant = s.exec(select(Tenant).where(Tenant.external_id == "T1")).one()
        pattern = Pattern(tenant_id=tenant.id, title="p", report_count=2)
        s.add(pattern)
        s.commit()
        for rid in (mine, theirs):
            row = s.get(Report, rid)
            row.pattern_id = pattern.id  # type: ignore[union-attr]
            s.add(row)
        monday = (NOW - timedelta(days=2)).date()
        monday = monday - timedelta(days=monday.weekday())
        s.add(PatternWeek(tenant_id=tenant.id, pattern_id=pattern.id, week=monday.isoformat(), reports=2))
        s.commit()
    repo.erase_reporter(person=A, reporter_key="key-T1-UA")
    with Session(engine) as s:
        assert s.exec(select(PatternWeek)).one().reports == 1
