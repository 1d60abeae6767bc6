"""A link to a colleague's Slack profile is kept as their @mention is: "@someone", never the name it
shows or their member id."""

from __future__ import annotations

import pytest

from adapters.slack import inbound
from tests.slack.conftest import SlackDriver, fixture

MEMBER_LINKS = [
    "<https://acme.slack.com/team/U0DANA|Dana Okafor>",
    "<https://acme.slack.com/team/U0DANA>",
    "<https://ACME.Slack.com/team/U0DANA/|Dana Okafor>",
    "<https://acme.enterprise.slack.com/team/W0DANA|Dana Okafor>",
    "<https://app.slack.com/client/T0001/C0123/user_profile/U0DANA|Dana Okafor>",
    "<https://slack.com/app_redirect?team=T0001&amp;user=U0DANA|Dana Okafor>",
    "<https://slack.com/app_redirect?channel=U0DANA|Dana Okafor>",
    "<slack://user?team=T0001&amp;id=U0DANA|Dana Okafor>",
]


@pytest.mark.parametrize("link", MEMBER_LINKS)
def test_a_link_to_a_members_profile_reads_as_their_mention(link: str) -> None:
    said = f"ask {link} about the locked refund spreadsheet"
    assert inbound.from_slack(said) == "ask @someone about the locked refund spreadsheet"
    user = "W0DANA" if "W0DANA" in link else "U0DANA"
    assert inbound.mentioned(said) == (user,)  # what an admin's `erase @dana` means, as for <@U0DANA>
    assert inbound.from_slack(said, {user: "Dana"}) == "ask Dana about the locked refund spreadsheet"  # an owner


def test_a_member_is_counted_once_whether_mentioned_or_linked() -> None:
    said = "<@U0DANA> and <https://acme.slack.com/team/U0DANA|Dana> and <https://acme.slack.com/team/U0SAM|Sam>"
    assert inbound.from_slack(said) == "@someone and @someone and @someone"
    assert inbound.mentioned(said) == ("U0DANA", "U0SAM")
    assert inbound.mentioned(said, "U0SAM") == ("U0DANA",)  # Snag's own is never one


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        (
            "<https://acme.slack.com/archives/C0123/p1700000000123456>",
            "https://acme.slack.com/archives/C0123/p1700000000123456",
        ),
        (
            "<https://slack.com/app_redirect?channel=C0123|the queue>",
            "the queue (https://slack.com/app_redirect?channel=C0123)",
        ),
        ("<https://evil-slack.com/team/U0DANA|the team>", "the team (https://evil-slack.com/team/U0DANA)"),
        ("<https://slack.com.example/team/U0DANA|the team>", "the team (https://slack.com.example/team/U0DANA)"),
        ("<https://x.example/refunds?user=U0DANA|the form>", "the form (https://x.example/refunds?user=U0DANA)"),
    ],
)
def test_other_links_are_kept_as_typed(link: str, kept: str) -> None:
    assert inbound.from_slack(f"see {link}") == f"see {kept}"
    assert inbound.mentioned(link) == ()


async def test_a_report_naming_a_colleague_by_their_profile_is_stored_without_them(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    payload["event"].pop("blocks", None)
    payload["event"]["text"] = (
        "ask <https://acme.slack.com/team/U0DANA|Dana Okafor> about the locked refund spreadsheet"
    )
    await slack.event(payload)
    [report] = slack.reports()
    assert report.text == "ask @someone about the locked refund spreadsheet"
