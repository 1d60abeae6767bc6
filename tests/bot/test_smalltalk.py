"""Greetings, thanks, questions to Snag, a bare link and emoji are answered, never filed; real
one-line reports, every shipped training report among them, still are."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot import smalltalk
from bot.domain import IncomingMessage, Person, Platform, Reply, Role
from bot.reading import read, too_short
from store.models import Report

DATA = Path(__file__).resolve().parents[2] / "classifier" / "data"
PERSON = Person(Platform.SLACK, "T1", "U1")


def say(services, text: str, role: Role = Role.STAFF) -> Reply:  # type: ignore[no-untyped-def]
    person = replace(services.snag.person("slack", "T1", "U1"), role=role)
    return services.snag.handle_message(IncomingMessage(person, text, "D1"))


def stored(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report)).all()]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("hi there", "Hi! Whenever something slows you down"),
        ("Hello Snag 👋", "Hi! Whenever something slows you down"),
        ("good morning", "Hi! Whenever something slows you down"),
        ("thank you!", "You're welcome!"),
        ("ok thanks :pray:", "You're welcome!"),
        ("ok", "I'm here whenever you need me."),  # never "Noted", which reads as something done
        ("just testing", "I'm here and listening."),
        ("stop", "I only write when you message me"),
        ("what's the status of my report", "Type `mine` to see your reports"),
        ("any update on my report?", "Type `mine` to see your reports"),
        ("did you get my message?", "Type `mine` to see your reports"),
        ("https://jira.example.com/browse/OPS-1234", "I got the link, but not what went wrong."),
    ],
)
def test_an_aside_is_answered_kindly_stores_nothing_and_says_how_to_file_it_anyway(
    services,  # type: ignore[no-untyped-def]
    text: str,
    answer: str,
) -> None:
    reply = say(services, text)
    assert reply.title.startswith(answer)
    assert reply.notices == (f"Nothing was filed. To file it as a report anyway, type: report {text}",)
    assert stored(services) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("ok thanks bye", "You're welcome!"),
        ("thanks, that's great", "You're welcome!"),
        ("thank you kindly", "You're welcome!"),
        ("thanks for the reply", "You're welcome!"),
        ("much appreciated thanks", "You're welcome!"),
        ("thank u", "You're welcome!"),
        ("makes sense", "I'm here whenever you need me."),
        ("good to know", "I'm here whenever you need me."),
        ("nice one", "I'm here whenever you need me."),
        ("that's all", "I'm here whenever you need me."),
        ("all done", "I'm here whenever you need me."),
        ("fine", "I'm here whenever you need me."),  # no slip of `mine`
        ("yes please", "I'm here whenever you need me."),
        ("go ahead", "I'm here whenever you need me."),
        ("hello world", "Hi!"),
        ("any update please?", "Type `mine` to see your reports"),
        ("update please", "Type `mine` to see your reports"),
        ("status update", "Type `mine` to see your reports"),  # `status` is a manager's command
        ("confirm erase", "If you meant to erase your reports: type `erase mine confirm` (all)"),
        ("will my manager see this?", "I collect friction at work"),
        ("can my boss see this?", "I collect friction at work"),
        ("how long do you keep my reports?", "I collect friction at work"),
        ("can I send a photo?", "I collect friction at work"),
    ],
)
def test_everyday_replies_and_questions_to_snag_are_answered_not_filed(  # type: ignore[no-untyped-def]
    services, text: str, answer: str
) -> None:
    reply = say(services, text)
    assert reply.title.startswith(answer) and "Noted" not in reply.title
    assert reply.notices == (f"Nothing was filed. To file it as a report anyway, type: report {text}",)
    assert stored(services) == []


def test_status_update_from_a_manager_is_still_their_commands_usage(services) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, "status update", Role.MANAGER)
    assert reply.kind == "usage" and "status needs a pattern number" in reply.title
    assert stored(services) == []


@pytest.mark.parametrize("text", ["sorry", "oops", "undo that"])
def test_a_take_back_answer_says_how_to_file_the_words_anyway(services, text: str) -> None:  # type: ignore[no-untyped-def]
    say(services, "the label printer on dock 3 jams every morning")
    reply = say(services, text)
    assert reply.notices == (
        f"I didn't file “{text}” as a report.",
        f"To file it as a report anyway, type: report {text}",
    )
    assert stored(services) == ["the label printer on dock 3 jams every morning"]


@pytest.mark.parametrize("text", ["how do I use this?", "what is this", "is this anonymous?", "who can see my reports"])
def test_a_question_about_snag_gets_the_askers_help(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert reply.title.startswith("I collect friction at work") and "never who wrote them" in reply.title
    help_text = reply.sections[0].text
    assert "mine ·" in help_text and "erase <report number>" in help_text
    assert "search" not in help_text and "retrain" not in help_text  # staff see only what they may type
    assert stored(services) == []


def test_report_files_an_aside_anyway(services) -> None:  # type: ignore[no-untyped-def]
    assert say(services, "report hi there").kind == "receipt"
    assert say(services, "/snag report thank you!").kind == "receipt"
    assert stored(services) == ["hi there", "thank you!"]


@pytest.mark.parametrize(
    "text",
    [
        "thanks to the new rota nobody covers lunch",
        "hello? is anyone reading the shared inbox",
        "hi, the label printer on dock 3 jams every morning",
        "good morning is when the CRM is slowest",
        "how do I get a refund approved when finance is out?",
        "https://jira.example.com/browse/OPS-1234 has been open for three weeks",
        "delete button on the booking screen does nothing",
        "undo in the rota tool wipes the whole week",
        "status page says all green while the tills are down",
    ],
)
def test_a_real_one_line_report_that_starts_like_an_aside_is_filed(services, text: str) -> None:  # type: ignore[no-untyped-def]
    assert say(services, text).kind == "receipt"
    assert stored(services) == [text]


@pytest.mark.parametrize("text", [":face_with_rolling_eyes:", ":sob: :sob:", "🙏 🙏", "!!! ???", ":+1::skin-tone-2:"])
def test_emoji_and_punctuation_alone_are_too_short_to_file(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert f"“{text}” is a bit short to file" in reply.notices[0]
    assert stored(services) == []


def _shipped() -> list[str]:
    files = sorted((DATA / "reports").glob("*.jsonl")) + sorted((DATA / "heldout").glob("*.jsonl"))
    return [json.loads(line)["text"] for path in files for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_no_shipped_report_is_taken_for_an_aside_or_for_too_short() -> None:
    texts = _shipped()
    assert len(texts) > 10_650  # the 10,650 training reports and the held-out set
    wrong = []
    for text in texts:
        for role in Role:
            command = read(IncomingMessage(replace(PERSON, role=role), text, "D1"))
            if command.name != "report":
                wrong.append(f"{text!r} read as {command.name} {command.args} for {role}")
        if (
            smalltalk.aside(text)
            or smalltalk.take_back(text)
            or smalltalk.taken_back(text) is not None
            or too_short(text)
        ):
            wrong.append(f"{text!r} screened out")
    assert wrong == []
