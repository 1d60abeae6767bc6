"""Hearing back: each reporter is told about their own report, in plain words, and never who else
reported it, nor how many unless at least k people did (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.domain import IncomingMessage, Reply
from digests.loop import notify_reporters, set_pattern
from store.conversations import save_reference
from store.db import session_scope
from store.models import Report
from tests.digests.conftest import NOW, RecordingMessenger, make_services, run_async

OLDER = "the pharmacy never answers the phone before 10 so ward 4 waits for meds"
NEWER = "pharmacy phone not answered before 10 again, call me on 07700 900123"
BEA = "the pharmacy phone rings out every morning and the ward waits for medication"
CAL = "nobody at the pharmacy picks up the phone before ten, meds for ward 4 are late"


@pytest.fixture
def loop_services(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path, db_url)
    yield services
    services.engine.dispose()


def file(services, user: str, text: str, minutes: int) -> int:  # type: ignore[no-untyped-def]
    snag = services.snag
    person = snag.person("console", "local", user)
    reply = snag.handle_message(
        IncomingMessage(person=person, text=text, channel=f"dm-{user}", received_at=NOW + timedelta(minutes=minutes))
    )
    assert reply.kind == "receipt" and reply.report_id is not None
    with session_scope(services.engine) as session:
        save_reference(
            session=session,
            platform="console",
            tenant="local",
            conversation_id=f"dm-{user}",
            reference={},
            reporter_key=snag.key_of(person),
        )
    return reply.report_id


def one_pattern(services, status: str, owner: str | None = None):  # type: ignore[no-untyped-def]
    """Every report in the first report's pattern, then that pattern changed by a manager."""
    with session_scope(services.engine) as session:
        pid = session.exec(select(Report.pattern_id).order_by(Report.id)).first()
        session.exec(update(Report).values(pattern_id=pid))  # type: ignore[call-overload]
    row, changed = set_pattern(
        services.engine, platform="console", tenant="local", pattern_id=pid, status=status, owner=owner
    )
    assert changed
    return row


def told(services, row, k: int = 3) -> dict[str, Reply]:  # type: ignore[no-untyped-def]
    messenger = RecordingMessenger()
    sent = notify_reporters(
        services.engine,
        pattern=row,
        messengers={"console": messenger},
        run_async=run_async,
        k=k,
        taxonomy=services.taxonomy,
    )
    assert sent == len(messenger.sent)
    return {destination: reply for _, _, destination, reply in messenger.sent}


def test_each_reporter_hears_about_their_own_newest_report_in_plain_words(loop_services) -> None:  # type: ignore[no-untyped-def]
    file(loop_services, "ann", OLDER, 0)
    newest = file(loop_services, "ann", NEWER, 5)
    bea = file(loop_services, "bea", BEA, 10)
    updates = told(loop_services, one_pattern(loop_services, "wont_fix"))
    assert sorted(updates) == ["dm-ann", "dm-bea"], "one message per person, however many reports"

    ann = updates["dm-ann"].plain_text()
    assert ann.startswith(f"An update on your report #{newest}\n")
    assert "pharmacy phone not answered before 10 again, call me on [phone]" in ann, "their words, redacted"
    assert "07700" not in ann and OLDER not in ann and BEA not in ann
    assert "Status: won't fix" in ann and "Owner: not assigned yet" in ann
    assert "It was looked at, and the decision for now is not to change it." in ann
    assert "keep reporting it" in ann and "Type mine to see all your reports" in ann
    assert "Pattern" not in ann and "this is what reports are for" not in ann
    assert "other people" not in ann, "two reporters are fewer than k: how many is not said"

    bea_said = updates["dm-bea"].plain_text()
    assert bea_said.startswith(f"An update on your report #{bea}\n") and BEA in bea_said
    assert "pharmacy phone not answered" not in bea_said and f"#{newest}" not in bea_said


def test_how_many_others_is_said_once_k_people_reported_it(loop_services) -> None:  # type: ignore[no-untyped-def]
    for n, (user, text) in enumerate([("ann", OLDER), ("bea", BEA), ("cal", CAL)]):
        file(loop_services, user, text, n)
    updates = told(loop_services, one_pattern(loop_services, "in_progress", owner="Pharmacy lead"), k=3)
    assert len(updates) == 3
    for reply in updates.values():
        text = reply.plain_text()
        assert "2 other people reported the same problem" in text
        assert "Status: being worked on" in text and "Owner: Pharmacy lead" in text
        assert "Someone is working on it now." in text
    assert OLDER not in updates["dm-bea"].plain_text() and CAL not in updates["dm-ann"].plain_text()
    fewer = told(loop_services, one_pattern(loop_services, "resolved"), k=4)
    assert all("other people" not in r.plain_text() for r in fewer.values())
    assert all("It should be fixed now." in r.plain_text() for r in fewer.values())


def _statements_while(services, work):  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        result = work()
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    return result, len(seen)


def test_telling_reporters_reads_the_same_few_queries_however_many_reported(loop_services) -> None:  # type: ignore[no-untyped-def]
    """Two queries per reporter made a status change on a pattern of 500 reporters 1,000 queries."""
    for n, user in enumerate(("ann", "bea", "cal")):
        file(loop_services, user, (OLDER, BEA, CAL)[n], n)
    row = one_pattern(loop_services, "in_progress", owner="Pharmacy lead")
    told3, few = _statements_while(loop_services, lambda: told(loop_services, row))
    for n in range(9):
        file(loop_services, f"extra{n}", f"{CAL} (and again on day {n})", 10 + n)
    row = one_pattern(loop_services, "resolved")
    told12, many = _statements_while(loop_services, lambda: told(loop_services, row))
    assert len(told3) == 3 and len(told12) == 12
    assert many == few


def test_reporters_are_told_several_at_a_time(loop_services) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    class Slow(RecordingMessenger):
        def __init__(self) -> None:
            super().__init__()
            self.flying = self.most = 0

        async def send(self, **kw) -> None:  # type: ignore[no-untyped-def]
            self.flying += 1
            self.most = max(self.most, self.flying)
            await asyncio.sleep(0.02)
            self.flying -= 1
            await super().send(**kw)

    for n in range(5):
        file(loop_services, f"p{n}", f"{BEA} ({n})", n)
    row = one_pattern(loop_services, "in_progress", owner="Pharmacy lead")
    slow = Slow()
    sent = notify_reporters(loop_services.engine, pattern=row, messengers={"console": slow}, run_async=run_async)
    assert sent == 5 and slow.most > 1
