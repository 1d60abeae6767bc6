"""A database outage loses no words added to a report: a reply under the message that filed it,
or an edit of that message, waits in the outbox with the reports and is applied when it is
replayed, in order, exactly once; and a report stored before the outage met its tagging is
answered with its number, never the outage."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot import privacy
from bot.app import recover
from bot.cards import TAGS_TO_FOLLOW
from bot.domain import IncomingMessage
from store.models import Report

OUTAGE = "The database cannot be reached right now."


class Outage:
    """The database refusing every statement while `down`, as an unreachable one does."""

    def __init__(self, engine: Any) -> None:
        self.down = False
        event.listen(engine, "before_cursor_execute", self._refuse)

    def _refuse(self, *_args: Any) -> None:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")


@pytest.fixture
def outage(services) -> Iterator[Outage]:  # type: ignore[no-untyped-def]
    yield Outage(services.engine)


def _said(services, text: str, message_id: str, event_id: str | None = None) -> IncomingMessage:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return IncomingMessage(person, text, "D1", via="dm", message_id=message_id, event_id=event_id)


def _texts(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


def _report(services, text: str, message_id: str = "1.1") -> int:  # type: ignore[no-untyped-def]
    reply = services.snag.handle_message(_said(services, text, message_id))
    assert reply.kind == "receipt" and reply.report_id is not None
    return reply.report_id


def test_a_reply_under_a_report_in_an_outage_is_kept_then_added_once(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    _report(services, "the label printer jams every morning")
    outage.down = True
    reply = _said(services, "and the spare one has no toner", "1.2", event_id="Ev2")
    done = snag.add_to_report(reply, "1.1")
    assert done is not None and snag.add_to_report(reply, "1.1") is not None  # Slack's retry: kept once
    answer = snag.finish_edit(done)
    assert answer.kind == "saved" and "Your reply is saved" in answer.title and OUTAGE not in answer.title
    assert snag.outbox.depth() == 1

    outage.down = False
    assert snag.replay_outbox() == 1
    assert _texts(services) == ["the label printer jams every morning; also: and the spare one has no toner"]
    assert snag.replay_outbox() == 0 and snag.outbox.depth() == 0
    assert len(_texts(services)) == 1


def test_an_edit_of_a_report_s_message_in_an_outage_is_kept_then_applied(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    _report(services, "the label printer jams every morning")
    snag.add_to_report(_said(services, "the spare one too", "1.2"), "1.1")
    outage.down = True
    edited = _said(services, "the label printer at dock 4 jams every morning", "1.1", event_id="EvEdit")
    done = snag.store_edit(edited, before="the label printer jams every morning")
    assert done is not None and done.reply.kind == "saved" and "Your edit is saved" in done.reply.title

    outage.down = False
    assert recover(services) == (1, 0)
    # the reply added under it stays, as an edit made live keeps it
    assert _texts(services) == ["the label printer at dock 4 jams every morning; also: the spare one too"]


def test_a_report_its_reply_and_its_edit_all_kept_are_applied_in_order(services, outage, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    outage.down = True
    assert snag.handle_message(_said(services, "the van app crashes on scan", "1.1")).kind == "saved"
    assert snag.add_to_report(_said(services, "every damaged parcel", "1.2"), "1.1") is not None
    edited = _said(services, "the van app crashes when we scan", "1.1")
    assert snag.store_edit(edited, before="the van app crashes on scan") is not None
    assert snag.outbox.depth() == 3

    outage.down = False
    assert snag.replay_outbox() == 3
    assert _texts(services) == ["the van app crashes when we scan; also: every damaged parcel"]
    assert fixed_classifier.seen[-1] == "the van app crashes when we scan; also: every damaged parcel"


def test_a_reply_under_a_report_still_in_the_outbox_waits_behind_it(services, outage) -> None:  # type: ignore[no-untyped-def]
    """The database is back, the outbox not replayed yet: the reply is added to that report, not
    filed as one of its own (nor its edit lost)."""
    snag = services.snag
    outage.down = True
    snag.handle_message(_said(services, "the van app crashes on scan", "1.1"))
    outage.down = False
    done = snag.add_to_report(_said(services, "every damaged parcel", "1.2"), "1.1")
    assert done is not None and done.reply.kind == "saved"
    edited = _said(services, "the van app crashes when we scan", "1.1")
    edit = snag.store_edit(edited, before="the van app crashes on scan")
    assert edit is not None and edit.reply.kind == "saved"
    assert _texts(services) == []
    assert snag.replay_outbox() == 3
    assert _texts(services) == ["the van app crashes when we scan; also: every damaged parcel"]


def test_a_kept_reply_under_a_message_that_filed_nothing_is_filed_as_a_report(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    outage.down = True
    done = snag.add_to_report(_said(services, "the rota app deletes my shifts", "1.2", event_id="EvR"), "0.9")
    assert done is not None and done.reply.kind == "saved"
    outage.down = False
    assert snag.replay_outbox() == 1
    assert _texts(services) == ["the rota app deletes my shifts"]


def test_a_reply_that_reads_as_no_report_is_answered_without_the_database(services, outage) -> None:  # type: ignore[no-untyped-def]
    _report(services, "the label printer jams every morning")
    outage.down = True
    done = services.snag.add_to_report(_said(services, "the", "1.2"), "1.1")
    assert done is not None and "a bit short" in " ".join(done.reply.notices)
    assert services.snag.outbox.depth() == 0


def test_erasing_drops_the_kept_replies_and_edits(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    person = snag.person("slack", "T1", "U1")
    first = _report(services, "the label printer jams every morning")
    _report(services, "the van app crashes on scan", "2.1")
    outage.down = True
    snag.add_to_report(_said(services, "and the spare one has no toner", "1.2"), "1.1")
    snag.add_to_report(_said(services, "every damaged parcel", "2.2"), "2.1")
    outage.down = False

    assert privacy.erase(snag, person, [first]) == 1  # `erase 1`: its reply goes with it
    assert snag.outbox.depth() == 1
    assert snag.erase(person) == 1  # `erase mine`: the rest, and nothing filed from the outbox later
    assert snag.outbox.depth() == 0
    assert snag.replay_outbox() == 0 and _texts(services) == []


def test_entries_written_before_changes_were_kept_still_replay(services) -> None:  # type: ignore[no-untyped-def]
    old = {
        "person": {"platform": "slack", "tenant": "T1", "user": "U1", "role": "staff", "tenant_name": None},
        "text": "kept by an older Snag",
        "channel": "D1",
        "via": "dm",
        "event_id": "EvOld",
        "frequency": None,
        "customer_facing": None,
        "received_at": "2026-01-05T10:00:00+00:00",
        "mentions": [],
        "message_id": "1.1",
    }
    folder = services.snag.outbox.directory
    (folder / "00000000000000000001-old.json").write_text(json.dumps(old), encoding="utf-8")
    assert services.snag.replay_outbox() == 1
    assert _texts(services) == ["kept by an older Snag"]


def test_a_report_stored_before_tagging_met_the_outage_is_answered_with_its_number(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    capture = snag.store_report(_said(services, "refunds sit in the finance inbox for a week", "1.1"))
    assert capture.record is not None
    outage.down = True
    reply = snag.finish_report(capture)
    assert reply.kind == "receipt" and reply.title == f"Thanks, saved as report #{capture.record.id}."
    assert TAGS_TO_FOLLOW in reply.notices and OUTAGE not in reply.plain_text()
    assert "not tagged yet" in reply.plain_text()

    outage.down = False
    assert recover(services) == (0, 1)  # the recovery sweep tags it
    with Session(services.engine) as s:
        assert s.exec(select(Report)).one().stage == "billing"


def test_a_replay_interrupted_after_adding_a_reply_adds_it_once(services, outage) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    _report(services, "the label printer jams every morning")
    outage.down = True
    snag.add_to_report(_said(services, "and the spare one has no toner", "1.2"), "1.1")
    outage.down = False
    done = snag.outbox.done
    snag.outbox.done = lambda entry: None  # a crash after the words were stored, before the entry went
    snag.replay_outbox()
    snag.outbox.done = done
    assert snag.outbox.depth() == 1
    snag.replay_outbox()
    assert _texts(services) == ["the label printer jams every morning; also: and the spare one has no toner"]
    assert snag.outbox.depth() == 0


def test_an_edit_of_a_reply_added_to_a_report_is_kept_then_applied_to_its_part(services, outage) -> None:  # type: ignore[no-untyped-def]
    """The platform says which message the edited reply is under (`under`): kept, it changes the
    reply's part of the report, as `edit_added_reply` does when the database answers."""
    snag = services.snag
    _report(services, "the label printer jams every morning")
    snag.add_to_report(_said(services, "the spare one too", "1.2"), "1.1")
    snag.add_to_report(_said(services, "and nobody orders labels", "1.3"), "1.1")
    outage.down = True
    edited = _said(services, "the spare one at dock 4 too", "1.2")
    done = snag.store_edit(edited, before="the spare one too", under="1.1")
    assert done is not None and done.reply.kind == "saved"
    outage.down = False
    assert snag.replay_outbox() == 1
    assert _texts(services) == [
        "the label printer jams every morning; also: the spare one at dock 4 too; also: and nobody orders labels"
    ]


def test_an_unchanged_message_in_an_outage_keeps_nothing_and_says_nothing(services, outage) -> None:  # type: ignore[no-untyped-def]
    """Slack says "changed" for a link preview or a new thread reply too: the same words."""
    _report(services, "the label printer jams every morning")
    outage.down = True
    same = _said(services, "the label printer jams every morning", "1.1")
    assert services.snag.store_edit(same, before="the label printer jams every morning") is None
    assert services.snag.outbox.depth() == 0
