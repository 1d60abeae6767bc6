"""Erasure reaches the outbox: a report waiting there is erased too and never replayed."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import recover
from bot.domain import IncomingMessage
from store.db import make_engine
from store.models import Report
from store.repository import SqlRepository

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def say(services, user: str, text: str):  # type: ignore[no-untyped-def]
    person = services.snag.person("console", "local", user)
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="console"))


def texts(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


def test_erasing_a_person_removes_their_outbox_entries_and_replay_files_only_others(services) -> None:  # type: ignore[no-untyped-def]
    say(services, "you", "filed while the database was up")
    working = services.snag.repository
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    assert say(services, "you", "filed during the outage").kind == "saved"
    assert say(services, "colleague", "the colleague's report waits too").kind == "saved"
    assert services.snag.outbox.depth() == 2
    services.snag.repository = working

    assert services.snag.erase(services.snag.person("console", "local", "you")) == 2
    assert services.snag.outbox.depth() == 1

    assert recover(services)[0] == 1  # replayed: only the colleague's report
    assert texts(services) == ["the colleague's report waits too"]
    assert say(services, "you", "mine").sections[0].text.startswith("You haven't")
    assert services.snag.outbox.depth() == 0


def test_erasure_matches_the_person_not_the_same_user_id_in_another_tenant(services) -> None:  # type: ignore[no-untyped-def]
    outbox = services.snag.outbox
    for tenant in ("local", "elsewhere"):
        outbox.put(IncomingMessage(services.snag.person("console", tenant, "you"), f"waiting in {tenant}", "console"))
    assert services.snag.erase(services.snag.person("console", "local", "you")) == 1
    assert [e.message.text for e in outbox.pending()] == ["waiting in elsewhere"]


def test_an_erasure_during_a_replay_leaves_none_of_the_person_s_reports(services) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    snag = services.snag
    snag.outbox.put(IncomingMessage(snag.person("console", "local", "you"), "kept while the database was down", "C"))
    add_report, filing = snag.repository.add_report, threading.Event()

    def slow_add_report(**kw):  # type: ignore[no-untyped-def]
        filing.set()  # the replay has read the entry and is filing it now
        time.sleep(0.3)
        return add_report(**kw)

    snag.repository.add_report = slow_add_report
    replay = threading.Thread(target=snag.replay_outbox)  # the server's recovery loop
    replay.start()
    assert filing.wait(5)
    snag.erase(snag.person("console", "local", "you"))  # waits for the filing, then erases what it filed
    replay.join(5)
    assert texts(services) == [] and snag.outbox.depth() == 0


def test_a_replay_carries_on_when_an_entry_or_its_report_is_erased_under_it(services) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    for user in ("colleague", "you", "other"):
        snag.outbox.put(IncomingMessage(snag.person("console", "local", user), f"kept for {user} meanwhile", "C"))
    tag = snag.tag

    def erase_while_tagging(record):  # type: ignore[no-untyped-def]
        if record.text == "kept for colleague meanwhile":  # the next entry and this report both go
            snag.erase(snag.person("console", "local", "you"))
            snag.erase(snag.person("console", "local", "colleague"))
        return tag(record)

    snag.tag = erase_while_tagging
    assert snag.replay_outbox() == 2
    assert texts(services) == ["kept for other meanwhile"]
