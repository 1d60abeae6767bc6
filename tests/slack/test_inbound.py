"""Slack payloads into core values (pure)."""

from __future__ import annotations

from adapters.slack import inbound, text
from bot.domain import Person, Platform
from tests.slack.conftest import fixture

PERSON = Person(platform=Platform.SLACK, tenant="T0001", user="U2147483697")


def test_who_reads_commands_events_and_interactions() -> None:
    assert inbound.who(fixture("slash_command")) == inbound.Who("T0001", "U2147483697", "acme")
    assert inbound.who(fixture("event_message_im")) == inbound.Who("T0001", "U2147483697")
    assert inbound.who(fixture("event_reaction_added")).user == "U2147483697"  # the reactor
    assert inbound.who(fixture("block_actions_confirm")) == inbound.Who("T0001", "U2147483697", "acme")
    assert inbound.who(fixture("message_action")).user == "U2147483697"
    assert inbound.who(fixture("event_app_uninstalled")) is None


def test_from_slack_undoes_formatting_without_keeping_user_ids() -> None:
    assert inbound.from_slack("a &amp; b &lt;c&gt;") == "a & b <c>"
    assert inbound.from_slack("ask <@U123> or <@U456|dana>") == "ask @someone or @someone"  # no colleague's name
    assert inbound.from_slack("<!here> <!channel> <!subteam^S1|@ops>") == "@here @channel @ops"
    assert inbound.from_slack("in <#C1|frontline> and <#C2>") == "in #frontline and #channel"
    assert (
        inbound.from_slack("<https://x.example/a|the form> <https://y.example>")
        == "the form (https://x.example/a) https://y.example"
    )
    assert inbound.from_slack("<mailto:a@b.example|a@b.example>") == "a@b.example"
    assert inbound.from_slack("literal &lt;!here&gt;") == "literal <!here>"


def test_one_mention_syntax_reads_who_is_mentioned_and_takes_snag_out() -> None:
    said = "<@UBOT> ask <@U123> or <@W456|dana>, <@U123> again; <@UBOT|snag> <@UBOTX> <@U12|a|b>"
    assert text.mentioned_users(said) == ("UBOT", "U123", "W456", "UBOTX", "U12")
    assert text.without_mention(said, "UBOT") == "  ask <@U123> or <@W456|dana>, <@U123> again;   <@UBOTX> <@U12|a|b>"
    assert text.without_mention(said, None) == said
    assert inbound.mentioned(said, "UBOT") == ("U123", "W456", "UBOTX", "U12")
    assert inbound.typed("<@UBOT|snag> the <@U123> queue", "UBOT") == "the @someone queue"


def test_command_and_event_messages() -> None:
    message = inbound.command_message(PERSON, fixture("slash_command"))
    assert (message.via, message.channel) == ("slash", "C2147483705")
    assert message.event_id == "slash:13345224609.738474920.8088930838d88f008e0"
    dm = inbound.event_message(PERSON, fixture("event_message_im"), "UBOT")
    assert dm is not None and (dm.via, dm.event_id, dm.text) == (
        "dm",
        "Ev0PV52K21",
        "we retype every order into SAP & the CRM",
    )
    assert dm.received_at is not None and dm.received_at.year == 2023
    mention = inbound.event_message(PERSON, fixture("event_app_mention"), "UBOT")
    assert mention is not None and mention.text == "the intake form asks customers for their address twice"
    edited = fixture("event_message_im")
    edited["event"]["subtype"] = "message_changed"
    assert inbound.event_message(PERSON, edited, "UBOT") is None


def test_reaction_target_accepts_skin_tones_and_only_messages() -> None:
    event = fixture("event_reaction_added")["event"]
    assert inbound.reaction_target(event, "snag") == ("C2147483705", "1700000300.000400")
    assert inbound.reaction_target(event | {"reaction": "snag::skin-tone-3"}, "snag") is not None
    assert inbound.reaction_target(event, "bug") is None
    assert inbound.reaction_target(event | {"item": {"type": "file", "file": "F1"}}, "snag") is None


def test_block_actions_give_name_report_and_value() -> None:
    assert inbound.block_action(fixture("block_actions_confirm")) == inbound.ParsedAction(
        "confirm", 1, "1", "snag:1:buttons"
    )
    assert inbound.block_action(fixture("block_actions_frequency")) == inbound.ParsedAction(
        "frequency", 1, "daily", "snag:1:0"
    )
    button = fixture("block_actions_confirm")
    button["actions"][0] |= {
        "action_id": "snag:customer_facing:0",
        "block_id": "snag:12:1",
        "value": "yes",
    }
    assert inbound.block_action(button) == inbound.ParsedAction("customer_facing", 12, "yes", "snag:12:1")
    button["actions"][0]["action_id"] = "someone_elses_button"
    assert inbound.block_action(button) is None


def test_form_values_and_the_report_form() -> None:
    values = inbound.form_values(fixture("view_submission_correct")["view"])
    assert values == {
        "stage": "support",
        "kinds": ["waiting", "unclear_ownership"],
        "teams": ["support"],
        "handoff_from": None,
        "handoff_to": None,
    }
    form = inbound.report_form(fixture("view_submission_report")["view"])
    assert form == inbound.ReportForm(
        text="the courier portal drops half our pickup bookings",
        frequency="weekly",
        customer_facing=True,
        picks={"stage": "delivery", "frequency": "weekly", "customer_facing": "yes"},
    )
    assert inbound.metadata({"private_metadata": "not json"}) == {}
