"""Rule components: team and system mentions, and handoff direction, on crafted sentences."""

from __future__ import annotations

import pytest
from spacy.language import Language

from bot.taxonomy import Taxonomy
from classifier.pipeline import RULE_PIPES, build_nlp


@pytest.fixture(scope="module")
def nlp(taxonomy: Taxonomy) -> Language:
    return build_nlp(taxonomy)


def _run(nlp: Language, text: str):  # type: ignore[no-untyped-def]
    with nlp.select_pipes(enable=list(RULE_PIPES)):
        return nlp(text)


def _teams(nlp: Language, text: str) -> list[str]:
    return [e.ent_id_ for e in _run(nlp, text).ents if e.label_ == "TEAM"]


@pytest.mark.parametrize(
    ("text", "teams"),
    [
        ("The Warehouse lost it again", ["warehouse"]),
        ("CUSTOMER SERVICES said ring back", ["support"]),
        ("asked the helpdesk and then credit control", ["support", "finance"]),
        ("IT say it is a vetting thing", ["it", "compliance"]),
        ("it broke again and nobody knows why", []),
        ("I am told the AM knows", ["sales"]),
        ("the service desk for staff is closed", ["it"]),
    ],
)
def test_team_aliases_are_found_whatever_the_case(nlp: Language, text: str, teams: list[str]) -> None:
    assert _teams(nlp, text) == teams


def test_systems_are_found_too(nlp: Language) -> None:
    doc = _run(nlp, "I keep an excel tracker because Salesforce drops the notes")
    assert {e.ent_id_ for e in doc.ents if e.label_ == "SYSTEM"} == {"crm", "spreadsheet"}


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("passed it to finance on monday and heard nothing", (None, "finance")),
        ("support sent it over to the warehouse and it vanished", ("support", "warehouse")),
        (
            "the case went from sales to onboarding with half the details missing",
            ("sales", "onboarding"),
        ),
        ("we are still waiting on compliance for the sign off", ("compliance", None)),
        (
            "finance won't release the refund until compliance signs it off",
            ("compliance", "finance"),
        ),
        ("it got chucked over to IT as usual", (None, "it")),
        ("the ops team escalated it to legal last week", ("operations", "compliance")),
        ("the form goes from the web team into processing by email", ("digital", "operations")),
    ],
)
def test_handoff_direction_from_cues(nlp: Language, text: str, handoff: tuple) -> None:
    assert _run(nlp, text)._.handoff_rule == handoff


@pytest.mark.parametrize(
    "text",
    [
        "finance and support are both short staffed",
        "sent the customer a letter about it",
        "waiting on the courier for three days",
        "nothing to do with any team, the printer is broken",
    ],
)
def test_no_direction_without_a_cue_next_to_a_team(nlp: Language, text: str) -> None:
    assert _run(nlp, text)._.handoff_rule is None
