"""`/snag` over real HTTP: reports, queries, usage, and the report modal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_message, assert_valid_view


async def test_a_sentence_files_one_report_and_answers_with_the_receipt(slack: SlackDriver) -> None:
    status, body = await slack.command(fixture("slash_command"))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert_valid_message(answer)
    rows = slack.reports()
    assert len(rows) == 1
    assert rows[0].text == "refunds sit in the finance inbox for a week before anyone picks them up"
    assert rows[0].stage == "billing" and rows[0].channel == "C2147483705"
    assert rows[0].reporter_key != "U2147483697" and "U2147483697" not in (rows[0].event_key or "")
    assert answer["text"] == f"Thanks, saved as report #{rows[0].id}."
    action_ids = [e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids[:2] == ["snag:confirm", "snag:fix"]


async def test_the_same_command_delivered_twice_is_one_report(slack: SlackDriver) -> None:
    payload = fixture("slash_command")
    await slack.command(payload)
    status, body = await slack.command(payload)
    assert status == 200 and json.loads(body)["text"].startswith("Already saved as report #")
    assert len(slack.reports()) == 1


async def test_help_and_a_bad_filter_answer_with_usage_and_store_nothing(
    slack: SlackDriver,
) -> None:
    for text, expected in (("help", "Snag commands"), ("top 30d team:nobody", "is not a team")):
        status, body = await slack.command(fixture("slash_command") | {"text": text})
        answer = json.loads(body)
        assert status == 200 and expected in answer["text"]
        assert_valid_message(answer)
        assert "Traceback" not in body
    assert slack.reports() == []


async def test_search_is_for_managers_and_shows_report_text_escaped(slack: SlackDriver) -> None:
    # Typed: `the <!channel> refund queue & its spreadsheet`, and a real @channel mention.
    typed = "the &lt;!channel&gt; refund queue &amp; its spreadsheet, <!channel> look"
    for user in ("U2147483697", "U0BEA", "U0CAL"):  # a pattern of k people, as `pattern <id>` quotes
        await slack.command(fixture("slash_command") | {"text": typed, "user_id": user, "trigger_id": f"t-{user}"})
    assert slack.reports()[0].text == "the <!channel> refund queue & its spreadsheet, @channel look"
    staff = json.loads((await slack.command(fixture("slash_command") | {"text": "search refund"}))[1])
    assert "for managers" in staff["text"]
    manager = fixture("slash_command") | {"text": "search refund", "user_id": MANAGER}
    slack.services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # found from tomorrow
    answer = json.loads((await slack.command(manager))[1])
    assert_valid_message(answer)
    shown = json.dumps(answer["blocks"])
    assert "&lt;!channel&gt; refund queue &amp; its spreadsheet, @\u2060channel look" in answer_text(answer)
    assert "<!channel>" not in shown and "@channel" not in shown


async def test_snag_alone_opens_the_report_modal(slack: SlackDriver) -> None:
    status, body = await slack.command(fixture("slash_command") | {"text": "  "})
    assert status == 200 and body == ""
    [call] = slack.fake.called("views.open")
    assert call.params["trigger_id"] == fixture("slash_command")["trigger_id"]
    view = call.params["view"]
    assert_valid_view(view)
    assert view["callback_id"] == "snag_report"
    assert json.loads(view["private_metadata"])["c"] == "C2147483705"
    assert slack.reports() == []


@pytest.mark.parametrize("overrides", [{"managers": ["slack:group:S0MANAGERS"]}])
async def test_a_manager_by_user_group_may_search(slack: SlackDriver) -> None:
    slack.fake.usergroups = [{"id": "S0MANAGERS", "users": ["U2147483697"]}]
    await slack.command(fixture("slash_command"))
    answer = json.loads((await slack.command(fixture("slash_command") | {"text": "search refunds"}))[1])
    assert answer["text"] == "Reports matching “refunds”"
    assert len(slack.fake.called("usergroups.list")) == 1, "groups are cached"


@pytest.mark.parametrize("overrides", [{"managers": ["slack:group:S0MANAGERS"]}])
async def test_a_hanging_user_group_lookup_does_not_hold_a_report_back(slack: SlackDriver) -> None:
    """Slack blocked on the way out: the groups are given up after a second, the report is stored."""
    import time

    slack.fake.usergroups = [{"id": "S0MANAGERS", "users": ["U2147483697"]}]
    slack.fake.stall("usergroups.list", seconds=10)
    started = time.monotonic()
    status, _ = await slack.post_only(fixture("slash_command"))
    assert status == 200 and time.monotonic() - started < 3
    assert len(slack.reports()) == 1


async def test_a_slow_core_still_answers_slack_in_time_and_replies_later(slack: SlackDriver, classifier) -> None:  # type: ignore[no-untyped-def]
    import threading

    release = threading.Event()
    original = classifier.classify
    classifier.classify = lambda text: (release.wait(5), original(text))[1]
    slack.runtime.budget = 0.05
    payload = fixture("slash_command") | {"response_url": slack.fake.hook()}
    status, body = await slack.post_only(payload)
    assert status == 200 and json.loads(body)["text"].startswith("Working on it")
    assert len(slack.reports()) == 1, "the report is committed before Slack gets its answer"
    release.set()
    await slack.runtime.drain()
    [later] = slack.fake.called("response_url")
    assert later.params["text"].startswith("Thanks, saved as report #")


@pytest.mark.parametrize("overrides", [{"admins": ["slack:U2147483697"]}])
async def test_subscribing_a_channel_snag_cannot_post_in_says_how_to_invite_it(slack: SlackDriver) -> None:
    subscribe = fixture("slash_command") | {"text": "subscribe"}
    answer = json.loads((await slack.command(subscribe))[1])
    assert answer["text"].startswith("Subscribed") and "/invite" not in json.dumps(answer)
    [announced] = slack.fake.called("chat.postMessage")
    assert announced.params["channel"] == "C2147483705"

    slack.fake.fail("chat.postMessage", status=200, error="channel_not_found")  # private, not invited
    answer = json.loads((await slack.command(subscribe | {"channel_id": "C0PRIVATE"}))[1])
    assert_valid_message(answer)
    assert answer["text"].startswith("Subscribed") and "`/invite @Snag`" in answer_text(answer)
