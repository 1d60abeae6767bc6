"""A report remembers the person's own message it was filed from, so an edit, a deletion or a reply
under that message finds it: on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from bot.app import build
from bot.config import Settings
from bot.domain import IncomingMessage, Person, Platform
from store.models import Pattern, TermCount
from store.repository import SqlRepository
from tests.conftest import FixedClassifier

ALICE = Person(Platform.SLACK, "T1", "U1")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_report_is_found_by_its_message_only_by_its_reporter_in_its_channel(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    record, _ = repo.add_report(
        person=ALICE, reporter_key="k-alice", text="the printer jams", channel="D1", created_at=NOW, message_id="17.1"
    )
    assert repo.find_by_message(person=ALICE, reporter_key="k-alice", channel="D1", message_id="17.1") == record
    assert repo.find_by_message(person=ALICE, reporter_key="k-bob", channel="D1", message_id="17.1") is None
    assert repo.find_by_message(person=ALICE, reporter_key="k-alice", channel="D2", message_id="17.1") is None
    elsewhere = Person(Platform.SLACK, "T2", "U1")
    assert repo.find_by_message(person=elsewhere, reporter_key="k-alice", channel="D1", message_id="17.1") is None
    updated = repo.set_text(report_id=record.id, text="the printer on dock 3 jams", was="the printer jams")
    assert updated is not None and updated.text == "the printer on dock 3 jams" and updated.id == record.id
    assert repo.set_text(report_id=record.id, text="something else", was="the printer jams") is None


def test_an_edit_regroups_on_either_database(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=db_url,
        reporter_secret="test-secret",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    snag = services.snag
    person = snag.person("slack", "T1", "U1")
    said = IncomingMessage(person=person, text="the label printer jams", channel="D1", via="dm", message_id="17.1")
    assert snag.handle_message(said).kind == "receipt"
    edited = IncomingMessage(
        person=person, text="the courier van leaves before the dock closes", channel="D1", via="dm", message_id="17.1"
    )
    reply = snag.edit_report(edited)
    assert reply is not None and reply.title == "Updated report #1."
    assert snag.edit_report(edited) is None  # the same words again (a retry): nothing to say
    assert snag.report_deleted(person, "D1", "17.1") is not None
    assert snag.report_deleted(person, "D1", "17.2") is None
    with Session(services.engine) as session:
        terms = dict(session.exec(select(TermCount.term, TermCount.docs)).all())
        [pattern] = session.exec(select(Pattern)).all()
    assert "w:print" not in terms and terms["w:couri"] == 1 and terms["#"] == 1
    assert pattern.report_count == 1 and "w:couri" in pattern.terms
    services.engine.dispose()


def test_a_report_replayed_from_the_outbox_still_follows_its_message(settings: Settings) -> None:
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    snag = services.snag
    assert snag.outbox is not None
    person = snag.person("slack", "T1", "U1")
    kept = IncomingMessage(
        person=person, text="the label printer jams", channel="D1", via="dm", event_id="Ev1", message_id="17.1"
    )
    snag.outbox.put(kept)  # the database was down when it came
    assert snag.replay_outbox() == 1
    edited = IncomingMessage(person=person, text="the label printer on dock 3 jams", channel="D1", message_id="17.1")
    reply = snag.edit_report(edited)
    assert reply is not None and reply.title == "Updated report #1."
    services.engine.dispose()
