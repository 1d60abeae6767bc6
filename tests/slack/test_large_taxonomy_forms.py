"""A taxonomy of more teams (and stages) than one Slack menu lists (100): the fix-tags form and
the `/snag` modal still open, every label can be picked, and a team past the 100th is pre-selected.

Slack refuses a whole view (views.open fails, and only Snag's log says why) when a select lists
more than 100 options or groups, a group more than 100 options, an option's text more than 75
characters, or pre-selects an option it does not list; the fake Slack does not check these, so
the views Snag sent are checked here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.taxonomy import Taxonomy
from tests.large_taxonomy import tags_past_the_first_hundred, write_taxonomy
from tests.slack.conftest import SlackDriver, TaggingFake, fixture
from tests.slack.test_interactions import file_one, with_report
from tests.slack.validate import assert_valid_message, assert_valid_view

TEAMS, STAGES = 135, 110
SELECTS = ("static_select", "multi_static_select")


@pytest.fixture
def taxonomy(tmp_path: Path) -> Taxonomy:
    return write_taxonomy(tmp_path / "taxonomy.yml", teams=TEAMS, stages=STAGES)


@pytest.fixture
def overrides(tmp_path: Path, taxonomy: Taxonomy) -> dict[str, Any]:
    return {"taxonomy": tmp_path / "taxonomy.yml"}


@pytest.fixture
def classifier(taxonomy: Taxonomy) -> TaggingFake:
    fake = TaggingFake()
    fake.tags = tags_past_the_first_hundred(taxonomy)
    return fake


def _listed(element: dict[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups")
    return [o for g in groups for o in g["options"]] if groups else element["options"]


def assert_selects_within_slack_limits(view: dict[str, Any]) -> None:
    """Every select of the view as Slack's reference for select menus and option groups requires."""
    elements = [b.get("element") or b.get("accessory") or {} for b in view["blocks"]]
    for element in (e for e in elements if e.get("type") in SELECTS):
        assert ("options" in element) != ("option_groups" in element), "options or option_groups, not both"
        for group in element.get("option_groups", []):
            assert 0 < len(group["options"]) <= 100 and len(group["label"]["text"]) <= 75
        assert len(element.get("options") or element["option_groups"]) <= 100
        listed = _listed(element)
        assert all(len(o["text"]["text"]) <= 75 and 0 < len(o["value"]) <= 150 for o in listed)
        assert len({o["value"] for o in listed}) == len(listed)
        initial = element.get("initial_options", []) + [element[k] for k in ("initial_option",) if k in element]
        assert all(o in listed for o in initial), "a pre-selected option must be one of those listed"


def _values(element: dict[str, Any]) -> list[str]:
    return [o["value"] for o in _listed(element)]


async def test_the_fix_tags_form_opens_with_a_team_past_the_100th_listed_and_preselected(
    slack: SlackDriver, taxonomy: Taxonomy
) -> None:
    rid = await file_one(slack)
    payload = with_report(fixture("block_actions_confirm"), rid, slack.fake.hook("actions/9"))
    payload["actions"][0] |= {"action_id": "snag:fix", "text": {"type": "plain_text", "text": "Fix tags"}}
    await slack.interaction(payload)
    [opened] = slack.fake.called("views.open")
    view = opened.params["view"]
    assert_valid_view(view)
    assert_selects_within_slack_limits(view)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    teams, last = taxonomy.team_labels, taxonomy.team_labels[-1]
    for picker in ("teams", "handoff_from", "handoff_to"):
        assert _values(inputs[picker]) == list(teams), f"every team can be picked in {picker}"
    assert _values(inputs["stage"]) == list(taxonomy.stage_labels)
    assert [o["value"] for o in inputs["teams"]["initial_options"]] == [teams[0], last]
    assert inputs["handoff_from"]["initial_option"]["value"] == teams[3]
    assert inputs["handoff_to"]["initial_option"]["value"] == last


async def test_the_report_modal_prefills_a_team_past_the_100th(slack: SlackDriver, taxonomy: Taxonomy) -> None:
    await slack.interaction(fixture("block_actions_suggest"))
    [update] = slack.fake.called("views.update")
    view = update.params["view"]
    assert_valid_view(view)
    assert_selects_within_slack_limits(view)
    teams = next(b["element"] for b in view["blocks"] if b.get("block_id") == "teams@1")
    assert _values(teams) == list(taxonomy.team_labels)
    assert [o["value"] for o in teams["initial_options"]] == [taxonomy.team_labels[0], taxonomy.team_labels[-1]]


async def test_a_receipt_unsure_of_the_stage_offers_every_stage(
    slack: SlackDriver, classifier: TaggingFake, taxonomy: Taxonomy
) -> None:
    classifier.tags = replace(classifier.tags, stage=None)
    answer = json.loads((await slack.command(fixture("slash_command")))[1])
    assert_valid_message(answer)
    assert_selects_within_slack_limits(answer)
    [menu] = [b["accessory"] for b in answer["blocks"] if b.get("accessory", {}).get("action_id") == "snag:pick_stage"]
    assert _values(menu) == list(taxonomy.stage_labels)
