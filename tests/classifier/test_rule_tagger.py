"""The fallback rule tagger: the pipeline's alias rules, its confidence keys, and honest guesses."""

from __future__ import annotations

import pytest

from bot.taxonomy import Taxonomy
from classifier.rules import RuleClassifier


@pytest.fixture(scope="module")
def rules(taxonomy: Taxonomy) -> RuleClassifier:
    return RuleClassifier(taxonomy)


@pytest.mark.parametrize(
    ("text", "teams"),
    [
        ("I am waiting for it to come back", ()),
        ("IT say the AM is off sick", ("sales", "it")),
        ("the Warehouse lost it again", ("warehouse",)),
    ],
)
def test_capitals_that_are_also_words_match_only_in_capitals(rules: RuleClassifier, text: str, teams: tuple) -> None:
    assert rules.classify(text).teams == teams


def test_team_scores_are_keyed_like_the_models(rules: RuleClassifier) -> None:
    tags = rules.classify("customer support sent it to the warehouse, still waiting")
    assert tags.confidence["team:support"] == tags.confidence["team:warehouse"] == 0.5
    assert "warehouse" not in tags.confidence


def test_without_evidence_there_is_no_kind_and_the_reporter_is_asked(rules: RuleClassifier) -> None:
    tags = rules.classify("hello")
    assert tags.kinds == () and tags.confidence == {}  # not the first kind, shown as if understood
    assert tags.stage is None and tags.stage_uncertain


def test_a_stage_keyword_is_only_a_low_score_so_the_reporter_is_asked(rules: RuleClassifier) -> None:
    tags = rules.classify("the invoice was wrong again")
    assert tags.stage is None and tags.stage_uncertain
    assert tags.confidence["billing"] < 0.3
