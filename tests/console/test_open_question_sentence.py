"""A sentence typed while the stage question is open is a new report, even when it holds a number."""

from __future__ import annotations

import dataclasses
import io

import pytest
from rich.console import Console
from sqlmodel import Session, select

from adapters.console.answers import Reading, read_answer
from adapters.console.chat import ConsoleSession
from bot.domain import Choice, Option
from store.models import Report

FIRST = "top takes ages to load on the ward computer"
STAGES = Choice("pick_stage", "Which stage?", tuple(Option(f"s{i}", f"Stage {i}") for i in range(1, 9)))


@pytest.fixture
def unsure(fixed_classifier):  # type: ignore[no-untyped-def]
    """The tagger cannot tell the stage, so the receipt asks for it."""
    fixed_classifier.tags = dataclasses.replace(fixed_classifier.tags, stage=None)
    return fixed_classifier


@pytest.mark.parametrize(
    "sentence",
    [
        "the ward 4 discharge letters wait 2 days for a consultant signature",
        "patients waited 6 hours in the corridor",
    ],
)
def test_a_sentence_with_a_number_at_the_stage_question_is_filed(services, unsure, sentence: str) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    answers = [sentence, "", "", "", "", "", "", "", ""]
    console = Console(file=out, width=120, color_system=None)
    chat = ConsoleSession(services, user="sam", console=console, ask=lambda _p: answers.pop(0))
    chat.handle_line(FIRST)
    text = out.getvalue()
    with Session(services.engine) as s:
        rows = list(s.exec(select(Report).order_by(Report.id)).all())
    assert [r.text for r in rows] == [FIRST, sentence]
    assert [r.stage for r in rows] == [None, None]  # the question is left unanswered, no stage picked from "4"
    assert "is not one of the options" not in text and "taking that as a new line" in text


@pytest.mark.parametrize(
    ("answer", "reading"),
    [
        ("the ward 4 discharge letters wait 2 days", Reading(new_line=True)),
        ("waited 6 hours", Reading(new_line=True)),
        ("4 2", Reading(picked=("s4",))),
        ("4, stage 9", Reading(picked=("s4",), wrong=("stage", "9"))),
        ("4 sideways", Reading(picked=("s4",), wrong=("sideways",))),
    ],
)
def test_an_answer_mostly_of_options_is_still_an_answer(answer: str, reading: Reading) -> None:
    assert read_answer(STAGES, answer) == reading
