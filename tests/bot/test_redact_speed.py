"""A pasted list of NHS numbers is redacted in linear work: each number looks only at the words just before it.

No timing here (timings belong in benchmarks/): the test counts the characters the context check reads.
"""

from __future__ import annotations

import re

import pytest

from bot import redact
from bot.redact import Redactor

NUMBERS = ("9434765919", "4010232137")


class _Counting:
    """Stands in for the NHS-context pattern and counts the characters it is asked to search."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0
        self.calls = 0

    def search(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        self.scanned += len(text)
        return self.pattern.search(text)


def test_a_long_list_of_nhs_numbers_is_redacted_in_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    pasted = " ".join(f"{NUMBERS[i % 2]} nhs" for i in range(2_800))  # about 39,000 characters, as pasted in a DM
    counting = _Counting(redact._NHS_CONTEXT)
    monkeypatch.setattr(redact, "_NHS_CONTEXT", counting)
    redacted = Redactor().redact("nhs " + pasted)
    assert redacted.count("[nhs_number]") == 2_800 and not any(n in redacted for n in NUMBERS)
    assert counting.calls == 2_800
    assert counting.scanned <= 100 * counting.calls  # a bounded window, not the whole text before each number


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("patient number 9434765919 missed", "patient number [nhs_number] missed"),
        ("NHS no. 9434765919", "NHS no. [nhs_number]"),
        (
            "the nhs letter said call them. Order 9434765919 came",
            "the nhs letter said call them. Order 9434765919 came",
        ),
        (
            "the nhs letter arrived late and then after a long wait the order 9434765919 came",
            "the nhs letter arrived late and then after a long wait the order 9434765919 came",
        ),
        ("nhs " + "x" * 200 + " 9434765919", "nhs " + "x" * 200 + " 9434765919"),
        ("nhs 9434765919 and 4010232137", "nhs [nhs_number] and [nhs_number]"),
    ],
)
def test_the_window_makes_the_same_decisions(text: str, redacted: str) -> None:
    assert Redactor().redact(text) == redacted
