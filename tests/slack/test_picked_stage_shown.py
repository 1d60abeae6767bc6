"""Picking the stage Snag was unsure of, on a receipt: what the receipt says it understood shows the
stage picked, never "not sure" beside "✓ Stage: …". Over signed HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.slack.conftest import SlackDriver, TaggingFake, fixture
from tests.slack.test_interactions import with_report
from tests.slack.validate import answer_text, assert_valid_blocks, assert_valid_view

UNSURE = "not sure, pick one below"


def _understood(blocks: list[dict[str, Any]]) -> list[str]:
    """The "What I understood" fields, as Slack shows them."""
    return [f["text"] for b in blocks for f in b.get("fields") or []]


def _pick(payload: dict[str, Any], stage: str) -> dict[str, Any]:
    """The stage menu's payload: a select sends its selected option, no value of its own."""
    payload["actions"][0].pop("value", None)
    payload["actions"][0] |= {"action_id": "snag:pick_stage", "selected_option": {"value": stage}}
    return payload


async def test_picking_the_stage_on_a_dm_receipt_shows_it_as_understood(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    classifier.tags = replace(classifier.tags, stage=None)
    await slack.event(fixture("event_message_im"))
    [post] = slack.fake.called("chat.postMessage")
    assert "*Stage*\n" + UNSURE in _understood(post.params["blocks"])
    rid = slack.reports()[0].id
    payload = _pick(with_report(fixture("block_actions_frequency"), rid, slack.fake.hook()), "delivery")
    payload["message"]["blocks"] = post.params["blocks"]
    await slack.interaction(payload)

    [answer] = slack.fake.called("response_url")
    blocks = answer.params["blocks"]
    assert_valid_blocks(blocks, max_blocks=50)
    assert "*Stage*\nDelivery" in _understood(blocks)
    text = answer_text(answer.params)
    assert UNSURE not in text and "✓ Stage: Delivery." in text
    assert "*Kinds*\nHandoff, Waiting" in _understood(blocks), "the other tags are shown as they were"


async def test_picking_the_stage_in_the_shortcuts_modal_shows_it_as_understood(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    classifier.tags = replace(classifier.tags, stage=None)
    await slack.interaction(fixture("message_action"))
    [update] = slack.fake.called("views.update")
    rid = slack.reports()[0].id
    payload = _pick(with_report(fixture("block_actions_fix_in_view"), rid, slack.fake.hook()), "support")
    payload["actions"][0]["block_id"] = f"snag:{rid}:0"
    payload["view"]["blocks"] = update.params["view"]["blocks"]
    await slack.interaction(payload)

    [shown] = slack.fake.called("views.update")[1:]
    assert_valid_view(shown.params["view"])
    assert "*Stage*\nSupport" in _understood(shown.params["view"]["blocks"])
    text = answer_text(shown.params["view"])
    assert UNSURE not in text and "✓ Stage: Support." in text
