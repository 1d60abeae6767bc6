"""Redaction quality on a labelled set: identifiers go, order numbers, dates and money stay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.redact import Redactor

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
    assert score["recall"] >= 0.97, score
    assert score["precision"] >= 0.95, score
    assert score["typed"] >= 0.95, score
    assert score["exact"] >= 0.9, score


@pytest.mark.parametrize("case", [c for c in CASES if not c["pii"]], ids=lambda c: c["text"][:30])
def test_negatives_are_left_alone(case: dict) -> None:
    assert Redactor().redact(case["text"]) == case["text"]


def test_extra_patterns_from_the_taxonomy_are_applied() -> None:
    redactor = Redactor([("order_number", r"\bORD-\d{6}\b")])
    assert redactor.redact("ORD-123456 went missing, call 07700 900123") == "[order_number] went missing, call [phone]"


def test_redaction_is_idempotent() -> None:
    redactor = Redactor()
    for case in CASES:
        once = redactor.redact(case["text"])
        assert redactor.redact(once) == once
