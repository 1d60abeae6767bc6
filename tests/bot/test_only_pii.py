"""A message that is nothing but personal details is not a report: the person is asked for one."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.redact import Redactor, only_placeholders
from store.models import Report


def say(services, text: str):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1"))


def stored(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report)).all()]


@pytest.mark.parametrize("text", ["jo.bloggs@example.com", "  07700 900123 !", "jo@x.io, +44 7700 900456."])
def test_only_personal_details_asks_for_a_sentence_and_says_nothing_was_kept(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert reply.kind == "usage" and "in a sentence what got in the way" in reply.title
    assert "nothing was saved" in reply.notices[0]
    assert stored(services) == []


@pytest.mark.parametrize(
    "text",
    [
        "email jo@example.com bounced",
        "printer jammed",
        "[email] bounces",
        "顧客の返金が財務部で一週間止まっている",
        "打印机又坏了",  # a whole sentence in six characters: the printer broke again
        "レジが動かない",
    ],
)
def test_a_report_with_words_or_without_personal_details_is_still_filed(services, text: str) -> None:  # type: ignore[no-untyped-def]
    assert say(services, text).kind == "receipt" and len(stored(services)) == 1


# "ok" and "thanks!" are answered as asides instead: tests/bot/test_smalltalk.py
@pytest.mark.parametrize("text", ["n", "!!!", "[email]", "👍", ":sob: :sob:", "🙏 🙏", "!!! ???"])
def test_one_short_word_is_not_filed_and_is_said_back(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert reply.kind == "usage" and "in a sentence what got in the way" in reply.title
    assert f"“{text}” is a bit short to file" in reply.notices[0]
    assert stored(services) == []


def test_only_placeholders_needs_a_placeholder_and_no_words() -> None:
    assert only_placeholders("[email], [phone]!")
    assert not only_placeholders("[email] bounced")
    assert not only_placeholders("...")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS no. 9434765919", "NHS no. [nhs_number]"),
        ("patient no. 9434765919", "patient no. [nhs_number]"),
        ("NHS no. 9434765918", "NHS no. 9434765918"),  # fails the mod-11 check
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "[url]"),
        ("see https://example.com/reset/abc123def456ghi789.", "see [url]."),
        ("https://x.example.com/a?t=abc123", "[url]"),
        ("https://x.example.com/a?t=120", "https://x.example.com/a?t=120"),
        ("https://x.example.com/toys?monkey=banana", "https://x.example.com/toys?monkey=banana"),
        ("https://intranet.example.com/wiki/Refund_process", "https://intranet.example.com/wiki/Refund_process"),
    ],
)
def test_the_audited_identifiers(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected
