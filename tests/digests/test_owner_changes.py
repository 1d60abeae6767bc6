"""A manager's `own` and `status` in chat: what they are told, and what reporters then read.

A small pattern's reporters are not counted out to the manager, a change that changes nothing
tells nobody, `own <id> none` clears the owner, the owner is redacted (every reporter reads it)
and cut with a word of it, and common words for a status are read or get a "did you mean".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from store.conversations import save_reference
from store.db import session_scope
from store.models import Pattern, Report
from tests.digests.conftest import NOW, RecordingMessenger, make_services

MANAGER = "M1"


@pytest.fixture
def loop(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path)
    services.snag.roles = RolePolicy.from_lists([], [f"console:{MANAGER}"])
    messenger = RecordingMessenger()
    services.extras["messengers"] = {"console": messenger}  # where notifier() finds its messengers
    yield services, messenger
    services.engine.dispose()


def say(services, user: str, text: str) -> Reply:  # type: ignore[no-untyped-def]
    person = services.snag.person("console", "local", user)
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel=f"dm-{user}"))


def pattern_of(services, *users: str) -> int:  # type: ignore[no-untyped-def]
    """One report from each user, reachable by DM, all in one pattern; its id."""
    snag = services.snag
    for n, user in enumerate(users):
        person = snag.person("console", "local", user)
        message = IncomingMessage(
            person=person,
            text=f"the pharmacy phone rings out every morning ({n})",
            channel=f"dm-{user}",
            received_at=NOW + timedelta(minutes=n),
        )
        assert snag.handle_message(message).kind == "receipt"
        with session_scope(services.engine) as session:
            save_reference(
                session=session,
                platform="console",
                tenant="local",
                conversation_id=f"dm-{user}",
                reference={},
                reporter_key=snag.key_of(person),
            )
    with session_scope(services.engine) as session:
        pid = session.exec(select(Report.pattern_id).order_by(Report.id)).first()
        session.exec(update(Report).values(pattern_id=pid))  # type: ignore[call-overload]
    assert pid is not None
    return pid


def stored_owner(services, pid: int) -> str | None:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        row = session.get(Pattern, pid)
        assert row is not None
        return row.owner


def test_a_small_patterns_reporters_are_not_counted_and_a_repeat_tells_nobody(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = pattern_of(services, "ann", "bea")
    services.snag.clock = lambda: NOW + timedelta(days=1)  # `pattern` counts the day's reports from its midnight
    assert "private" in say(services, MANAGER, f"pattern {pid}").title
    reply = say(services, MANAGER, f"status {pid} acknowledged")
    assert reply.kind == "saved" and "Told its reporters (fewer than 3)." in reply.title, reply.title
    assert "2" not in reply.title.replace(f"#{pid}", ""), "how many under k is not said"
    assert len(messenger.sent) == 2
    again = say(services, MANAGER, f"status {pid} acknowledged")
    assert again.title.endswith("Nothing changed; nobody was told again."), again.title
    assert "Told 0" not in again.title and len(messenger.sent) == 2


def test_k_reporters_are_counted(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = pattern_of(services, "ann", "bea", "cal")
    reply = say(services, MANAGER, f"status {pid} in progress")
    assert reply.title.endswith("status being worked on, no owner. Told 3 reporters."), reply.title
    assert len(messenger.sent) == 3


def test_none_clears_the_owner(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = pattern_of(services, "ann", "bea")
    assert "owner Pharmacy lead" in say(services, MANAGER, f"own {pid} Pharmacy lead").title
    reply = say(services, MANAGER, f"own {pid} none")
    assert "no owner" in reply.title and "owner none" not in reply.title, reply.title
    assert stored_owner(services, pid) is None
    update = messenger.sent[-1][3].plain_text()
    assert "Owner: not assigned yet" in update and "none will look after it" not in update
    sent = len(messenger.sent)
    for word in ("nobody", "unassigned", "--"):
        again = say(services, MANAGER, f"own {pid} {word}")
        assert again.title.endswith("Nothing changed; nobody was told again."), again.title
    assert len(messenger.sent) == sent and stored_owner(services, pid) is None


def test_an_owners_contact_details_are_redacted_and_a_long_owner_is_cut_with_a_word(loop) -> None:  # type: ignore[no-untyped-def]
    services, messenger = loop
    pid = pattern_of(services, "ann", "bea")
    reply = say(services, MANAGER, f"own {pid} Dana Lee dana.lee@acme.com 07700 900123")
    assert reply.kind == "saved" and "owner Dana Lee [email] [phone]" in reply.title, reply.title
    assert reply.notices and "an e-mail address and a phone number" in reply.notices[0]
    assert stored_owner(services, pid) == "Dana Lee [email] [phone]"
    seen = [r.plain_text() for *_, r in messenger.sent] + [say(services, "ann", "mine").plain_text()]
    assert seen and not any("acme.com" in s or "07700" in s for s in seen)

    only = say(services, MANAGER, f"own {pid} dana.lee@acme.com")
    assert only.kind == "error" and "only contact details" in only.title
    assert stored_owner(services, pid) == "Dana Lee [email] [phone]"

    long = "Pharmacy " + " ".join(["operations"] * 20)
    cut = say(services, MANAGER, f"own {pid} {long}")
    owner = stored_owner(services, pid)
    assert owner is not None and len(owner) <= 120 and long.startswith(owner) and not owner.endswith("operatio")
    assert cut.notices == (f"An owner can be at most 120 characters, so I kept “{owner}”.",)


@pytest.mark.parametrize(("said", "status"), [("closed", "resolved"), ("done", "resolved"), ("wip", "being worked on")])
def test_common_words_for_a_status_are_read(loop, said: str, status: str) -> None:  # type: ignore[no-untyped-def]
    services, _ = loop
    pid = pattern_of(services, "ann")
    reply = say(services, MANAGER, f"status {pid} {said}")
    assert reply.kind == "saved" and f"status {status}," in reply.title, reply.title


def test_a_mistyped_status_gets_a_did_you_mean(loop) -> None:  # type: ignore[no-untyped-def]
    services, _ = loop
    pid = pattern_of(services, "ann")
    reply = say(services, MANAGER, f"status {pid} resovled")
    assert reply.kind == "error" and f"did you mean `status {pid} resolved`?" in reply.title, reply.title
    assert "A status is one of: new (received)" in reply.title
    other = say(services, MANAGER, f"status {pid} banana")
    assert "did you mean" not in other.title and "A status is one of" in other.title
