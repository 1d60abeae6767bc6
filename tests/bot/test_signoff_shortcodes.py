"""An emoji beside a sign-off's name, as Slack sends it (:pray:, :+1::skin-tone-3:) or in Unicode
(Teams, phones: 🙏), leaves the name scrubbed to [name]; ordinary colons are never an emoji."""

from __future__ import annotations

import pytest

from bot import signoffs
from bot.taxonomy import load_taxonomy

SHIPPED = load_taxonomy()
BODY = "the refund spreadsheet is locked by finance again and refunds sit for days"
EMOJI = ["🙏", ":pray:", ":+1::skin-tone-3:", ":pray::pray:", ":100:", ":heart: :heart:"]

# (the sign-off as typed after the report, as quoted); {e} is the emoji.
SIGNED = [
    (". Thanks, Priya {e}", ". Thanks, [name] {e}"),
    (". Thanks, Priya{e}", ". Thanks, [name]{e}"),
    (". Thanks, Priya! {e}", ". Thanks, [name]! {e}"),
    (". Thanks, Priya {e} x", ". Thanks, [name] {e} x"),
    (". cheers {e} Sam", ". cheers {e} [name]"),
    (". thanks {e} priya", ". thanks {e} [name]"),
    ("\n\n— Dana Okafor {e}", "\n\n— [name] {e}"),
    (" - Priya {e}", " - [name] {e}"),
    (". Priya (nights) {e}", ". [name] {e}"),
    (", Priya xx {e}", ", [name] xx {e}"),
    (" {e} Priya", " {e} [name]"),
]


@pytest.mark.parametrize("emoji", EMOJI)
@pytest.mark.parametrize(("typed", "quoted"), SIGNED)
def test_an_emoji_beside_the_name_leaves_it_scrubbed(typed: str, quoted: str, emoji: str) -> None:
    text = BODY + typed.format(e=emoji)
    assert signoffs.scrub(text, SHIPPED) == BODY + quoted.format(e=emoji)
    assert signoffs.names_writer(text, SHIPPED)


def test_an_emoji_in_brackets_after_the_name_leaves_it_scrubbed() -> None:
    assert signoffs.scrub(BODY + " (Priya, ward 4 :pray:)", SHIPPED) == BODY + " ([name] :pray:)"
    assert signoffs.scrub(BODY + " (Priya :+1::skin-tone-3:)", SHIPPED) == BODY + " ([name] :+1::skin-tone-3:)"
    assert signoffs.scrub(BODY + " (Priya, ward 4 🙏)", SHIPPED) == BODY + " ([name])"  # the role's last word


@pytest.mark.parametrize(
    "typed",
    [
        "Note: the refund spreadsheet is locked",
        "Reminder:urgent: the refund spreadsheet is locked",
        "the refund spreadsheet locked at 10:30:45 Priya",
        "the refund spreadsheet locked at 10:30: Sam said wait",
        "the ratio of refunds is 3:2:1 Dana",
        "the refund spreadsheet is locked :rage: again",
        "the refund spreadsheet is locked :rage: Typical",
        "the refund spreadsheet is locked :rage: Monday",
        "the refund spreadsheet is locked :pray: Finance",
        "the refund spreadsheet is locked. thanks :pray: everyone",
        "Thanks :pray: the refund spreadsheet opens now",
        "the refund spreadsheet is locked :sob:",
        "Priya :wave: the refund spreadsheet is locked",
    ],
)
def test_ordinary_colons_and_emoji_without_a_name_are_left_as_typed(typed: str) -> None:
    assert signoffs.scrub(typed, SHIPPED) == typed
    assert not signoffs.names_writer(typed, SHIPPED)


def test_the_quote_picker_reads_a_shortcode_sign_off_as_naming_the_writer() -> None:
    texts = [BODY + ". Thanks, Priya :pray:", BODY + " — Dana Okafor :heart:", BODY + " again", BODY + " :sob:"]
    assert signoffs.plain_first(texts, 2, text=str, taxonomy=SHIPPED) == [BODY + " again", BODY + " :sob:"]
