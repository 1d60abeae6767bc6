"""A forwarded message, or an app's or a bot's, may have no `text`: its words are in attachments or
blocks. "Report as friction" and the :snag: reaction file those words, over signed HTTP."""

from __future__ import annotations

from typing import Any

from tests.slack.conftest import SlackDriver, fixture
from tests.slack.validate import answer_text

CHANNEL = "C2147483705"
PROMPT = "Tell me in a sentence what got in the way"


def _shortcut(message: dict[str, Any]) -> dict[str, Any]:
    payload = fixture("message_action")
    payload["message"] = {"type": "message", "ts": "1700000780.000400", **message}
    return payload


def _shown(slack: SlackDriver) -> str:
    [update] = slack.fake.called("views.update")
    return answer_text(update.params["view"])


async def test_the_shortcut_files_a_forwarded_message_by_the_words_it_shares(slack: SlackDriver) -> None:
    forwarded = {
        "is_share": True,
        "author_id": "U0OTHERPERSON",
        "text": "the courier portal dropped half our pickup bookings &amp; nobody was told",
        "fallback": "[19 Nov] the courier portal…",
    }
    await slack.interaction(_shortcut({"user": "U0OTHERPERSON", "text": "", "attachments": [forwarded]}))
    [row] = slack.reports()
    assert row.text == "the courier portal dropped half our pickup bookings & nobody was told"
    assert f"Thanks, saved as report #{row.id}." in _shown(slack) and PROMPT not in _shown(slack)


async def test_the_shortcut_reads_rich_text_blocks_as_it_reads_the_text(slack: SlackDriver) -> None:
    """The recorded message with its `text` taken away: its blocks say the same, mentions and all."""
    message = fixture("message_action")["message"]
    message["text"] = ""
    await slack.interaction(_shortcut(message))
    [row] = slack.reports()
    assert row.text == "customers get asked for their meter reading twice <!here> @someone knows"
    assert "U0OTHERPERSON" not in row.text


async def test_the_shortcut_files_an_apps_alert_with_its_pretext_and_fields(slack: SlackDriver) -> None:
    alert = {
        "pretext": "Stock sync failed for store 12",
        "fields": [{"title": "Tills", "value": "show last week's prices"}],
        "fallback": "Stock sync failed",
    }
    await slack.interaction(_shortcut({"bot_id": "B0ALERTS", "text": "", "attachments": [alert]}))
    assert [r.text for r in slack.reports()] == ["Stock sync failed for store 12\nTills: show last week's prices"]


async def test_a_message_with_no_words_anywhere_is_still_asked_for_a_sentence(slack: SlackDriver) -> None:
    image = {"type": "image", "image_url": "https://example.com/chart.png", "alt_text": "chart"}
    await slack.interaction(_shortcut({"bot_id": "B0ALERTS", "text": "", "blocks": [image]}))
    assert slack.reports() == []
    assert PROMPT in _shown(slack)


async def test_the_reaction_files_a_bots_message_by_the_words_its_blocks_show(slack: SlackDriver) -> None:
    slack.fake.messages[(CHANNEL, "1700000300.000400")] = {
        "type": "message",
        "bot_id": "B0ALERTS",
        "ts": "1700000300.000400",
        "text": "",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Stock sync <failed>"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "store 12 again; tills show wrong prices"}},
        ],
    }
    await slack.event(fixture("event_reaction_added"))
    assert [r.text for r in slack.reports()] == ["Stock sync <failed>\nstore 12 again; tills show wrong prices"]
    [receipt] = slack.fake.called("chat.postEphemeral")
    assert PROMPT not in receipt.params["text"]


async def test_the_reaction_files_a_forwarded_reply_in_a_thread(slack: SlackDriver) -> None:
    slack.fake.thread_messages[(CHANNEL, "1700000300.000400")] = {
        "type": "message",
        "ts": "1700000300.000400",
        "thread_ts": "1700000000.000001",
        "text": "",
        "attachments": [{"is_share": True, "text": "the handoff to ops loses the notes", "fallback": "x"}],
    }
    await slack.event(fixture("event_reaction_added"))
    assert [r.text for r in slack.reports()] == ["the handoff to ops loses the notes"]
