"""A caption that only points at a picture ("see pic", "as above") is never filed, and a photo sent
with one is answered as a photo without words; greetings and thanks in other languages are answered
kindly; a short Chinese or Japanese text is judged by its characters; real reports in any language
are still filed."""

from __future__ import annotations

import unicodedata

import pytest
from sqlmodel import Session, select

from bot.domain import IncomingMessage, Reply
from bot.files import nothing_to_file
from store.models import Report

CAPTIONS = [
    "look at this",
    "see pic",
    "pic attached",
    "as above",
    "see screenshot",
    "See attached 👇",
    "please see the attached screenshot",
    "screenshot of the error attached",
    "same as above",
    "FYI, photo below",
    "check this out!",
]
GREETINGS = ["مرحبا", "你好", "hola buenos dias", "Hola, buenos días 👋", "שלום", "Bore da", "Dzień dobry",
             "Bonjour à tous", "Guten Morgen", "Buongiorno", "Bună ziua", "नमस्ते", "السلام علیکم", "Привіт",
             "Здравствуйте", "大家好", "Olá, tudo bem?"]  # fmt: skip
THANKS = ["谢谢", "Спасибо большое", "gracias amigo", "dziękuję bardzo", "Dziekuje!", "Diolch yn fawr",
          "merci beaucoup", "Danke schön", "Grazie mille", "Mulțumesc", "Muito obrigada", "شكرا جزيلا", "شکریہ",
          "धन्यवाद", "Дякую",
          "תודה רבה", "非常感谢！"]  # fmt: skip
REPORTS_ABROAD = [
    "发票系统又崩溃了，客户等了三天",
    "网络慢",  # "the network is slow": three characters say it
    "VPN坏了",
    "hola, el sistema de facturas no funciona desde ayer",
    "Спасибо, но принтер на складе опять сломан",
    "العميل ينتظر استرداد المبلغ منذ أسبوعين",
    "dziękuję, ale drukarka w magazynie znowu nie działa",
    "Bonjour, le portail client plante à chaque connexion",
]


def say(services, text: str) -> Reply:  # type: ignore[no-untyped-def]
    return services.snag.handle_message(IncomingMessage(services.snag.person("slack", "T1", "U1"), text, "D1"))


def stored(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report)).all()]


@pytest.mark.parametrize("text", CAPTIONS)
def test_a_caption_that_only_points_at_a_picture_is_never_filed(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert reply.kind == "usage" and "is a bit short to file" in reply.notices[0]
    assert stored(services) == []
    message = IncomingMessage(services.snag.person("teams", "T1", "U1"), text, "a:1")
    assert nothing_to_file(message), "beside a photo it is answered as a photo without words"


@pytest.mark.parametrize(
    "text",
    [
        "see pic - the label printer on dock 3 jams every morning",
        "the screenshot tool crashes when I attach a photo to a ticket",
        "as above, refunds sit in the finance inbox for a week",
    ],
)
def test_a_sentence_with_a_picture_is_filed(services, text: str) -> None:  # type: ignore[no-untyped-def]
    assert say(services, text).kind == "receipt"
    assert stored(services) == [text]
    assert not nothing_to_file(IncomingMessage(services.snag.person("teams", "T1", "U1"), text, "a:1"))


@pytest.mark.parametrize(
    ("text", "answer"), [(g, "Hi! ") for g in GREETINGS] + [(t, "You're welcome!") for t in THANKS]
)
def test_greetings_and_thanks_in_other_languages_are_answered_kindly(services, text: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert reply.title.startswith(answer), reply
    assert stored(services) == []


def test_accents_typed_apart_read_as_one_letter(services) -> None:  # type: ignore[no-untyped-def]
    assert say(services, unicodedata.normalize("NFD", "Dziękuję bardzo")).title.startswith("You're welcome!")
    assert stored(services) == []


@pytest.mark.parametrize("text", ["好的", "收到", "是"])
def test_one_or_two_chinese_characters_are_too_short(services, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, text)
    assert "is a bit short to file" in reply.notices[0]
    assert stored(services) == []


@pytest.mark.parametrize("text", REPORTS_ABROAD)
def test_real_reports_in_other_languages_are_filed(services, text: str) -> None:  # type: ignore[no-untyped-def]
    assert say(services, text).kind == "receipt"
    assert stored(services) == [text]


def test_one_short_word_is_too_short_in_any_script(services) -> None:  # type: ignore[no-untyped-def]
    for text in ("Принтер", "الطابعة"):  # "printer": a word, as "printer" alone is
        assert "is a bit short to file" in say(services, text).notices[0]
    assert stored(services) == []
    person = services.snag.person("slack", "T1", "U1")
    assert services.snag.handle_message(IncomingMessage(person, "Принтер на складе сломан", "D1")).kind == "receipt"
