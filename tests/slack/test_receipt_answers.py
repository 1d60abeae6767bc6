"""What a reporter sees on and around a receipt in Slack, over signed HTTP: answering the stage
keeps the rest of the receipt, a report filed in a channel says who could see it, an erased
report's buttons say so plainly, and a file without words is acknowledged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.slack.conftest import SlackDriver, TaggingFake, fixture
from tests.slack.test_interactions import with_report
from tests.slack.validate import answer_text, assert_valid_blocks

SAM = "U2147483697"
SHARED = "People in that channel or chat can see who posted this message."
ONLY_FILES = "I got your file, but I can only read words"
PHOTO = {"id": "F0PHOTO1", "name": "printer.jpg", "mimetype": "image/jpeg"}


def block_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [str(b.get("block_id")) for b in blocks]


async def dm_receipt(slack: SlackDriver) -> tuple[int, list[dict[str, Any]]]:
    """File a report by DM; its id and the receipt's blocks as Slack shows them."""
    await slack.event(fixture("event_message_im"))
    [post] = slack.fake.called("chat.postMessage")
    return slack.reports()[-1].id, post.params["blocks"]


async def test_picking_the_stage_on_a_dm_receipt_keeps_the_other_questions_and_buttons(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    classifier.tags = replace(classifier.tags, confidence={"billing": 0.1})  # unsure: the receipt asks
    rid, shown = await dm_receipt(slack)
    assert f"snag:{rid}:0" in block_ids(shown), "the stage question is on the receipt"
    payload = with_report(fixture("block_actions_frequency"), rid, slack.fake.hook())
    payload["actions"][0] |= {"action_id": "snag:pick_stage", "selected_option": {"value": "delivery"}}
    payload["message"]["blocks"] = shown
    await slack.interaction(payload)

    assert slack.reports()[0].stage == "delivery"
    [answer] = slack.fake.called("response_url")
    assert answer.params["replace_original"] is True
    blocks = answer.params["blocks"]
    assert_valid_blocks(blocks, max_blocks=50)
    text = answer_text(answer.params)
    assert "✓ Stage: Delivery." in text and "corrected" not in text
    assert f"snag:{rid}:0" not in block_ids(blocks), "the answered question is gone"
    kept = [f"snag:{rid}:buttons", f"snag:{rid}:1", f"snag:{rid}:2"]  # Looks right / Fix tags, how often, customer
    assert all(b in block_ids(blocks) for b in kept)
    assert "How often does this happen?" in text and "Does the customer notice?" in text
    assert f"Thanks, saved as report #{rid}." in text


async def test_picking_the_stage_on_an_ephemeral_receipt_answers_beside_it(
    slack: SlackDriver, classifier: TaggingFake
) -> None:
    classifier.tags = replace(classifier.tags, stage=None)
    await slack.command(fixture("slash_command"))
    rid = slack.reports()[0].id
    payload = with_report(fixture("block_actions_frequency"), rid, slack.fake.hook())
    payload["actions"][0] |= {"action_id": "snag:pick_stage", "selected_option": {"value": "support"}}
    await slack.interaction(payload)
    assert (slack.reports()[0].stage, slack.reports()[0].status) == ("support", "corrected")
    [answer] = slack.fake.called("response_url")
    assert answer.params["replace_original"] is False, "the receipt keeps its buttons and questions"
    assert answer.params["text"] == "Stage: Support."


async def test_buttons_on_the_receipt_of_an_erased_report_say_it_was_erased(slack: SlackDriver) -> None:
    rid, shown = await dm_receipt(slack)
    assert slack.services.snag.erase(slack.services.snag.person("slack", "T0001", SAM)) == 1
    payload = with_report(fixture("block_actions_confirm"), rid, slack.fake.hook())
    payload["message"] = {"blocks": shown}
    await slack.interaction(payload)
    [answer] = slack.fake.called("response_url")
    said = answer_text(answer.params)
    assert f"Report #{rid} is no longer stored (it may have been erased), so there is nothing to change." in said
    assert "can't find" not in said


async def test_a_report_filed_in_a_channel_says_who_can_see_it(slack: SlackDriver) -> None:
    await slack.event(fixture("event_app_mention"))
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {"ts": "1700000300.000400", "text": "the van is late"}
    reaction = fixture("event_reaction_added")
    await slack.event(reaction)
    receipts = slack.fake.called("chat.postEphemeral")
    assert len(receipts) == 2 and len(slack.reports()) == 2
    for post in receipts:
        said = answer_text(post.params)
        assert SHARED in said and "To report privately, send me a direct message." in said


async def test_the_shortcut_receipt_says_who_can_see_the_message(slack: SlackDriver) -> None:
    await slack.interaction(fixture("message_action"))
    [update] = slack.fake.called("views.update")
    assert SHARED in answer_text(update.params["view"])


async def test_private_reports_say_nothing_about_a_channel(slack: SlackDriver) -> None:
    await slack.event(fixture("event_message_im"))
    answer = await slack.command(fixture("slash_command"))
    [dm] = slack.fake.called("chat.postMessage")
    assert SHARED not in answer_text(dm.params) and SHARED not in answer[1]
    assert len(slack.reports()) == 2


async def test_a_file_with_one_short_word_is_acknowledged_and_nothing_is_filed(slack: SlackDriver) -> None:
    for n, words in enumerate(("", "this", "report see")):
        payload = fixture("event_message_im")
        payload["event"] |= {"text": words, "subtype": "file_share", "files": [PHOTO]}
        payload["event_id"] = f"Ev0FILE{n}"
        await slack.event(payload)
    posts = slack.fake.called("chat.postMessage")
    assert [p.params["text"].startswith(ONLY_FILES) for p in posts] == [True, True, True]
    assert slack.reports() == []


async def test_a_file_with_a_command_or_a_sentence_is_answered_as_usual(slack: SlackDriver) -> None:
    for n, words in enumerate(("help", "the label printer on dock 3 jams every morning")):
        payload = fixture("event_message_im")
        payload["event"] |= {"text": words, "subtype": "file_share", "files": [PHOTO]}
        payload["event_id"] = f"Ev0FILE{n}"
        await slack.event(payload)
    first, second = (p.params["text"] for p in slack.fake.called("chat.postMessage"))
    assert first == "Snag commands" and second.startswith("Thanks, saved as report #")
    assert [r.text for r in slack.reports()] == ["the label printer on dock 3 jams every morning"]
