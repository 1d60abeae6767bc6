"""Updates owed that were lost though the person could still be told (on SQLite and PostgreSQL).

An update owed about a report that left the pattern was dropped though the person had another
report in it; a change made where their platform has no messenger (`snag pattern set` without
Teams settings) told nobody and owed nothing, so no running bot ever told them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.domain import IncomingMessage
from digests.loop import notify_reporters, set_pattern
from digests.owed_updates import send_owed_updates
from store.db import session_scope
from store.models import Pattern, Report
from tests.digests.conftest import NOW, RecordingMessenger, make_services, run_async
from tests.digests.test_owed_updates import CHANGED, Flaky, change, owed, pattern_of, retry, to


@pytest.fixture
def services(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    made = make_services(tmp_path, db_url)
    yield made
    made.engine.dispose()


def another_report(services, user: str, pid: int, text: str) -> int:  # type: ignore[no-untyped-def]
    """One more report from `user`, after their first, put in pattern `pid`; its id."""
    person = services.snag.person("console", "local", user)
    message = IncomingMessage(person, text, f"dm-{user}", received_at=NOW + timedelta(minutes=30))
    receipt = services.snag.handle_message(message)
    assert receipt.kind == "receipt" and receipt.report_id is not None
    with session_scope(services.engine) as session:
        report = session.get(Report, receipt.report_id)
        assert report is not None
        report.pattern_id = pid
        session.add(report)
    return receipt.report_id


def test_an_update_whose_report_left_the_pattern_is_about_their_other_report_in_it(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    newer = another_report(services, "bea", pid, "the pharmacy phone still rings out at lunch (bea again)")
    messenger = Flaky(failing=("dm-bea",))
    change(services, pid, messenger, status="resolved")
    [row] = owed(services)
    assert row.report_id == newer
    with session_scope(services.engine) as session:  # the newer report moved to another pattern by a rebuild
        moved = session.get(Report, newer)
        assert moved is not None
        other = Pattern(tenant_id=moved.tenant_id, title="other")
        session.add(other)
        session.flush()
        moved.pattern_id = other.id
        session.add(moved)

    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1

    [update_] = to(messenger, "dm-bea")
    with session_scope(services.engine) as session:
        kept = session.exec(select(Report.id).where(Report.pattern_id == pid, Report.text.contains("(bea)"))).one()  # type: ignore[attr-defined]
    assert update_.startswith(f"An update on your report #{kept}") and "(bea)" in update_
    assert "bea again" not in update_ and "Status: resolved" in update_
    assert owed(services) == []


def test_reporters_where_this_process_has_no_messenger_are_owed_at_once(services) -> None:  # type: ignore[no-untyped-def]
    """`snag pattern set` where the reporters' platform is not configured: nothing is sent, both are
    owed and due now, and the process with the platform's messenger tells them at its next step."""
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",))
    change(services, pid, messenger, status="in_progress")  # bea owed after a failure, in 2 minutes
    row, changed = set_pattern(
        services.engine, platform="console", tenant="local", pattern_id=pid, status="resolved", now=CHANGED
    )
    assert changed

    told = notify_reporters(services.engine, pattern=row, messengers={}, run_async=run_async, now=CHANGED)

    assert (told, told.owed, told.elsewhere) == (0, 2, 2)
    assert sorted((r.attempts, r.next_try_at, r.last_error) for r in owed(services)) == [(0, CHANGED, None)] * 2
    running = RecordingMessenger()  # `snag serve` or `snag scheduler` with the platform's settings
    assert retry(services, running, CHANGED) == 2
    assert owed(services) == [] and retry(services, running, CHANGED + timedelta(hours=3)) == 0
    for user in ("ann", "bea"):
        [update_] = to(running, f"dm-{user}")
        assert f"({user})" in update_ and "Status: resolved" in update_


def test_an_update_left_to_a_process_that_never_runs_is_given_up_after_a_day(services, caplog) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann")
    row, _ = set_pattern(services.engine, platform="console", tenant="local", pattern_id=pid, status="resolved")
    notify_reporters(services.engine, pattern=row, messengers={}, run_async=run_async, now=CHANGED)

    def step(at: datetime) -> int:  # every scheduler without this platform's settings
        return send_owed_updates(services.engine, messengers={}, run_async=run_async, now=at)

    assert step(CHANGED + timedelta(hours=23)) == 0 and len(owed(services)) == 1
    with caplog.at_level("ERROR", logger="snag.loop"):
        assert step(CHANGED + timedelta(hours=24)) == 0
    assert owed(services) == []
    assert f"update for pattern {pid} on console gave up: not delivered within 24 hours (0 attempt(s))" in caplog.text
