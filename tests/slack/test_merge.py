"""`/snag merge 12 into 7` in Slack: a manager's merge answered in the ack, only to them; staff refused."""

from __future__ import annotations

import json

from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.validate import assert_valid_message

REFUNDS = "refunds sit in the finance inbox for a week before anyone picks them up"
BADGES = "new starters wait three days for a door badge from facilities"


async def test_a_manager_merges_two_patterns_and_staff_cannot(slack: SlackDriver) -> None:
    for n, text in enumerate((REFUNDS, BADGES)):
        await slack.command(fixture("slash_command") | {"text": text, "trigger_id": f"t-{n}"})
    first, second = (r.pattern_id for r in slack.reports())
    assert first is not None and second is not None and first != second
    slack.runtime.budget = 10  # the answer comes in the ack
    staff = json.loads((await slack.command(fixture("slash_command") | {"text": f"merge {second} into {first}"}))[1])
    assert "for managers" in staff["text"]
    assert {r.pattern_id for r in slack.reports()} == {first, second}
    typed = fixture("slash_command") | {"user_id": MANAGER, "text": f"merge #{second} into #{first}"}
    answer = json.loads((await slack.command(typed))[1])
    assert_valid_message(answer)
    assert answer["response_type"] == "ephemeral"
    assert f"Merged pattern #{second} into #{first}: 1 report moved" in answer["text"]
    assert {r.pattern_id for r in slack.reports()} == {first}
