"""What Slack tells people they can do matches what the code lets them do: the `/snag` usage hint
shows every command anyone may type and no one's else, and a `:snag:` Snag cannot read gets
advice that fits where it was put."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.slack.runtime import BOT_SCOPES
from bot.commands import ROLE_COMMANDS, usage_for
from bot.domain import Role
from tests.slack.conftest import SlackDriver, fixture

MANIFEST = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "manifest.yml"
README = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "README.md"
GROUP_DM = "G0GROUPDM1"


def hint() -> str:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    return str(command["usage_hint"])


def first_words(lines: list[str]) -> set[str]:
    return {line.split()[0] for line in lines if line.strip()}


def test_the_usage_hint_shows_every_command_anyone_may_type() -> None:
    everyones = first_words(usage_for(Role.STAFF).splitlines())
    assert {"digest", "erase"} <= everyones, "the code's table, as staff see it in `help`"
    assert first_words(hint().split("|")) == everyones


def test_the_usage_hint_shows_no_command_only_managers_or_admins_may_use() -> None:
    shown = first_words(hint().split("|"))
    assert not shown & set(ROLE_COMMANDS), "staff would be refused: `search` is for managers"


def test_the_slack_readme_marks_managers_commands() -> None:
    text = README.read_text(encoding="utf-8")
    [queries] = [line for line in text.splitlines() if line.startswith("| `/snag help`")]
    assert not any(f"`{command}" in queries for command in ROLE_COMMANDS), queries
    assert "`digest" in queries and "erase" in text


@pytest.mark.parametrize(
    ("error", "advice", "not_said"),
    [
        ("missing_scope", "reinstall Snag", "/invite"),
        ("not_in_channel", "/invite @Snag", "reinstall"),
    ],
)
async def test_a_reaction_snag_cannot_read_gets_advice_that_fits(
    slack: SlackDriver, error: str, advice: str, not_said: str
) -> None:
    payload = fixture("event_reaction_added")
    payload["event"]["item"]["channel"] = GROUP_DM
    slack.fake.fail("conversations.history", status=200, error=error)
    await slack.event(payload)
    assert slack.reports() == []
    [post] = slack.fake.called("chat.postEphemeral")
    assert post.params["channel"] == GROUP_DM
    assert advice in post.params["text"] and not_said not in post.params["text"]
    assert "Report as friction" in post.params["text"]


def test_snag_asks_to_read_group_dms_it_is_in() -> None:
    assert "mpim:history" in BOT_SCOPES
