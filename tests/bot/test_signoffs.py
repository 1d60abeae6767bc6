"""Sign-offs and self-introductions become [name] in quotes; ordinary reports are left as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.signoffs import names_writer, plain_first, scrub

REPORTS = Path(__file__).resolve().parents[2] / "classifier" / "data" / "reports"

# (as typed, as quoted)
SIGNED = [
    (
        "pharmacy phone not answered before 10 again, ward 4 meds late. Thanks, Priya (night sister, ward 4)",
        "pharmacy phone not answered before 10 again, ward 4 meds late. Thanks, [name]",
    ),
    ("the label printer jams every morning — Sam", "the label printer jams every morning — [name]"),
    ("the label printer jams every morning - Sam Jones", "the label printer jams every morning - [name]"),
    ("the label printer jams every morning -- J. Smith", "the label printer jams every morning -- [name]"),
    ("till crashes on refunds ~ Zoë", "till crashes on refunds ~ [name]"),
    ("I'm Priya from the night team and the phone rings out", "I'm [name] from the night team and the phone rings out"),
    ("I’m Priya Okafor, ward 4, and the phone rings out", "I’m [name], ward 4, and the phone rings out"),
    ("i am Sam and the rota never reaches us", "i am [name] and the rota never reaches us"),
    ("my name is priya and the rota never reaches us", "my name is [name] and the rota never reaches us"),
    ("Hi, this is Sam from dispatch: labels missing again", "Hi, this is [name] from dispatch: labels missing again"),
    ("rota is wrong again. Thanks Priya", "rota is wrong again. Thanks [name]"),
    ("rota is wrong again. thx, Sam (HCA)", "rota is wrong again. thx, [name]"),
    ("rota is wrong again, thanks, priya", "rota is wrong again, thanks, [name]"),
    ("printer jammed again. Cheers, Sam x", "printer jammed again. Cheers, [name] x"),
    ("printer jammed again. Cheers, Sam!", "printer jammed again. Cheers, [name]!"),
    ("printer jammed again\nKind regards,\nPriya Okafor\nNight sister", "printer jammed again\nKind regards,\n[name]"),
    ("printer jammed again. Many thanks, Sam from stores", "printer jammed again. Many thanks, [name]"),
    ("printer jammed again. Best, Sam - Band 5, ward 2", "printer jammed again. Best, [name]"),
    ("printer jammed again. Regards Sam O'Neill", "printer jammed again. Regards [name]"),
    (
        "I'm Priya and I'm on nights. the pharmacy never answers. Thanks, Priya",
        "I'm [name] and I'm on nights. the pharmacy never answers. Thanks, [name]",
    ),
]

# Texts that look a little like the above and must stay exactly as typed.
PLAIN = [
    "thanks to whoever set up the aftercare auto assign, its now giving every ticket to someone who left in may",
    "she said thanks. hope it was right",
    "the chat bot on the website tells people to ring us. cheers",
    "payout hold reason: 'other'. thanks",
    "PSA closes tickets automatically when clients reply 'thanks'. clients reopening 30 tickets a day",
    "customer care reply to every complaint with a letter that starts 'Thank you for choosing us'",
    "labels wrong again thanks all",
    "labels wrong again, thanks priya",  # lowercase without a comma: could be anything
    "labels wrong again, thanks in advance",
    "I'm not joking, the form asks for the address twice",
    "I'm Band 5 and can't approve my own timesheet",
    "I am Not allowed to agree a payment plan",
    "I'm OK with the form but the customers are not",
    "im the gate agent and nobody tells me",
    "the lift is broken - Block C",
    "the lift is broken - Every Day",
    "the lift is broken since - Monday",
    "'my app says I'm checked in' - every 2nd pax this morning",
    "leavers refs - HoD or tutor?? nobody knows",
    "we make a fake booking called HOLD - DAVE and pray someone cancels it",
    "contract gets set up 3 times - CRM, rostering, billing. nobody owns keeping them in step",
    "grade - A",
    "- the scanner is broken\n- the printer too",
    "the queue went past the pharmacy. This is every single week.",
    "sent it to Finance. Thanks, Finance",
    "client services asked me to chase a lender because my name was the last one in the notes",
    "my name is wrong on the rota again and payroll uses the rota",
    "my name is still on the old shift pattern",
    "best thing would be to fix the rota. Sam could do it",
    "the rota was the best Sam could do",
    "thanks Bob for fixing the printer but it broke again",
]


@pytest.mark.parametrize(("typed", "quoted"), SIGNED)
def test_a_sign_off_or_introduction_becomes_name(typed: str, quoted: str) -> None:
    assert scrub(typed) == quoted
    assert names_writer(typed)
    assert scrub(quoted) == quoted  # scrubbing twice changes nothing more


@pytest.mark.parametrize("typed", PLAIN)
def test_ordinary_reports_are_left_as_typed(typed: str) -> None:
    assert scrub(typed) == typed
    assert not names_writer(typed)


def _shipped() -> list[str]:
    return [
        json.loads(line)["text"] for path in sorted(REPORTS.glob("*.jsonl")) for line in path.open() if line.strip()
    ]


def test_no_shipped_report_is_changed_and_each_is_scrubbed_when_signed() -> None:
    texts = _shipped()
    assert len(texts) == 10_650
    assert [t for t in texts if scrub(t) != t] == []
    for text in texts:
        body = text.rstrip()
        assert scrub(body + ". Thanks, Priya (night sister, ward 4)") == body + ". Thanks, [name]"
        assert scrub(body + " — Sam Jones") == body + " — [name]"
        assert scrub("I'm Priya and " + body) == "I'm [name] and " + body


def test_plain_first_prefers_texts_that_name_nobody_and_keeps_their_order() -> None:
    texts = ["the van is late. Thanks, Priya", "the van is late again", "I'm Sam and the van is late", "van late"]
    assert plain_first(texts, 2, text=str) == ["the van is late again", "van late"]
    assert plain_first(texts, 3, text=str) == ["the van is late. Thanks, Priya", "the van is late again", "van late"]
    assert plain_first(texts[:1], 3, text=str) == texts[:1]
    assert plain_first([], 3, text=str) == []
