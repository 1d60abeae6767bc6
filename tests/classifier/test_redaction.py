"""Redaction quality on a labelled set: identifiers go, order numbers, dates and money stay."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from bot.redact import Redactor, card_issuer_ok, luhn_ok

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "pii.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
_PLACEHOLDER = re.compile(r"\[([a-z_]+)\]")


def _expected(case: dict) -> str:
    text = case["text"]
    for item in case["pii"]:
        text = text.replace(item["value"], f"[{item['type']}]", 1)
    return text


def _score(redactor: Redactor) -> dict[str, float]:
    tp = fp = fn = typed = exact = 0
    for case in CASES:
        out = redactor.redact(case["text"])
        found = 0
        for item in case["pii"]:
            if item["value"] not in out:
                found += 1
                typed += f"[{item['type']}]" in out
        tp, fn = tp + found, fn + len(case["pii"]) - found
        fp += max(0, len(_PLACEHOLDER.findall(out)) - found)
        exact += out == _expected(case)
    return {
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "typed": typed / (tp + fn),
        "exact": exact / len(CASES),
    }


def test_the_labelled_set_has_positives_and_tricky_negatives() -> None:
    positives = [c for c in CASES if c["pii"]]
    assert len(positives) >= 50 and len(CASES) - len(positives) >= 40
    kinds = {item["type"] for c in positives for item in c["pii"]}
    assert kinds == {
        "email",
        "phone",
        "card",
        "iban",
        "ni_number",
        "nhs_number",
        "ssn",
        "ip",
        "url",
    }


def test_redaction_recall_and_precision_on_the_labelled_set() -> None:
    score = _score(Redactor())
    assert score["recall"] == 1.0, score
    assert score["precision"] == 1.0, score
    assert score["typed"] >= 0.95, score
    assert score["exact"] >= 0.9, score


@pytest.mark.parametrize("case", [c for c in CASES if not c["pii"]], ids=lambda c: c["text"][:30])
def test_negatives_are_left_alone(case: dict) -> None:
    assert Redactor().redact(case["text"]) == case["text"]


@pytest.mark.parametrize("case", [c for c in CASES if c["pii"]], ids=lambda c: c["text"][:30])
def test_each_identifier_becomes_its_own_placeholder_and_nothing_else_changes(case: dict) -> None:
    assert Redactor().redact(case["text"]) == _expected(case)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://admin:S3cr3t!@shop.example.com/orders", "[url]"),
        ("https://admin:hunter2@10.0.0.5/x", "[url]"),
        ("www.shop.example.com/reset?token=Ab12Cd34", "[url]"),
        ("example.com/?password=hunter2.", "[url]."),
        ("www.example.com/help?topic=refunds", "www.example.com/help?topic=refunds"),  # no secret in it
        ("0044 7700 900123", "[phone]"),
        ("(+44) 7700 900124", "[phone]"),
        ("415.555.2671", "[phone]"),
        ("+1 415 555 2671", "[phone]"),  # a country code: a phone, never an NHS number
        ("mary.o'brien@example.com", "[email]"),
        ("mary.o\u2019brien@example.com", "[email]"),
        ("123 45 6789", "[ssn]"),
        ("123.45.6789", "[ssn]"),
        ("SSN 123456789", "SSN [ssn]"),
        ("social security number: 123456789", "social security number: [ssn]"),
        ("123456789", "123456789"),  # nine digits alone are an order or staff number more often than not
        ("SSN 123-45-6789, staff 100234567", "SSN [ssn], staff 100234567"),  # another number between
        ("counts 12 123 45 6789", "counts 12 123 45 6789"),  # three of a longer row of numbers
        ("[ssn] 100234567", "[ssn] 100234567"),  # a placeholder is not the word SSN
        ("step 3 4111111111111111", "step 3 [card]"),  # a number before the card joined its match
        ("gb82 west 1234 5698 7654 32", "[iban]"),
        ("GB82-WEST-1234-5698-7654-32", "[iban]"),
        ("gb33bukb20201555555555 paid", "[iban] paid"),  # the word after is not part of it
        ("4111.1111.1111.1111", "[card]"),
        ("4111  1111  1111  1111", "[card]"),
        ("version 2.10.3.4", "version 2.10.3.4"),
        ("v1.2.3.4-beta", "v1.2.3.4-beta"),
        ("2.10.3.4-rc1", "2.10.3.4-rc1"),
        ("from 10.0.0.5, not v1.2.3.4", "from [ip], not v1.2.3.4"),
        ("order 01234567890", "order 01234567890"),
        ("order no. 01234567890", "order no. 01234567890"),
        ("call 01234567890", "call [phone]"),
    ],
)
def test_the_second_audits_identifiers(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("447700900123", "[phone]"),  # +44 written without its plus
        ("ring 443069990000 now", "ring [phone] now"),
        ("555-2671", "[phone]"),  # a US number without its area code
        ("call 555-2671, ext 12", "call [phone], ext 12"),
        ("INV-555-2671", "INV-555-2671"),  # part of a reference
        ("SKU 555-2671", "SKU 555-2671"),
        ("ref no. 555-2671", "ref no. 555-2671"),
        ("order 447700900123", "order 447700900123"),
        ("4477009001234", "4477009001234"),  # 13 digits: no UK number
        ("447700900123456", "447700900123456"),
        ("between 300-1500", "between 300-1500"),  # a range
        ("300-1500", "300-1500"),  # round at both ends
        ("£250-1000", "£250-1000"),
        ("265-1440 calls", "265-1440 calls"),  # a unit after it
        ("555.2671", "555.2671"),  # a decimal
        ("555-2671-99", "555-2671-99"),
    ],
)
def test_the_third_audits_phone_numbers(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("44 7700 900123", "[phone]"),  # +44 written spaced without its plus
        ("(44) 7700 900123", "[phone]"),
        ("44 (0)7700 900123", "[phone]"),
        ("44-7700-900123.", "[phone]."),
        ("44 161 496 0000", "[phone]"),
        ("0044 7700 900123", "[phone]"),
        ("+44 (0)7700 900123", "[phone]"),
        ("07700 900 123", "[phone]"),
        ("44 7700 units", "44 7700 units"),
        ("SKU 44 7700 900123", "SKU 44 7700 900123"),
        ("44 1000 2000 30", "44 1000 2000 30"),  # split as no UK number is
        ("12 44 7700 900123", "12 44 7700 900123"),  # one of a row of numbers
        ("44 7700 900123 12", "44 7700 900123 12"),
        ("bed 44 943 476 5919", "bed 44 [nhs_number]"),  # 44 before an NHS number is no country code
        # ten digits passing the NHS check: the nearer naming word decides, then how they are written
        ("415-555-2671", "[phone]"),  # hyphens: a US number
        ("401-023-2137", "[phone]"),
        ("NHS: 401-023-2137", "NHS: [nhs_number]"),
        ("943 476 5919", "[nhs_number]"),  # spaces: how NHS numbers are printed
        ("call 415 555 2671", "call [phone]"),
        ("nhs number 943 476 5919, call 212 555 0147", "nhs number [nhs_number], call [phone]"),
        ("ring the patient, nhs no 9434765919", "ring the patient, nhs no [nhs_number]"),
        ("call the nhs helpline on 415-555-2671", "call the nhs helpline on [phone]"),
        ("phone the patient on 415-555-2671", "phone the patient on [phone]"),
        ("4155552671", "4155552671"),  # run together with no word: an order or account number
        ("call the patient, 9434765919", "call the patient, [nhs_number]"),  # no phone is written so
        ("010-203-0006", "[nhs_number]"),  # passes, and no US area code starts with 0
        ("212 555 0147", "212 555 0147"),  # three numbers spaced are a phone only after a phone word
        ("rang 300 400 5000 customers", "rang 300 400 5000 customers"),  # a unit after them
        ("call 12 300 400 5000 300", "call 12 300 400 5000 300"),  # some of a row of numbers
    ],
)
def test_the_fourth_audits_phone_and_nhs_numbers(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_a_luhn_valid_number_is_a_card_only_with_a_card_schemes_prefix_and_length() -> None:
    """About one random 16-digit number in ten passes Luhn: order numbers outside the issuers' ranges stay."""
    rng = random.Random(14)
    numbers = (str(rng.randrange(2, 7)) + "".join(rng.choice("0123456789") for _ in range(15)) for _ in range(5000))
    kept = redacted = 0
    for digits in filter(luhn_ok, numbers):
        out = Redactor().redact(f"order {digits} is stuck")
        if card_issuer_ok(digits):
            assert out == "order [card] is stuck", digits
            redacted += 1
        else:
            assert out == f"order {digits} is stuck", digits
            kept += 1
    assert kept > 150 and redacted > 150, (kept, redacted)
    assert card_issuer_ok("4111111111111111") and card_issuer_ok("378282246310005")  # Visa, Amex
    assert not card_issuer_ok("3782822463100050")  # an Amex prefix, but Amex numbers have 15 digits
    assert not card_issuer_ok("5912345678901237") and not card_issuer_ok("2800123456789013")


def test_a_taxonomy_pattern_that_matches_nothing_replaces_nothing() -> None:
    """The loader refuses such a pattern; the redactor still never writes one between the letters."""
    redactor = Redactor([("x", r"(ORD-)?\d*"), ("y", r"\b")])
    assert redactor.redact("lost ORD-12") == "lost [x]"


def test_extra_patterns_from_the_taxonomy_are_applied() -> None:
    redactor = Redactor([("order_number", r"\bORD-\d{6}\b")])
    assert redactor.redact("ORD-123456 went missing, call 07700 900123") == "[order_number] went missing, call [phone]"


def test_redaction_is_idempotent() -> None:
    redactor = Redactor()
    for case in CASES:
        once = redactor.redact(case["text"])
        assert redactor.redact(once) == once
