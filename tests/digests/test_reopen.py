"""A resolved pattern reported again is open again: the fix did not hold.

The reporters' update says "If it still gets in your way, tell me in a sentence and I'll pass
it on": the sentence they send reopens the pattern (status new, its owner kept), every reporter
hears of it, and the next digest does not list it under "You said, we did". A report older
than the resolution (history imported later) reopens nothing; won't fix stays a decision.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from store.conversations import save_reference
from store.db import session_scope
from store.models import Pattern, Report
from tests.digests.conftest import RecordingMessenger, make_services

MANAGER = "M1"
TEXT = "the pharmacy phone rings out every morning before nine"


@pytest.fixture
def loop(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path)
    services.snag.roles = RolePolicy.from_lists([], [f"slack:{MANAGER}"])
    messenger = RecordingMessenger()
    services.extras["messengers"] = {"slack": messenger}  # where notifier() finds its messengers
    yield services, messenger
    services.engine.dispose()


def say(services, user: str, text: str, at: datetime | None = None) -> Reply:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", user)
    message = IncomingMessage(person=person, text=text, channel=f"D-{user}", received_at=at or datetime.now(UTC))
    with session_scope(services.engine) as session:  # where their updates go, as the adapters keep it
        save_reference(
            session=session,
            platform="slack",
            tenant="T1",
            conversation_id=f"D-{user}",
            reference={},
            reporter_key=services.snag.key_of(person),
        )
    return services.snag.handle_message(message)


def pattern_row(services, pid: int) -> Pattern:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        row = session.get(Pattern, pid)
        assert row is not None
        session.expunge(row)
        return row


def patterns_of_reports(services) -> list[int | None]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(Report.pattern_id).order_by(Report.id)).all())


def wait_for_sends(messenger: RecordingMessenger, count: int) -> None:
    for thread in [t for t in threading.enumerate() if t.name.startswith("snag-reopened-")]:
        thread.join(10)
    deadline = time.monotonic() + 10
    while len(messenger.sent) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def resolved_pattern(services, messenger, *, status: str = "resolved") -> int:  # type: ignore[no-untyped-def]
    start = datetime.now(UTC) - timedelta(minutes=3)  # in the week of the resolution: the digest needs k reporters
    for n, user in enumerate(("ann", "bea", "cal")):
        assert say(services, user, f"{TEXT} ({n})", at=start + timedelta(minutes=n)).kind == "receipt"
    (pid,) = set(patterns_of_reports(services))
    assert pid is not None
    reply = say(services, MANAGER, f"own {pid} Pharmacy lead")
    assert reply.kind == "saved", reply.title
    reply = say(services, MANAGER, f"status {pid} {status}")
    assert reply.kind == "saved" and "Told 3 reporters." in reply.title, reply.title  # not the manager: no report
    messenger.sent.clear()
    return pid


def test_a_report_after_the_fix_reopens_the_pattern_and_its_reporters_hear_it(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = resolved_pattern(services, messenger)
    resolved_at = pattern_row(services, pid).status_changed_at
    assert say(services, "dev", f"{TEXT} again, still").kind == "receipt"
    assert patterns_of_reports(services)[-1] == pid
    row = pattern_row(services, pid)
    assert (row.status, row.owner) == ("new", "Pharmacy lead")
    assert resolved_at is not None and row.status_changed_at is not None
    assert row.status_changed_at.replace(tzinfo=UTC) > resolved_at.replace(tzinfo=UTC)
    wait_for_sends(messenger, 4)
    told = sorted(destination for _, _, destination, _ in messenger.sent)
    assert told == ["D-ann", "D-bea", "D-cal", "D-dev"]  # each reporter once, the one who reopened it too
    update = messenger.sent[0][3].plain_text()
    assert "It was marked resolved, and it has been reported again since, so it is open again." in update
    assert "Status: received" in update and "Owner: Pharmacy lead" in update
    assert "dev" not in update and "ann" not in update.lower().replace("announce", "")


def test_a_reopened_pattern_is_not_listed_as_resolved_in_the_digest(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = resolved_pattern(services, messenger)
    digests = services.extras["digests"]
    now = datetime.now(UTC) + timedelta(days=7)  # the week of the resolution has ended
    before = digests.build(platform="slack", tenant="T1", audience=None, now=now)
    assert pid in [line.id for line in before.resolved]
    say(services, "dev", f"{TEXT} again, still")
    wait_for_sends(messenger, 4)
    after = digests.build(platform="slack", tenant="T1", audience=None, now=now)
    assert pid not in [line.id for line in after.resolved]


def test_a_report_older_than_the_resolution_reopens_nothing(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = resolved_pattern(services, messenger)
    older = datetime.now(UTC) - timedelta(minutes=1)  # filed before the status was set (e.g. imported history)
    assert say(services, "dev", f"{TEXT} again, still", at=older).kind == "receipt"
    assert patterns_of_reports(services)[-1] == pid
    assert pattern_row(services, pid).status == "resolved"
    wait_for_sends(messenger, 0)  # no thread to tell anyone was started
    assert messenger.sent == []


def test_wont_fix_stays_a_decision(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = resolved_pattern(services, messenger, status="wont_fix")
    assert say(services, "dev", f"{TEXT} again, still").kind == "receipt"
    assert patterns_of_reports(services)[-1] == pid
    assert pattern_row(services, pid).status == "wont_fix"
    wait_for_sends(messenger, 0)  # no thread to tell anyone was started
    assert messenger.sent == []


def test_the_reporters_of_a_small_pattern_are_not_told_it_was_reported_again(loop) -> None:  # type: ignore[no-untyped-def]
    """With fewer than k reporters, "it has been reported again since" tells each of them that one
    other person reported the same: the pattern reopens, and nobody is messaged about it."""
    services, messenger = loop
    start = datetime.now(UTC) - timedelta(minutes=3)
    assert say(services, "ann", f"{TEXT} (0)", at=start).kind == "receipt"
    (pid,) = set(patterns_of_reports(services))
    assert pid is not None
    assert say(services, MANAGER, f"status {pid} resolved").kind == "saved"
    messenger.sent.clear()
    assert say(services, "bea", f"{TEXT} again, still").kind == "receipt"
    assert patterns_of_reports(services)[-1] == pid
    assert pattern_row(services, pid).status == "new"
    wait_for_sends(messenger, 0)
    assert messenger.sent == []


def test_the_digest_says_a_reopened_pattern_is_received_again(loop) -> None:  # type: ignore[no-untyped-def]
    from digests.render import to_markdown

    services, messenger = loop
    pid = resolved_pattern(services, messenger)
    say(services, "dev", f"{TEXT} again, still")
    wait_for_sends(messenger, 4)
    digests = services.extras["digests"]
    digest = digests.build(platform="slack", tenant="T1", audience=None, now=datetime.now(UTC) + timedelta(days=7))
    lines = [line for section in (digest.new, digest.top) for line in section if line.id == pid]
    assert lines and all(line.again for line in lines)
    page = to_markdown(digest, services.taxonomy)
    assert f"#{pid} " in page and "received again, owner Pharmacy lead" in page


def test_pattern_and_mine_say_a_reopened_pattern_is_received_again(loop) -> None:  # type: ignore[no-untyped-def]
    """`pattern <id>` and a reporter's `mine` read the status as the digest does: a pattern new
    again after its resolution is "received again", not plain "received" as if never looked at."""
    services, messenger = loop
    pid = resolved_pattern(services, messenger)
    say(services, "dev", f"{TEXT} again, still")
    wait_for_sends(messenger, 4)
    services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # `pattern` counts the day's reports then
    detail = say(services, MANAGER, f"pattern {pid}").plain_text()
    assert "received again, owner Pharmacy lead" in detail, detail
    own = say(services, "ann", "mine").plain_text()
    assert f"pattern #{pid} · received again · owner Pharmacy lead" in own, own
