"""A card too big for Teams is shortened, measured as Teams measures it: in UTF-16."""

from __future__ import annotations

from adapters.teams.render import MAX_CARD_BYTES, card_for, card_size
from bot.domain import Reply, Section
from tests.teams.cards import assert_valid_card


def _long_reply(sections: int, chars: int) -> Reply:
    text = ("the discharge letters wait two days for a signature on ward four " * 40)[:chars]
    return Reply(kind="digest", title="Weekly digest", sections=tuple(Section(text, f"#{i}") for i in range(sections)))


def test_a_card_over_teams_size_in_utf16_is_shortened_and_says_so() -> None:
    """45 KB of plain JSON text is 90 KB to Teams (UTF-16): over the 80 KB it advises. Measured in
    UTF-8 it passed unshortened, and Teams would refuse it with 413 MessageSizeTooBig."""
    card = card_for(_long_reply(30, 1500))
    assert card_size(card) <= MAX_CARD_BYTES
    assert "shortened to fit" in str(card["body"][-1])
    assert_valid_card(card)


def test_a_card_within_the_size_is_left_whole() -> None:
    reply = _long_reply(5, 1500)
    card = card_for(reply)
    assert card_size(card) <= MAX_CARD_BYTES and "shortened" not in str(card)
    assert sum("#" in str(block) for block in card["body"]) >= 5
