"""Reading a typed answer to a question with fixed options."""

from __future__ import annotations

import pytest

from adapters.console.answers import Reading, close_to, read_answer
from bot.domain import Choice, Option

KINDS = Choice(
    "kinds",
    "Kinds",
    (Option("workaround", "Workaround"), Option("duplicate_entry", "Duplicate entry"), Option("waiting", "Waiting")),
    multi=True,
)
NOTICE = Choice("customer_facing", "Does the customer notice?", (Option("yes", "Yes"), Option("no", "No")))
TEAMS = Choice("teams", "Teams", (Option("sales", "Sales"), Option("support", "Support")), multi=True)


@pytest.mark.parametrize(
    ("choice", "answer", "reading"),
    [
        (NOTICE, "y", Reading(picked=("yes",))),
        (NOTICE, "No.", Reading(picked=("no",))),
        (KINDS, "duplicate entry, 1", Reading(picked=("duplicate_entry", "workaround"))),
        (KINDS, "1 1 3", Reading(picked=("workaround", "waiting"))),
        (KINDS, "wait", Reading(picked=("waiting",))),
        (KINDS, "1, wrkaround", Reading(picked=("workaround",), wrong=("wrkaround",))),
        (KINDS, "9", Reading(wrong=("9",))),
        (TEAMS, "s", Reading(wrong=("s",))),
        (KINDS, "often", Reading(wrong=("often",))),
        (KINDS, "scanner broken", Reading(new_line=True)),
        (KINDS, "mine", Reading(new_line=True)),
        (KINDS, "tpo", Reading(new_line=True)),
        (NOTICE, "お客様は気づきます、毎回です", Reading(new_line=True)),
    ],
)
def test_answers_are_read_as_options_slips_or_new_lines(choice: Choice, answer: str, reading: Reading) -> None:
    assert read_answer(choice, answer) == reading


def test_close_options_are_suggested() -> None:
    assert close_to(KINDS, "wrkaround") == ["Workaround"]
    assert close_to(TEAMS, "s") == ["Sales", "Support"]
    assert close_to(NOTICE, "ys", {"y": "yes"}) == ["Yes"]
