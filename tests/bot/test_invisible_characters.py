"""Characters that show nothing (zero-width space, soft hyphen, word joiner, byte order mark) are
dropped before a report is tagged and stored, so the tags are those of the words the person sees;
joiners that shape Persian, Indic or emoji are kept."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.text import clean_report_text
from store.models import Report

SEEN = "the warehouse passes returns to finance and they sit for a week"


@pytest.mark.parametrize(
    "typed",
    [
        "the warehouse passes returns to finance\u200b and they sit for a week",
        "the warehouse passes returns to fi\u00adnance and they sit for a week",
        "\ufeffthe ware\u2060house passes returns to finance and they sit for a week",
        "the warehouse passes returns to fi\u200dnance and they sit for a\u200c week",
    ],
)
def test_invisible_characters_never_reach_the_tagger_or_the_database(services, fixed_classifier, typed: str) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    assert services.snag.handle_message(IncomingMessage(person, typed, "D1")).kind == "receipt"
    assert fixed_classifier.seen == [SEEN]
    with Session(services.engine) as s:
        assert [r.text for r in s.exec(select(Report)).all()] == [SEEN]


@pytest.mark.parametrize(
    "text",
    [
        "laptop 👩\u200d💻 broken again",  # an emoji sequence
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0641\u0627\u06a9\u062a\u0648\u0631",  # Persian ZWNJ
        "\u0915\u094d\u200d\u0937 \u0938\u093f\u0938\u094d\u091f\u092e",  # Devanagari: ZWJ shapes a half form
    ],
)
def test_joiners_that_shape_words_or_emoji_are_kept(text: str) -> None:
    assert clean_report_text(text).text == text


def test_an_invisible_character_inside_thanks_is_still_thanks(services) -> None:  # type: ignore[no-untyped-def]
    reply = services.snag.handle_message(
        IncomingMessage(services.snag.person("slack", "T1", "U1"), "tha\u00adnks so much", "D1")
    )
    assert reply.title.startswith("You're welcome!")
