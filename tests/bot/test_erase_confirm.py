"""Answering `erase mine`'s question in one's own words: "yes please" or "go ahead" just after it is the
confirmation (this Snag remembers whom it asked, for ASKED_FOR); without that memory an agreement is
never filed and nothing is erased. `erase all`, `erase me` ask the question; "delete 12" is `erase 12`.
On SQLite and PostgreSQL, through the core."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import Services
from bot.domain import Person
from bot.erasing import ASKED_FOR
from tests.bot import test_self_erase as self_erase
from tests.bot.test_self_erase import person, say, texts

chat = self_erase.chat  # the same fixture: the real app on SQLite and PostgreSQL

AGREEMENTS = (
    "yes", "yes please", "ok", "go ahead", "do it", "confirm", "confirmed", "sure", "yes erase them",
    "confirm erase", "erase confirm", "please do", "Yes please!",
)  # fmt: skip


def _two_and_bens(chat: Services) -> Person:
    ana, ben = person(chat, "UANA"), person(chat, "UBEN")
    say(chat, ana, "the rota lives in a whatsapp group")
    say(chat, ana, "handover notes are on paper")
    say(chat, ben, "stock counts are kept in a spreadsheet")
    return ana


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_an_agreement_just_after_erase_mine_is_the_confirmation(chat: Services, agreement: str) -> None:
    ana = _two_and_bens(chat)
    assert "`erase mine confirm`" in say(chat, ana, "erase mine").title
    done = say(chat, ana, agreement)
    assert done.title == "Erased all 2 of your report(s) and everything linked to them."
    assert texts(chat) == ["stock counts are kept in a spreadsheet"]
    again = say(chat, ana, agreement)  # the question was answered: a second "yes" is an aside again
    assert "Erased" not in again.title and texts(chat) == ["stock counts are kept in a spreadsheet"]


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_without_the_question_an_agreement_is_never_filed_and_erases_nothing(chat: Services, agreement: str) -> None:
    ana = _two_and_bens(chat)
    say(chat, ana, "erase mine")
    chat.snag.asked_to_erase.clear()  # another replica answers: it never asked
    reply = say(chat, ana, agreement)
    assert reply.kind != "receipt" and "Noted" not in reply.title and "admins" not in reply.title
    assert "Erased" not in reply.title and len(texts(chat)) == 3
    if agreement in ("confirm", "confirmed", "yes erase them", "confirm erase"):
        assert reply.title == (
            "If you meant to erase your reports: type `erase mine confirm` (all) or `erase <number>` (one). "
            "Nothing was erased."
        )
    if agreement == "erase confirm":  # read as `erase mine`: the question again, not an admin's `erase <user>`
        assert "This erases all your reports (2)" in reply.title


def test_the_question_is_forgotten_after_ten_minutes_and_after_a_new_report(chat: Services) -> None:
    ana = _two_and_bens(chat)
    say(chat, ana, "erase mine")
    now = chat.snag.clock()
    chat.snag.clock = lambda: now + ASKED_FOR + ASKED_FOR / 10
    assert "Erased" not in say(chat, ana, "yes please").title and len(texts(chat)) == 3

    chat.snag.clock = lambda: now
    say(chat, ana, "erase mine")
    say(chat, ana, "the night bus timetable is out of date")  # filed after the question was asked
    asked_again = say(chat, ana, "go ahead")
    assert "This erases all your reports (3)" in asked_again.title and len(texts(chat)) == 4
    assert say(chat, ana, "go ahead").title.startswith("Erased all 3 of your report(s)")
    assert texts(chat) == ["stock counts are kept in a spreadsheet"]


def test_another_persons_question_is_not_theirs_to_confirm(chat: Services) -> None:
    ana = _two_and_bens(chat)
    say(chat, ana, "erase mine")
    assert "Erased" not in say(chat, person(chat, "UBEN"), "yes please").title
    assert len(texts(chat)) == 3


@pytest.mark.parametrize(
    "typed", ["erase all", "erase everything", "erase all mine", "erase all my reports", "erase me", "Erase all."]
)
def test_erase_all_and_the_like_ask_the_question_and_are_no_admin_command(chat: Services, typed: str) -> None:
    ana = _two_and_bens(chat)
    for who in (ana, replace(person(chat, "UBEN"), user="UANA")):  # staff, and the same person again
        asked = say(chat, who, typed)
        assert asked.kind != "error" and "This erases all your reports (2)" in asked.title
    assert len(texts(chat)) == 3
    assert say(chat, ana, "erase confirm").title.startswith("Erased all 2 of your report(s)")


@pytest.mark.parametrize(
    "typed",
    ["delete {n}", "undo {n}", "remove report #{n}", "delete my report {n}", "erase report {n}", "erase #{n}",
     "please delete report number {n}", "cancel #{n} please"],
)  # fmt: skip
def test_a_take_back_verb_and_a_number_is_erase_of_that_report_of_theirs(chat: Services, typed: str) -> None:
    ana, ben = person(chat, "UANA"), person(chat, "UBEN")
    hers = say(chat, ana, "the rota lives in a whatsapp group").report_id
    bens = say(chat, ben, "stock counts are kept in a spreadsheet").report_id
    refused = say(chat, ana, typed.format(n=bens))
    assert refused.kind == "error" and refused.title.startswith(f"Report #{bens} isn't one of yours")
    assert texts(chat) == ["the rota lives in a whatsapp group", "stock counts are kept in a spreadsheet"]
    done = say(chat, ana, typed.format(n=hers))
    assert done.title.startswith(f"Erased your report #{hers}")
    assert texts(chat) == ["stock counts are kept in a spreadsheet"]


def test_erase_mine_typed_twice_only_asks_twice(chat: Services) -> None:
    ana = _two_and_bens(chat)
    for typed in ("erase mine", "erase mine", "erase all", "delete all my reports"):
        assert "This erases all your reports (2)" in say(chat, ana, typed).title
    assert len(texts(chat)) == 3
