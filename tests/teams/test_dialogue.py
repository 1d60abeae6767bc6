"""The Teams dialogue with botbuilder's TestAdapter: no HTTP, the same bot class."""

from __future__ import annotations

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.teams.bot import SnagTeamsBot
from adapters.teams.references import References


def message(text: str = "", value: dict | None = None, mid: str = "m1") -> Activity:
    return Activity(
        type="message",
        id=mid,
        text=text,
        value=value,
        channel_id="msteams",
        from_property=ChannelAccount(id="29:u", aad_object_id="aad-u"),
        recipient=ChannelAccount(id="28:bot"),
        conversation=ConversationAccount(id="a:chat", conversation_type="personal", tenant_id="tenant-x"),
        channel_data={"tenant": {"id": "tenant-x"}},
        service_url="https://test.invalid/",
    )


async def test_report_then_confirm_in_a_personal_chat(services) -> None:  # type: ignore[no-untyped-def]
    bot = SnagTeamsBot(services, References(services.engine))
    adapter = TestAdapter(bot.on_turn)
    step = await adapter.send(message("invoices go out with the old address"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Thanks, saved as report #1."))
    step = await adapter.send(message(value={"snag": "confirm", "report_id": 1}, mid="m2"))
    await step.assert_reply(
        lambda activity, _desc: _assert_card_title(activity, "Thanks, tags confirmed. This helps Snag learn.")
    )
    step = await adapter.send(message("help", mid="m3"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Snag commands"))


async def test_an_expired_button_is_answered_kindly(services) -> None:  # type: ignore[no-untyped-def]
    bot = SnagTeamsBot(services, References(services.engine))
    adapter = TestAdapter(bot.on_turn)
    step = await adapter.send(message(value={"something": "else"}, mid="m9"))
    await step.assert_reply(
        lambda activity, _desc: _assert_card_title(activity, "That button has expired. Send a new report.")
    )


def _assert_card_title(activity: Activity, title: str) -> None:
    card = activity.attachments[0].content
    assert card["body"][0]["inlines"][0]["text"] == title
