"""Buttons, menus, modals and the message shortcut over real HTTP."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from store.models import Correction
from tests.slack.conftest import SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_blocks, assert_valid_view


async def file_one(slack: SlackDriver) -> int:
    await slack.command(fixture("slash_command"))
    return slack.reports()[-1].id


def with_report(payload: dict[str, Any], report_id: int, hook: str) -> dict[str, Any]:
    action = payload["actions"][0]
    action["block_id"] = action["block_id"].replace(":1:", f":{report_id}:")
    if "value" in action and action["value"] == "1":
        action["value"] = str(report_id)
    if "response_url" in payload:
        payload["response_url"] = hook
    return payload


async def test_looks_right_confirms_and_answers_beside_the_ephemeral_receipt(
    slack: SlackDriver,
) -> None:
    rid = await file_one(slack)
    status, _ = await slack.interaction(with_report(fixture("block_actions_confirm"), rid, slack.fake.hook()))
    assert status == 200
    assert slack.reports()[0].status == "confirmed"
    [answer] = slack.fake.called("response_url")
    assert answer.params["replace_original"] is False
    assert answer.params["text"] == "Thanks, tags confirmed. This helps Snag learn."


async def test_an_answer_on_a_dm_receipt_replaces_that_question_in_place(
    slack: SlackDriver,
) -> None:
    from adapters.slack import render
    from bot import cards

    rid = await file_one(slack)
    record = slack.services.repository.get_report(
        person=slack.services.snag.person("slack", "T0001", "U2147483697"), report_id=rid
    )
    shown = render.blocks(cards.receipt(record, slack.services.taxonomy))
    payload = with_report(fixture("block_actions_frequency"), rid, slack.fake.hook())
    payload["message"]["blocks"] = shown
    await slack.interaction(payload)
    assert slack.reports()[0].frequency == "daily"
    [answer] = slack.fake.called("response_url")
    assert answer.params["replace_original"] is True
    blocks = answer.params["blocks"]
    assert_valid_blocks(blocks, max_blocks=50)
    assert f"snag:{rid}:0" not in [b.get("block_id") for b in blocks]
    assert "✓ Noted: this happens daily." in answer_text(answer.params)
    assert f"snag:{rid}:buttons" in [b.get("block_id") for b in blocks], "other questions stay"


async def test_a_response_url_off_slack_is_never_called(slack: SlackDriver) -> None:
    rid = await file_one(slack)
    evil = "http://127.0.0.1:9/steal"
    await slack.interaction(with_report(fixture("block_actions_confirm"), rid, evil))
    assert slack.reports()[0].status == "confirmed"
    assert slack.fake.called("response_url") == []


async def test_fix_tags_in_a_modal_shows_the_form_and_saving_stores_a_correction(
    slack: SlackDriver,
) -> None:
    rid = await file_one(slack)
    await slack.interaction(with_report(fixture("block_actions_fix_in_view"), rid, slack.fake.hook()))
    [update] = slack.fake.called("views.update")
    form = update.params["view"]
    assert update.params["view_id"] == "V0RECEIPT01"
    assert_valid_view(form)
    assert form["callback_id"] == "snag_form:correct"
    assert json.loads(form["private_metadata"])["r"] == rid
    stage = next(b for b in form["blocks"] if b.get("block_id") == "stage")
    assert stage["element"]["initial_option"]["value"] == "billing"

    submission = fixture("view_submission_correct")
    submission["view"]["private_metadata"] = json.dumps({"r": rid, "u": slack.fake.hook("actions/1")})
    status, body = await slack.interaction(submission)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "update"
    assert_valid_view(answer["view"])
    assert "corrected" in answer_text(answer["view"])
    row = slack.reports()[0]
    assert (row.stage, row.kinds, row.teams, row.status) == (
        "support",
        ["waiting", "unclear_ownership"],
        ["support"],
        "corrected",
    )
    with Session(slack.services.engine) as session:
        [correction] = session.exec(select(Correction)).all()
    assert correction.before["stage"] == "billing" and correction.after["stage"] == "support"
    [replaced] = slack.fake.called("response_url")
    assert replaced.params["replace_original"] is True


async def test_a_bad_correction_keeps_the_form_open_with_an_error(slack: SlackDriver) -> None:
    rid = await file_one(slack)
    submission = fixture("view_submission_correct")
    submission["view"]["private_metadata"] = json.dumps({"r": rid})
    submission["view"]["state"]["values"]["stage"]["value"]["selected_option"]["value"] = "nowhere"
    answer = json.loads((await slack.interaction(submission))[1])
    assert answer["response_action"] == "errors" and "nowhere" in answer["errors"]["stage"]
    assert slack.reports()[0].stage == "billing"


async def test_the_report_modal_files_its_answers_and_the_persons_own_stage(
    slack: SlackDriver,
) -> None:
    status, body = await slack.interaction(fixture("view_submission_report"))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "update"
    assert_valid_view(answer["view"])
    [row] = slack.reports()
    assert row.text == "the courier portal drops half our pickup bookings"
    assert (row.frequency, row.customer_facing, row.channel) == ("weekly", True, "C2147483705")
    assert row.stage == "delivery" and row.tag_source == "person:stage"
    assert row.teams == ["finance", "support"], "teams left empty keep the classifier's"
    await slack.interaction(fixture("view_submission_report"))  # a double submit
    assert len(slack.reports()) == 1


async def test_an_empty_report_modal_is_refused_on_the_field(slack: SlackDriver) -> None:
    payload = fixture("view_submission_report")
    payload["view"]["state"]["values"]["text"]["snag:suggest"]["value"] = "   "
    answer = json.loads((await slack.interaction(payload))[1])
    assert answer == {
        "response_action": "errors",
        "errors": {"text": "Tell me in a sentence what got in the way."},
    }
    assert slack.reports() == []


async def test_enter_in_the_report_modal_prefills_stage_and_teams(slack: SlackDriver) -> None:
    await slack.interaction(fixture("block_actions_suggest"))
    [update] = slack.fake.called("views.update")
    view = update.params["view"]
    assert_valid_view(view)
    assert update.params["hash"] == "1700000770.ghi"
    blocks = {b["block_id"]: b for b in view["blocks"] if "block_id" in b}
    assert blocks["stage@1"]["element"]["initial_option"]["value"] == "billing"
    assert [o["value"] for o in blocks["teams@1"]["element"]["initial_options"]] == [
        "finance",
        "support",
    ]
    assert blocks["text"]["element"]["initial_value"] == "refund requests wait a week in the finance inbox"
    assert json.loads(view["private_metadata"])["c"] == "C2147483705"
    assert slack.reports() == []


async def test_the_shortcut_opens_filing_at_once_then_shows_the_receipt(slack: SlackDriver) -> None:
    payload = fixture("message_action")
    payload["response_url"] = slack.fake.hook("app/1")
    status, body = await slack.interaction(payload)
    assert status == 200 and body == ""
    methods = slack.fake.methods()
    assert methods.index("views.open") < methods.index("views.update")
    [opened] = slack.fake.called("views.open")
    assert opened.params["trigger_id"] == payload["trigger_id"]
    assert "Filing your report" in answer_text(opened.params["view"])
    [row] = slack.reports()
    assert row.text == "customers get asked for their meter reading twice <!here> @someone knows"
    [update] = slack.fake.called("views.update")
    assert_valid_view(update.params["view"])
    shown = answer_text(update.params["view"])
    assert "&lt;!here&gt; @someone knows" in shown and "<!here>" not in shown
    await slack.interaction(payload)
    assert len(slack.reports()) == 1, "the same person filing the same message twice is one report"


async def test_the_shortcut_answers_through_the_response_url_if_the_modal_cannot_open(
    slack: SlackDriver,
) -> None:
    slack.fake.fail("views.open", status=200, error="expired_trigger_id")
    payload = fixture("message_action")
    payload["response_url"] = slack.fake.hook("app/1")
    await slack.interaction(payload)
    assert len(slack.reports()) == 1
    [answer] = slack.fake.called("response_url")
    assert answer.params["text"].startswith("Thanks, saved as report #")


async def test_fix_tags_on_an_ephemeral_receipt_opens_the_form_in_a_modal(
    slack: SlackDriver,
) -> None:
    rid = await file_one(slack)
    payload = with_report(fixture("block_actions_confirm"), rid, slack.fake.hook("actions/9"))
    payload["actions"][0] |= {
        "action_id": "snag:fix",
        "text": {"type": "plain_text", "text": "Fix tags"},
    }
    await slack.interaction(payload)
    [opened] = slack.fake.called("views.open")
    assert opened.params["trigger_id"] == payload["trigger_id"]
    assert_valid_view(opened.params["view"])
    assert json.loads(opened.params["view"]["private_metadata"]) == {
        "r": rid,
        "u": slack.fake.hook("actions/9"),
    }


async def test_picking_the_stage_snag_was_unsure_of_stores_it_as_a_correction(slack: SlackDriver, classifier) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    classifier.tags = replace(classifier.tags, stage=None)
    answer = json.loads((await slack.command(fixture("slash_command")))[1])
    rid = slack.reports()[0].id
    menus = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    assert menus[0]["action_id"] == "snag:pick_stage" and len(menus[0]["options"]) == 8
    payload = with_report(fixture("block_actions_frequency"), rid, slack.fake.hook())
    payload["actions"][0] |= {
        "action_id": "snag:pick_stage",
        "selected_option": {"value": "support"},
    }
    await slack.interaction(payload)
    assert (slack.reports()[0].stage, slack.reports()[0].status) == ("support", "corrected")
    [answered] = slack.fake.called("response_url")  # beside the ephemeral receipt, which keeps its questions
    assert answered.params["replace_original"] is False
    assert answered.params["text"] == "Stage: Support."


async def test_the_shortcut_answers_slack_before_classifying(slack: SlackDriver, classifier) -> None:  # type: ignore[no-untyped-def]
    import threading
    from urllib.parse import urlencode

    release = threading.Event()
    original = classifier.classify
    classifier.classify = lambda text: (release.wait(5), original(text))[1]
    body = urlencode({"payload": json.dumps(fixture("message_action"))})
    status, _ = await slack.post(body, "application/x-www-form-urlencoded", drain=False)
    assert status == 200, "Slack has its answer while the classifier is still busy"
    assert slack.fake.methods() == ["auth.test", "views.open"]
    assert len(slack.reports()) == 1 and slack.reports()[0].tag_source is None, "stored, not yet tagged"
    release.set()
    await slack.runtime.drain()
    assert slack.fake.methods()[-1] == "views.update" and slack.reports()[0].tag_source == "model"
