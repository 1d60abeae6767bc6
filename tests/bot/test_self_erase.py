"""A reporter takes back their own reports (`erase <number>`, `erase mine` confirmed, or a sentence
asking for it), and an admin's `erase @sam` finds Sam from the mention; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import Services, build
from bot.config import Settings
from bot.domain import IncomingMessage, Person, Reply, Role, Tags
from store.models import ConversationRef, Correction, Report, Tenant
from tests.conftest import FixedClassifier


@pytest.fixture
def chat(db_url: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=db_url,
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
        admins=["slack:UADMIN"],
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    yield services
    services.engine.dispose()


def person(chat: Services, user: str) -> Person:
    return chat.snag.person("slack", "T1", user)


def say(chat: Services, who: Person, text: str, mentions: tuple[str, ...] = ()) -> Reply:
    return chat.snag.handle_message(IncomingMessage(who, text, "D1", mentions=mentions))


def texts(chat: Services) -> list[str]:
    with Session(chat.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


def remember(chat: Services, who: Person) -> None:
    """Where to reach this person, as the adapters keep it once they have reported."""
    with Session(chat.engine) as s:
        tenant = s.exec(select(Tenant).where(Tenant.external_id == who.tenant)).one()
        s.add(
            ConversationRef(
                tenant_id=tenant.id,  # type: ignore[arg-type]
                platform="slack",
                conversation_id=f"D-{who.user}",
                reporter_key=chat.snag.key_of(who),
                reference={"channel": f"D-{who.user}"},
            )
        )
        s.commit()


def linked(chat: Services, who: Person) -> tuple[int, int]:
    """(corrections made by, conversation references of) this person."""
    key = chat.snag.key_of(who)
    with Session(chat.engine) as s:
        corrections = s.exec(select(Correction).where(Correction.corrector_key == key)).all()
        refs = s.exec(select(ConversationRef).where(ConversationRef.reporter_key == key)).all()
        return len(corrections), len(refs)


def test_a_reporter_erases_one_report_and_what_is_linked_to_it_and_nobody_elses(chat: Services) -> None:
    ana, ben = person(chat, "UANA"), person(chat, "UBEN")
    first = say(chat, ana, "refund requests sit in the finance inbox for a week").report_id
    second = say(chat, ana, "the refund form loses the order number every time").report_id
    bens = say(chat, ben, "refunds wait for finance sign-off for days").report_id
    assert first and second and bens
    after = Tags(stage="billing", kinds=("waiting",), teams=(), source="person")
    chat.snag.repository.add_correction(report_id=first, corrector_key=chat.snag.key_of(ana), before=None, after=after)
    remember(chat, ana)
    pattern = chat.snag.repository.get_report(person=ana, report_id=first).pattern_id  # type: ignore[union-attr]
    before = chat.snag.repository.get_pattern(person=ana, pattern_id=pattern).report_count  # type: ignore[arg-type, union-attr]

    assert "`erase <number>`" in say(chat, ana, "mine").notices[-1]  # `mine` says how to take one back
    reply = say(chat, ana, f"erase {first}")
    assert reply.title.startswith(f"Erased your report #{first}")
    assert texts(chat) == [
        "the refund form loses the order number every time",
        "refunds wait for finance sign-off for days",
    ]
    assert linked(chat, ana) == (0, 1)  # its correction went; she still has a report, so how to reach her stays
    assert chat.snag.repository.get_pattern(person=ana, pattern_id=pattern).report_count == before - 1  # type: ignore[arg-type, union-attr]

    for someone_elses in (bens, first, 999):  # Ben's, already erased, never existed: all said alike
        refused = say(chat, ana, f"erase #{someone_elses}")
        assert refused.kind == "error" and refused.title.startswith(f"Report #{someone_elses} isn't one of yours")
    assert len(texts(chat)) == 2


def test_erase_mine_asks_for_a_typed_confirmation_then_erases_all_of_theirs(chat: Services) -> None:
    ana, ben = person(chat, "UANA"), person(chat, "UBEN")
    for text in ("the rota lives in a whatsapp group", "handover notes are on paper", "the printer jams"):
        say(chat, ana, text)
    say(chat, ben, "stock counts are kept in a spreadsheet")
    remember(chat, ana)
    asked = say(chat, ana, "erase mine")
    assert "all your reports (3)" in asked.title and "`erase mine confirm`" in asked.title
    assert len(texts(chat)) == 4  # nothing erased before the confirmation
    done = say(chat, ana, "erase mine confirm")
    assert done.title.startswith("Erased all 3 of your report(s)")
    assert texts(chat) == ["stock counts are kept in a spreadsheet"]
    assert linked(chat, ana) == (0, 0)
    assert say(chat, ana, "erase mine").title == "You have no reports here to erase."


@pytest.mark.parametrize(
    ("sentence", "means"),
    [
        ("erase my last report", "last"),
        ("delete my report please", "last"),
        ("Can you delete my last report?", "last"),
        ("undo that", "last"),
        ("nevermind, ignore that", "last"),
        ("how do I delete my report", "last"),
        ("delete all my reports", "mine"),
        ("please erase everything I sent", "mine"),
    ],
)
def test_a_sentence_asking_to_take_a_report_back_is_routed_to_erase_and_never_filed(
    chat: Services, sentence: str, means: str
) -> None:
    ana = person(chat, "UANA")
    say(chat, ana, "the refund form loses the order number every time")
    newest = say(chat, ana, "refund requests sit in the finance inbox for a week").report_id
    reply = say(chat, ana, sentence)
    assert len(texts(chat)) == 2  # neither filed nor erased: the person confirms by typing the command
    assert f"I didn't file “{sentence}” as a report." in reply.notices
    if means == "last":
        assert f"Your last report is #{newest}" in reply.title and f"`erase {newest}`" in reply.title
    else:
        assert "`erase mine confirm`" in reply.title


def test_a_reporter_with_nothing_filed_is_told_so(chat: Services) -> None:
    assert say(chat, person(chat, "UNEW"), "delete my last report").title == "You have no reports here to take back."
    assert texts(chat) == []


def test_staff_erase_of_a_number_is_theirs_not_an_admin_refusal(chat: Services) -> None:
    ana = person(chat, "UANA")
    say(chat, ana, "the printer on dock 3 jams every morning")
    reply = say(chat, ana, "erase 1")
    assert "admins" not in reply.title and texts(chat) == []


def test_an_admin_erases_the_person_a_mention_names(chat: Services) -> None:
    sam, admin = person(chat, "USAM"), person(chat, "UADMIN")
    assert admin.role is Role.ADMIN
    say(chat, sam, "refunds sit in the finance inbox for a week")
    say(chat, sam, "the refund form loses the order number")
    remember(chat, sam)
    # what the Slack adapter hands over for "erase <@USAM|sam>": the text says "@someone", the id rides along
    reply = say(chat, admin, "erase @someone", mentions=("USAM",))
    assert reply.title.startswith("Done: anything that person (USAM) reported here is erased")
    assert texts(chat) == [] and linked(chat, sam) == (0, 0)


def test_an_admin_erase_that_cannot_tell_who_is_refused_and_never_says_whether_they_reported(chat: Services) -> None:
    sam, admin = person(chat, "USAM"), person(chat, "UADMIN")
    say(chat, sam, "refunds sit in the finance inbox for a week")
    for typed in ("erase @sam", "erase sam.jones"):  # a name typed out, no mention to resolve it
        refused = say(chat, admin, typed)
        assert refused.kind == "error" and refused.title.startswith("I can't tell who")
        assert "member ID" in refused.title and "Erased" not in refused.title
    two = say(chat, admin, "erase @someone", mentions=("USAM", "UBEN"))
    assert two.kind == "error" and "one person at a time" in two.title
    # Whether someone reported is never told, not even to an admin: nobody's answer is sam's, but for the id.
    nobody = say(chat, admin, "erase U0NOBODY")
    assert len(texts(chat)) == 1
    erased = say(chat, admin, "erase USAM")  # a member id still works
    assert texts(chat) == []
    assert nobody.title == erased.title.replace("USAM", "U0NOBODY")
    assert "Erased" not in erased.title and not any(ch.isdigit() for ch in erased.title.replace("USAM", ""))


def test_staff_cannot_erase_someone_else_and_are_told_how_to_erase_their_own(chat: Services) -> None:
    sam, staff = person(chat, "USAM"), person(chat, "UANA")
    say(chat, sam, "refunds sit in the finance inbox for a week")
    for typed, mentions in (("erase @someone", ("USAM",)), ("erase USAM", ())):
        refused = say(chat, staff, typed, mentions=mentions)
        assert refused.kind == "error" and "`erase mine`" in refused.title
    assert len(texts(chat)) == 1
    manager = replace(staff, role=Role.MANAGER)
    assert say(chat, manager, "erase USAM").kind == "error" and len(texts(chat)) == 1
