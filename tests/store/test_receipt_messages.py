"""Receipts Snag sent to Teams 1:1 chats, kept by activity id (migration 0016), on SQLite and
PostgreSQL: a quote-reply finds only its sender's own report by them, and erasure takes them away."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect
from sqlmodel import Session, select

from adapters.teams.receipts import ReceiptMessages
from bot.domain import Person, Platform, Reply
from store.db import alembic_config, make_engine, session_scope, upgrade
from store.models import ReceiptMessage
from store.receipts import keep_receipt
from store.repository import SqlRepository

SAM = Person(Platform.TEAMS, "tenant-a", "aad-sam")
LEE = Person(Platform.TEAMS, "tenant-a", "aad-lee")
CHAT = "a:1personal-chat-sam"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _key(person: Person) -> str:
    return f"key-{person.user}"


def _file(repo: SqlRepository, person: Person, text: str) -> int:
    record, _ = repo.add_report(person=person, reporter_key=_key(person), text=text, channel=CHAT, created_at=NOW)
    return record.id


def _receipt(report_id: int) -> Reply:
    return Reply(kind="receipt", title=f"Thanks, saved as report #{report_id}.", report_id=report_id)


def _kept(engine) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        rows = s.exec(select(ReceiptMessage).order_by(ReceiptMessage.id)).all()
        return [(r.activity_id, r.report_id) for r in rows]


def test_a_receipt_kept_finds_its_reporters_report_only(engine) -> None:  # type: ignore[no-untyped-def]
    repo, receipts = SqlRepository(engine), ReceiptMessages(engine)
    sams, lees = _file(repo, SAM, "the rota is a spreadsheet"), _file(repo, LEE, "the printer jams")
    receipts.keep(tenant="tenant-a", conversation_id=CHAT, activity_id="1:sams", reply=_receipt(sams))
    receipts.keep(tenant="tenant-a", conversation_id=CHAT, activity_id="1:sams", reply=_receipt(sams))  # again
    receipts.keep(tenant="tenant-a", conversation_id=CHAT, activity_id="1:lees", reply=_receipt(lees))
    receipts.keep(tenant="tenant-a", conversation_id=CHAT, activity_id="1:help", reply=Reply(kind="usage", title="x"))
    assert _kept(engine) == [("1:sams", sams), ("1:lees", lees)]

    def quoted(person: Person, activity_id: str, conversation_id: str = CHAT, tenant: str = "tenant-a") -> int | None:
        found = receipts.quoted(
            tenant=tenant, conversation_id=conversation_id, activity_id=activity_id, reporter_key=_key(person)
        )
        return None if found is None else found.report_id

    assert quoted(SAM, "1:sams") == sams
    assert quoted(SAM, "1:lees") is None  # Lee's report
    assert quoted(SAM, "1:help") is None and quoted(SAM, "1:nothing") is None
    assert quoted(SAM, "1:sams", conversation_id="a:1another-chat") is None
    assert quoted(SAM, "1:sams", tenant="tenant-b") is None


def test_a_receipt_of_a_report_erased_meanwhile_is_not_kept(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    gone = _file(repo, SAM, "the rota is a spreadsheet")
    assert repo.erase_reporter(person=SAM, reporter_key=_key(SAM), report_ids=[gone]) == 1
    with session_scope(engine) as session:
        kept = keep_receipt(
            session=session,
            platform="teams",
            tenant="tenant-a",
            conversation_id=CHAT,
            activity_id="1:x",
            report_id=gone,
        )
    assert kept is False and _kept(engine) == []


def test_erasure_deletes_the_receipts_of_the_reports_erased(engine) -> None:  # type: ignore[no-untyped-def]
    repo, receipts = SqlRepository(engine), ReceiptMessages(engine)
    first, second = _file(repo, SAM, "the rota is a spreadsheet"), _file(repo, SAM, "the printer jams")
    lees = _file(repo, LEE, "the leave calendar is on paper")
    for activity_id, report_id in (("1:a", first), ("1:b", second), ("1:c", lees)):
        receipts.keep(tenant="tenant-a", conversation_id=CHAT, activity_id=activity_id, reply=_receipt(report_id))
    assert repo.erase_reporter(person=SAM, reporter_key=_key(SAM), report_ids=[first]) == 1
    assert _kept(engine) == [("1:b", second), ("1:c", lees)]
    assert repo.erase_reporter(person=SAM, reporter_key=_key(SAM)) == 1  # `erase mine`
    assert _kept(engine) == [("1:c", lees)]


def test_the_migration_goes_up_and_down(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0015_owed_updates")
    assert "receipt_messages" not in inspect(engine).get_table_names()
    upgrade(engine)
    found = inspect(engine)
    assert "receipt_messages" in found.get_table_names()
    assert {u["name"] for u in found.get_unique_constraints("receipt_messages")} == {"uq_receipt_message"}
    assert {i["name"] for i in found.get_indexes("receipt_messages")} >= {"ix_receipt_messages_report_id"}
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015_owed_updates")
    assert "receipt_messages" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "receipt_messages" in inspect(engine).get_table_names()
    engine.dispose()
