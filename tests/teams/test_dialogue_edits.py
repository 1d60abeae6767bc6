"""An edit that files a report, with botbuilder's TestAdapter: the bot alone, without the endpoint
(which stores it before acknowledging Teams), files it and answers as a message sent now."""

from __future__ import annotations

from botbuilder.core.adapters import TestAdapter

from adapters.teams.bot import SnagTeamsBot
from adapters.teams.references import References
from tests.teams.test_dialogue import _assert_card_title, message

MEDS = "the medication chart is on paper so we copy it twice"


def _edited(text: str, mid: str):  # type: ignore[no-untyped-def]
    activity = message(text, mid=mid)
    activity.type = "messageUpdate"
    activity.channel_data = {"tenant": {"id": "tenant-x"}, "eventType": "editMessage"}
    return activity


async def test_an_edit_of_a_too_short_message_files_it_without_the_endpoint(services) -> None:  # type: ignore[no-untyped-def]
    bot = SnagTeamsBot(services, References(services.engine))
    adapter = TestAdapter(bot.on_turn)
    step = await adapter.send(message("the", mid="m2"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, _prompt()))
    step = await adapter.send(_edited(MEDS, "m2"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Thanks, saved as report #1."))
    step = await adapter.send(_edited(MEDS + " on every ward", "m2"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Updated report #1."))


def _prompt() -> str:
    return (
        'Tell me in a sentence what got in the way, e.g. "refund requests sit in the '
        'finance inbox for a week before anyone picks them up".'
    )
