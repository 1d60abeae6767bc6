"""Saying no to `erase mine`'s question ("no, keep them", "cancel", "wait no!") is answered kindly:
nothing is erased, nothing is filed, and the question is forgotten, so a later "yes" erases nothing.
Slack and Teams ask the core whether a message is a report before anything else: a no is never one.
Anything that is neither yes nor no still behaves as it does without the question."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import Services
from bot.domain import IncomingMessage, Person, Reply
from store.models import Report

NOS = (
    "no", "No.", "nope", "no thanks", "cancel", "never mind", "nvm", "hmm, no wait", "actually don't", "wait no!",
    "stop", "no, keep them", "don't delete them", "Don’t erase them please", "oops I didn't mean that",
    "sorry wrong button", "no :pray:", "nooo 😱", "keep them", "I changed my mind",
)  # fmt: skip
KEPT = "OK, nothing was erased: your reports stay as they are."


def ana(services: Services) -> Person:
    return services.snag.person("slack", "T1", "UANA")


def message(services: Services, text: str) -> IncomingMessage:
    return IncomingMessage(ana(services), text, "D1")


def say(services: Services, text: str) -> Reply:
    return services.snag.handle_message(message(services, text))


def stored(services: Services) -> list[str]:
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


def _asked(services: Services) -> None:
    say(services, "the rota lives in a whatsapp group")
    say(services, "handover notes are on paper")
    assert "`erase mine confirm`" in say(services, "erase mine").title


@pytest.mark.parametrize("no", NOS)
def test_a_no_to_the_question_erases_nothing_files_nothing_and_forgets_it(services: Services, no: str) -> None:
    _asked(services)
    assert services.snag.as_report(message(services, no)) is None  # Slack and Teams: not filed first
    reply = say(services, no)
    assert reply.title == KEPT
    assert reply.notices == (f"I didn't file “{no}” as a report.", f"To file it as a report anyway, type: report {no}")
    assert stored(services) == ["the rota lives in a whatsapp group", "handover notes are on paper"]
    assert "Erased" not in say(services, "yes please").title  # the question was answered
    assert len(stored(services)) == 2


def test_a_report_after_the_no_is_filed_and_the_question_can_be_asked_again(services: Services) -> None:
    _asked(services)
    assert say(services, "no, keep them").title == KEPT
    filed = say(services, "the label printer jams every morning in bay 4")
    assert filed.report_id is not None and len(stored(services)) == 3
    assert "This erases all your reports (3)" in say(services, "erase mine").title
    assert say(services, "go ahead").title == "Erased all 3 of your report(s) and everything linked to them."


def test_a_report_while_the_question_waits_is_still_filed(services: Services) -> None:
    _asked(services)
    filed = say(services, "no one restocks the printer paper on late shifts")
    assert filed.report_id is not None and stored(services)[-1] == "no one restocks the printer paper on late shifts"


@pytest.mark.parametrize(("no", "answer"), [("no", "I'm here whenever you need me."), ("stop", "I only write when")])
def test_without_the_question_a_no_is_the_aside_it_was(services: Services, no: str, answer: str) -> None:
    say(services, "the rota lives in a whatsapp group")
    assert say(services, no).title.startswith(answer)
    assert stored(services) == ["the rota lives in a whatsapp group"]


@pytest.mark.parametrize("no", ["cancel", "no, keep them", "sorry wrong button"])
def test_without_the_question_a_no_is_never_filed_and_says_how_to_file_it(services: Services, no: str) -> None:
    reply = say(services, no)
    assert reply.report_id is None and "erased" not in reply.title
    assert reply.notices == (f"Nothing was filed. To file it as a report anyway, type: report {no}",)
    assert stored(services) == []


def test_report_files_a_no_anyway(services: Services) -> None:
    _asked(services)
    assert say(services, "report no, keep them").report_id is not None
    assert stored(services)[-1] == "no, keep them"
