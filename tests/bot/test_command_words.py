"""Questions and commands are answered, never filed; what reads like friction is filed, whatever word
it starts with. A reporter asking after a report by its number, a manager's own words for `own`
and `status`, and `own 5 me`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from bot.domain import IncomingMessage, Reply, Role
from bot.roles import RolePolicy
from store.models import Pattern, Report

MANAGER = "M1"


def say(services, user: str, text: str) -> Reply:  # type: ignore[no-untyped-def]
    return services.snag.handle_message(IncomingMessage(services.snag.person("slack", "T1", user), text, "D1"))


def stored(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as session:
        return [r.text for r in session.exec(select(Report).order_by(Report.id)).all()]  # type: ignore[arg-type]


def filed(services, user: str, text: str) -> int:  # type: ignore[no-untyped-def]
    reply = say(services, user, text)
    assert reply.kind == "receipt", reply.title
    with Session(services.engine) as session:
        return max(r.id for r in session.exec(select(Report)).all() if r.id is not None)


def a_pattern(services) -> int:  # type: ignore[no-untyped-def]
    services.snag.roles = RolePolicy.from_lists([], [f"slack:{MANAGER}"])
    filed(services, "U1", "refund requests sit in the finance inbox for a week")
    filed(services, "U2", "refund requests wait a week in the finance inbox")
    with Session(services.engine) as session:
        [pattern] = session.exec(select(Pattern)).all()
        assert pattern.id is not None
        return pattern.id


def pattern_row(services, pattern_id: int) -> Pattern:  # type: ignore[no-untyped-def]
    with Session(services.engine) as session:
        row = session.get(Pattern, pattern_id)
        assert row is not None
        return row


@pytest.mark.parametrize(
    "asked",
    [
        "status {n}?",
        "status of #{n}",
        "what's the status of report {n}",
        "status {n}",
        "Status #{n} please",
        "any news on my report {n}?",
        "what happened to report #{n}",
    ],
)
def test_a_reporter_asking_after_their_report_by_number_is_answered_with_it(services, asked: str) -> None:  # type: ignore[no-untyped-def]
    number = filed(services, "U1", "the label printer on dock 3 jams every morning")
    reply = say(services, "U1", asked.format(n=number))
    assert reply.kind == "list" and reply.title.startswith("Your report")
    assert any((s.heading or "").startswith(f"#{number} ") for s in reply.sections)
    assert stored(services) == ["the label printer on dock 3 jams every morning"]


def test_asked_after_by_number_their_report_is_shown_alone(services) -> None:  # type: ignore[no-untyped-def]
    first = filed(services, "U1", "the label printer on dock 3 jams every morning")
    filed(services, "U1", "night shift cannot open the returns cage, the code changed")
    reply = say(services, "U1", f"status of #{first}?")
    assert reply.title == f"Your report #{first}"
    assert [(s.heading or "").split(" ")[0] for s in reply.sections] == [f"#{first}"]


def test_asking_after_someone_elses_report_says_nothing_of_it(services) -> None:  # type: ignore[no-untyped-def]
    theirs = filed(services, "U1", "the label printer on dock 3 jams every morning")
    about_theirs = say(services, "U2", f"status {theirs}?")
    about_none = say(services, "U2", "status 999?")
    assert about_theirs.kind != "receipt" and "printer" not in str(about_theirs)
    assert (about_theirs.title, about_theirs.sections) == (about_none.title, about_none.sections)
    assert stored(services) == ["the label printer on dock 3 jams every morning"]


@pytest.mark.parametrize(
    "text", ["own 1 me", "own 1", "close 1", "resolve 1", "assign 1 Dana", "done 1", "owner 1 Dana"]
)
def test_staff_typing_a_managers_command_get_a_kind_answer_not_a_report(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, "U1", text)
    assert reply.kind in ("error", "usage") and "managers" in reply.title
    assert stored(services) == []


@pytest.mark.parametrize(
    "text",
    [
        "close of day handover was missed again, nobody told nights",
        "status page down",
        "done 3 times this week and the form still times out",
        "close 2 tills early",
        "assign button on the rota greys out",
        "owner portal logs everyone out at noon",
        "resolve button does nothing on the case screen",
        "search takes ages in the CRM",
        "status 3 tills are down again and the queue is out the door",
        "status 404 on the portal",
        "assign 5 people to the late rota and nobody tells them",
        "own 2 sites and neither of them has a working printer",
    ],
)
@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER])
def test_friction_that_starts_with_a_command_word_is_still_filed(services, text: str, role: Role) -> None:  # type: ignore[no-untyped-def]
    person = replace(services.snag.person("slack", "T1", "U1"), role=role)
    if role is Role.MANAGER and text == "status page down":
        return  # a manager's three words after `status`: their command's usage (test_command_slips)
    reply = services.snag.handle_message(IncomingMessage(person, text, "D1"))
    assert reply.kind == "receipt", reply.title
    assert stored(services) == [text]


@pytest.mark.parametrize(
    ("said", "owner", "status"),
    [
        ("assign {n} Dana", "Dana", "new"),
        ("assign #{n} to Dana Lee", "Dana Lee", "new"),
        ("owner {n} Dana", "Dana", "new"),
        ("resolve {n}", None, "resolved"),
        ("close #{n}", None, "resolved"),
        ("done {n} please", None, "resolved"),
        ("acknowledge {n}", None, "acknowledged"),
    ],
)
def test_a_managers_own_words_set_owner_and_status(services, said: str, owner: str | None, status: str) -> None:  # type: ignore[no-untyped-def]
    pattern_id = a_pattern(services)
    reply = say(services, MANAGER, said.format(n=pattern_id))
    assert reply.kind == "saved", reply.title
    row = pattern_row(services, pattern_id)
    assert (row.owner, row.status) == (owner, status)
    assert len(stored(services)) == 2


@pytest.mark.parametrize("owner", ["me", "me please", "@someone", "@someone thanks"])
def test_own_me_or_an_unnamed_mention_asks_for_the_name_and_stores_nothing(services, owner: str) -> None:  # type: ignore[no-untyped-def]
    pattern_id = a_pattern(services)
    reply = say(services, MANAGER, f"own {pattern_id} {owner}")
    assert reply.kind == "usage" and f"own {pattern_id} Dana Lee" in reply.title
    assert pattern_row(services, pattern_id).owner is None
    assert len(stored(services)) == 2


def test_own_drops_a_trailing_thanks_from_the_name(services) -> None:  # type: ignore[no-untyped-def]
    pattern_id = a_pattern(services)
    assert say(services, MANAGER, f"own {pattern_id} Finance ops thanks").kind == "saved"
    assert pattern_row(services, pattern_id).owner == "Finance ops"


def test_a_managers_search_with_a_few_words_too_many_gets_its_usage(services) -> None:  # type: ignore[no-untyped-def]
    a_pattern(services)
    reply = say(services, MANAGER, "search refund form finance inbox delay")
    assert reply.kind == "usage" and "search takes 1 to 4 words" in reply.title
    assert "report search refund form finance inbox delay" in reply.title
    assert len(stored(services)) == 2
