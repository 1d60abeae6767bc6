"""The store on SQLite and on the real PostgreSQL: migrations, reports, dedupe, uniqueness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain import Handoff, Person, Platform, Tags
from bot.text import clean_report_text
from store.models import Correction, DigestRun, Pattern, Report, Subscription, Tenant
from store.repository import SqlRepository

ALICE = Person(Platform.SLACK, "T1", "U1")
BOB_OTHER_TENANT = Person(Platform.SLACK, "T2", "U2")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TAGS = Tags(
    stage="billing",
    kinds=("handoff", "waiting"),
    teams=("finance", "support"),
    handoff=Handoff("support", "finance"),
    confidence={"billing": 0.9},
    source="model",
    model_version="m1",
)


def add(repo: SqlRepository, text: str = "refunds wait a week in finance", person: Person = ALICE, **kw):  # type: ignore[no-untyped-def]
    return repo.add_report(
        person=person, reporter_key="k-" + person.user, text=text, channel="C1", created_at=NOW, **kw
    )


def test_migrations_create_every_table(engine) -> None:  # type: ignore[no-untyped-def]
    tables = set(inspect(engine).get_table_names())
    assert {
        "tenants",
        "reports",
        "corrections",
        "patterns",
        "digest_runs",
        "subscriptions",
        "conversation_refs",
        "processed_events",
        "slack_installations",
        "alembic_version",
    } <= tables


def test_report_round_trip_with_tags(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    record, created = add(repo)
    assert created and record.tags is None and record.status == "new"
    tagged = repo.set_tags(report_id=record.id, tags=TAGS)
    again = repo.get_report(person=ALICE, report_id=record.id)
    assert again is not None and again == tagged
    assert again.tags is not None
    assert again.tags.kinds == ("handoff", "waiting")
    assert again.tags.handoff == Handoff("support", "finance")
    assert again.status == "tagged"
    assert again.created_at == NOW


def test_same_event_twice_makes_one_report(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    first, created1 = add(repo, event_id="Ev1")
    second, created2 = add(repo, event_id="Ev1")
    assert (created1, created2) == (True, False)
    assert first.id == second.id
    with Session(engine) as s:
        assert len(s.exec(select(Report)).all()) == 1


def test_tenants_never_see_each_other(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    mine, _ = add(repo)
    add(repo, "the other tenant's report", person=BOB_OTHER_TENANT)
    assert repo.get_report(person=BOB_OTHER_TENANT, report_id=mine.id) is None
    texts = [r.text for r in repo.list_reports(person=BOB_OTHER_TENANT, limit=50)]
    assert texts == ["the other tenant's report"]


def test_search_mine_and_answers(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    a, _ = add(repo, "Refund spreadsheet again 100% wrong")
    add(repo, "courier never came")
    repo.set_answers(report_id=a.id, frequency="weekly", customer_facing=True, status="confirmed")
    found = repo.list_reports(person=ALICE, words=("refund", "100%"))
    assert [r.id for r in found] == [a.id]
    assert found[0].frequency == "weekly" and found[0].customer_facing is True
    assert repo.list_reports(person=ALICE, words=("50%",)) == []
    assert len(repo.list_reports(person=ALICE, reporter_key="k-U1")) == 2


def test_corrections_are_kept_with_before_and_after(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    record, _ = add(repo)
    repo.set_tags(report_id=record.id, tags=TAGS)
    after = Tags(stage="support", kinds=("waiting",), teams=("support",), source="person")
    repo.add_correction(report_id=record.id, corrector_key="k-U1", before=TAGS, after=after)
    with Session(engine) as s:
        row = s.exec(select(Correction)).one()
    assert row.before["stage"] == "billing" and row.after["stage"] == "support"
    assert row.after["source"] == "person"


def test_untagged_reports_are_found_for_the_backlog(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    a, _ = add(repo, "one")
    b, _ = add(repo, "two")
    repo.set_tags(report_id=a.id, tags=TAGS)
    assert [r.id for r in repo.untagged_reports()] == [b.id]


@pytest.mark.parametrize(
    "raw",
    ["nul\x00inside", "lone \ud800 surrogate", "emoji 👩🏽‍💻 and RTL مرحبا and CJK 漢字", "x" * 40_000],
)
def test_every_cleaned_text_is_accepted_and_kept(engine, raw: str) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    text = clean_report_text(raw).text
    record, _ = add(repo, text)
    assert repo.get_report(person=ALICE, report_id=record.id).text == text  # type: ignore[union-attr]


def test_digest_run_is_unique_per_audience_and_period(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        tenant = Tenant(platform="slack", external_id="T1")
        s.add(tenant)
        s.commit()
        s.add(DigestRun(tenant_id=tenant.id, audience="all", period="2026-W48"))
        s.commit()
        s.add(DigestRun(tenant_id=tenant.id, audience="all", period="2026-W48"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_subscriptions_and_patterns_store(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        tenant = Tenant(platform="teams", external_id="tid")
        s.add(tenant)
        s.commit()
        s.add(Subscription(tenant_id=tenant.id, platform="teams", destination="19:abc", audience="team:finance"))
        p = Pattern(
            tenant_id=tenant.id,
            title="Refunds stuck",
            kinds=["waiting"],
            teams=["finance"],
            first_seen=NOW - timedelta(days=3),
            last_seen=NOW,
        )
        s.add(p)
        s.commit()
        assert s.exec(select(Subscription)).one().cron == "0 9 * * mon"
        assert s.get(Pattern, p.id).last_seen == NOW  # type: ignore[union-attr]


def test_a_reports_first_tags_are_claimed_once_and_an_erased_report_is_none(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    a, _ = add(repo, "one")
    record, first = repo.tag_new(report_id=a.id, tags=TAGS)
    assert first and record is not None and record.tags is not None and record.tags.stage == TAGS.stage
    later = Tags(stage="support", kinds=("waiting",), teams=("support",), source="model")
    record, first = repo.tag_new(report_id=a.id, tags=later)
    assert not first and record is not None and record.tags is not None and record.tags.stage == TAGS.stage
    assert repo.tag_new(report_id=a.id + 1000, tags=TAGS) == (None, False)


def test_the_backlog_can_leave_reports_stored_after_a_moment(engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    repo = SqlRepository(engine)
    a, _ = add(repo, "one")  # stored at NOW
    assert repo.untagged_reports(before=NOW - timedelta(minutes=1)) == []
    assert repo.untagged_reports(before=NOW) == []
    assert [r.id for r in repo.untagged_reports(before=NOW + timedelta(seconds=1))] == [a.id]
