"""A command copied from Snag's own replies keeps their markup when pasted (`` `erase mine confirm` ``)
or gets an emoji after it (`mine :pray:`): it is still that command, on every platform (the core reads
it, and Slack and Teams ask the core first whether a message is a report). "my reports" is `mine`. A
report that merely contains backticks or ends with an emoji is still filed, its words as typed."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import Services
from bot.domain import IncomingMessage, Person, Reply
from store.models import Report


def ana(services: Services) -> Person:
    return services.snag.person("slack", "T1", "UANA")


def message(services: Services, text: str) -> IncomingMessage:
    return IncomingMessage(ana(services), text, "D1")


def say(services: Services, text: str) -> Reply:
    return services.snag.handle_message(message(services, text))


def stored(services: Services) -> list[str]:
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


@pytest.mark.parametrize(
    "typed",
    ["`mine`", "```mine```", "```\nmine\n```", "*mine*", "**mine**", "_mine_", "mine :pray:", "mine 🙏",
     "`mine` :+1::skin-tone-3:", "*`mine`*", "my reports", "My reports?", "my report please", "my own reports"],
)  # fmt: skip
def test_a_pasted_or_emoji_ended_mine_and_my_reports_list_their_reports(services: Services, typed: str) -> None:
    say(services, "the rota lives in a whatsapp group")
    assert services.snag.as_report(message(services, typed)) is None  # Slack and Teams: not filed first
    assert say(services, typed).title == "Your reports"
    assert stored(services) == ["the rota lives in a whatsapp group"]


@pytest.mark.parametrize(
    "typed",
    ["`erase mine confirm`", "```erase mine confirm```", "erase mine confirm :pray:", "*erase mine confirm* 🙏"],
)
def test_a_pasted_erase_mine_confirm_erases_all_of_theirs_and_files_nothing(services: Services, typed: str) -> None:
    say(services, "the rota lives in a whatsapp group")
    say(services, "handover notes are on paper")
    assert "`erase mine confirm`" in say(services, "erase mine").title
    assert services.snag.as_report(message(services, typed)) is None
    assert say(services, typed).title == "Erased all 2 of your report(s) and everything linked to them."
    assert stored(services) == []


def test_pasted_commands_with_arguments_are_those_commands(services: Services) -> None:
    first = say(services, "the rota lives in a whatsapp group").report_id
    assert say(services, "`help`").title == "Snag commands"
    assert say(services, "top 30d :eyes:").title.startswith("Top patterns (last 30 days")
    assert say(services, f"`erase {first}`").title.startswith(f"Erased your report #{first}")
    assert stored(services) == []


@pytest.mark.parametrize(
    "text",
    ["the `top` command shows nothing for the finance team since monday",
     "`erase mine` said it erased everything but my reports are still listed",
     "mine is broken again :sob:",
     "search is slow in the CRM every morning 🙁",
     "`the till drawer sticks every morning on register 2`",
     "*the refund form loses the order number every single time*"],
)  # fmt: skip
def test_a_report_with_markup_or_an_emoji_is_filed_as_typed(services: Services, text: str) -> None:
    reply = say(services, text)
    assert reply.report_id is not None, reply.title
    assert stored(services) == [text]
