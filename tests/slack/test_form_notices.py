"""The `/snag` form with a stage unlike the classifier's still says where the report was saved, and why it changed."""

from __future__ import annotations

import json

import pytest

from tests.slack.conftest import SlackDriver, fixture

LONG = " ".join(["the courier portal drops half our pickup bookings"] * 8)  # 399 characters


def _text(view: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(view["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("overrides", [{"max_report_chars": 200}])
async def test_a_form_with_its_own_stage_keeps_the_receipt_and_its_notices(slack: SlackDriver) -> None:
    payload = fixture("view_submission_report")  # the form's stage: delivery; the model says billing
    payload["view"]["state"]["values"]["text"]["snag:suggest"]["value"] = LONG
    status, body = await slack.interaction(payload)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "update"
    [row] = slack.reports()
    shown = _text(answer["view"])
    assert f"saved as report #{row.id}" in shown
    assert "Your report was 399 characters; I kept the first 200" in shown
    assert row.stage == "delivery" and row.tag_source == "person:stage"  # the pick is taken
    assert "*Stage*\\nDelivery" in shown  # and the receipt shows it
