"""Self-introductions as people type them in chat ("its me again, Priya on nights", "Sam again:",
"me (dave, nights)", "this is dave on tills", "sent from my iphone, karen") become [name]; the
ordinary sentences that start the same way ("me again with the same problem", "Finance again sent
it back", "its dead again") are left as typed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot import signoffs
from bot.taxonomy import load_taxonomy

SHIPPED = load_taxonomy()


# These cases are read with the shipped taxonomy's words (tests/bot/test_own_taxonomy_scrub.py: another's).
def scrub(text: str) -> str:
    return signoffs.scrub(text, SHIPPED)


def names_writer(text: str) -> bool:
    return signoffs.names_writer(text, SHIPPED)


REPORTS = Path(__file__).resolve().parents[2] / "classifier" / "data" / "reports"

# (as typed, as quoted). Each of these reached leaders word for word before (an audit's finds and
# their near variants).
INTRODUCED = [
    (
        "its me again, Priya on nights, the bay 4 forklift charger is dead again",
        "its me again, [name] on nights, the bay 4 forklift charger is dead again",
    ),
    ("Priya (nights) again - the bay 4 charger tripped", "[name] (nights) again - the bay 4 charger tripped"),
    ("Sam again: returns cage overflowing", "[name] again: returns cage overflowing"),
    ("me (dave, nights) - scanner 3 won't pair", "me ([name], nights) - scanner 3 won't pair"),
    (
        "hi its priya from the late shift, the bay doors stick",
        "hi its [name] from the late shift, the bay doors stick",
    ),
    ("this is dave on tills, the card reader is down", "this is [name] on tills, the card reader is down"),
    # "it's me", "its me", "it is me", "me again", then the name
    ("it's me again - Priya here, the charger tripped", "it's me again - [name] here, the charger tripped"),
    ("it’s me, Sam from goods in: the cage is full", "it’s me, [name] from goods in: the cage is full"),
    ("it is me again, Priya from dispatch - labels missing", "it is me again, [name] from dispatch - labels missing"),
    ("its me again Priya from nights, the charger is dead", "its me again [name] from nights, the charger is dead"),
    ("me again - Priya (nights), labels missing", "me again - [name] (nights), labels missing"),
    ("me again, priya from nights. the charger is dead", "me again, [name] from nights. the charger is dead"),
    ("Hi all, its me again, dave on tills: reader down", "Hi all, its me again, [name] on tills: reader down"),
    # a name in brackets after "me"
    ("its me (Priya) again, the charger is dead", "its me ([name]) again, the charger is dead"),
    ("Me (Sam Jones, goods in) - the dock door is stuck", "Me ([name], goods in) - the dock door is stuck"),
    ("me (priya) again: bay 4 charger", "me ([name]) again: bay 4 charger"),
    # "X again", "X here", "X from/on <shift or team>" opening the report
    ("Dave again - scanner 3 won't pair", "[name] again - scanner 3 won't pair"),
    ("Morning, Sam again: the cage is overflowing", "Morning, [name] again: the cage is overflowing"),
    ("Sam Jones again: returns cage overflowing", "[name] again: returns cage overflowing"),
    ("Priya (nights) here - the charger tripped", "[name] (nights) here - the charger tripped"),
    ("Priya on nights: the bay 4 charger tripped", "[name] on nights: the bay 4 charger tripped"),
    ("Dave from tills - the card reader is down", "[name] from tills - the card reader is down"),
    ("Marek from the night team, the scanner is broken", "[name] from the night team, the scanner is broken"),
    # lower-case names after its / it's / this is / i'm / im
    ("it's priya here, the lift is stuck again", "it's [name] here, the lift is stuck again"),
    ("im priya on nights and the charger is dead", "im [name] on nights and the charger is dead"),
    ("i'm dave from the day team, the rota is wrong", "i'm [name] from the day team, the rota is wrong"),
    (
        "hello this is priya shah from ward 4, the hoist is broken",
        "hello this is [name] from ward 4, the hoist is broken",
    ),
    ("hi its priya, the hoist battery is dead", "hi its [name], the hoist battery is dead"),
    ("hey im sam, the returns cage is full", "hey im [name], the returns cage is full"),
    ("this is priya here. the hoist is broken", "this is [name] here. the hoist is broken"),
    # "sent from my <device>", then the name
    (
        "the wrapper is jammed again. sent from my iphone, karen jones",
        "the wrapper is jammed again. sent from my iphone, [name]",
    ),
    (
        "the wrapper is jammed again - sent from my Samsung Galaxy, karen",
        "the wrapper is jammed again - sent from my Samsung Galaxy, [name]",
    ),
    (
        "the wrapper is jammed again\nSent from my iPhone Karen Jones",
        "the wrapper is jammed again\nSent from my iPhone [name]",
    ),
    ("the charger is dead. Sent from my work phone, priya", "the charger is dead. Sent from my work phone, [name]"),
]

# The audit's own text of the "sent from my" case: a capitalised name after a comma was already a
# name at the end of a report; kept here so the whole audit list is checked in one place.
ALREADY_SCRUBBED = [
    ("... sent from my iPhone, Karen Jones", "... sent from my iPhone, [name]"),
]

# Sentences that open like an introduction and name nobody: they stay exactly as typed.
ORDINARY = [
    "me again with the same refund problem",
    "its the same again on tills",
    "Finance again sent it back",
    "Returns here are piling up",
    "Teams again lost the call",
    "the wrapper is jammed. sent from my iPhone",
    "Sent from my iPhone",
    "the wrapper is jammed\nSent from my Samsung Galaxy smartphone",
    "the wrapper is jammed\nSent from my iPhone 15 Pro Max",
    "the wrapper is jammed. sent from my phone so sorry for typos",
    "Returns again: the cage is full",
    "Finance again: the refund bounced",
    "Tills again - card reader down",
    "Payroll again!! my overtime is missing",
    "Sam's Club again: the order never arrived",
    "Salesforce again: logged out every hour",
    "Scanner again - won't pair",
    "Forklift again - the charger tripped",
    "Charger again: bay 4",
    "Lift again. stuck on floor 2",
    "Monday again: the delivery is late",
    "Tesco again - short delivery",
    "IT again: password reset loop",
    "HR again!! no reply",
    "Same again on tills, the reader is down",
    "Again: the reader is down",
    "This again - the reader is down",
    "Night shift again: two short",
    "Bay 4 again - the charger tripped",
    "Waiting again: the reader is down",
    "Overtime again - not paid",
    "Heating here is broken",
    "Nobody here knows the alarm code",
    "Everyone on nights knows the charger trips",
    "Cover on nights: two HCAs short",
    "Agency on nights - nobody has logins",
    "Dispatch on nights: labels missing",
    "Stores from nights: the cage is full",
    "the lift is stuck again. Dave again, he never checks it",
    "its dead again, the charger tripped",
    "its quiet here, nobody answers the phone",
    "its dead here, nobody comes in after 6",
    "its cold here, the heating is off",
    "it's freezing here",
    "its chaos on nights, nobody covers the tills",
    "its temps on nights, nobody knows the till",
    "its broken on tills, the reader keeps failing",
    "its down on tills again",
    "im alone on nights and the charger is dead",
    "im stuck here, the lift is broken",
    "im sat here, waiting for IT",
    "i'm new from the agency, nobody showed me the till",
    "im permanently on nights and nobody tells us",
    "this is ridiculous on tills, nobody answers",
    "this is ridiculous, the form asks twice",
    "hi its urgent, the charger is dead",
    "hi its broken again, the printer",
    "hey im stuck, the returns cage is full",
    "its me again, same problem with the charger",
    "its me again, sorry, the lift is stuck",
    "it's me again, tills are down",
    "its me again, the printer on floor 2 is jammed",
    "me again - the lift is stuck",
    "me (again) - the lift is stuck",
    "me (nights) - the scanner won't pair",
    "me (agency, nights) - no login again",
    "ask me (urgent) before you close it",
    "tell me (politely) why the rota is wrong",
]


@pytest.mark.parametrize(("typed", "quoted"), INTRODUCED + ALREADY_SCRUBBED)
def test_a_self_introduction_becomes_name(typed: str, quoted: str) -> None:
    assert scrub(typed) == quoted
    assert names_writer(typed)
    assert scrub(quoted) == quoted  # scrubbing twice changes nothing more


@pytest.mark.parametrize("typed", ORDINARY)
def test_a_sentence_that_opens_like_an_introduction_is_left_as_typed(typed: str) -> None:
    assert scrub(typed) == typed
    assert not names_writer(typed)


def test_the_labelled_sets_are_large_enough() -> None:
    assert len(INTRODUCED) >= 30 and len(ORDINARY) >= 60


def _shipped() -> list[str]:
    return [
        json.loads(line)["text"] for path in sorted(REPORTS.glob("*.jsonl")) for line in path.open() if line.strip()
    ]


# Words the shipped reports put after "its", "it's", "im", "i'm" and "this is" ("its dead", "its
# ops", "im off"): in an introduction's place they still name nobody.
_AFTER_ITS = re.compile(r"\b(?:it['’]?s|i['’]?m|this is)[ \t]+([a-z][a-z'’-]*)\b", re.IGNORECASE)


def test_words_the_shipped_reports_put_after_its_or_im_are_never_taken_for_a_name() -> None:
    words = {m.group(1) for text in _shipped() for m in _AFTER_ITS.finditer(text) if m.group(1).islower()}
    assert len(words) > 150
    for word in sorted(words):
        for typed in (
            f"hi its {word}, the van is late",
            f"its {word} here, the van is late",
            f"its {word} on nights, the van is late",
            f"im {word} from the day team and the van is late",
            f"this is {word} on tills, the van is late",
            f"its me again, {word} on nights, the van is late",
            f"me ({word}) - the van is late",
        ):
            assert scrub(typed) == typed


# The people the shipped reports name and the estates that are also surnames (as in test_signoffs).
_PEOPLE_OR_SURNAMES = {"Ahmed", "Ali", "Dave", "Dawn", "Janet", "Jo", "Kev", "Kevin", "Khan", "Pete", "Priya", "Sam"}
_PEOPLE_OR_SURNAMES |= {"Sarahs", "Smith", "Smiths", "Ashby", "Brookfield", "Eastgate", "Foxhill", "Hanley"}
_PEOPLE_OR_SURNAMES |= {"Kingsgate", "Kingsway", "Oakley", "Ridgeway", "Westgate"}


def test_capitalised_words_of_the_shipped_reports_open_a_report_without_being_names() -> None:
    found = re.compile(r"(?<![.!?]\s)(?<=\s)[A-Z][a-z][\w'’-]*")
    words = {m.group().rstrip("'’") for text in _shipped() for m in found.finditer(text)}
    others = sorted(words - _PEOPLE_OR_SURNAMES - {w + "'s" for w in _PEOPLE_OR_SURNAMES})
    assert len(others) > 100
    for word in others:
        for typed in (
            f"{word} again: the van is late",
            f"{word} here - the van is late",
            f"{word} on nights: the van is late",
            f"{word} from the day team, the van is late",
            f"its me again, {word} on nights, the van is late",
        ):
            assert scrub(typed) == typed
    for word in ("Dave", "Priya", "Kevin"):
        assert scrub(f"{word} again: the van is late") == "[name] again: the van is late"
