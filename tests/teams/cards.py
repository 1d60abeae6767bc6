"""Adaptive Card validation against the official 1.5 schema (Draft 6)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_CANDIDATES = [
    ROOT.parent / "shared" / "adaptive-card-schema-1.5.json",
    ROOT / "tests" / "fixtures" / "teams" / "adaptive-card-schema-1.5.json",
]


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft6Validator:
    path = next((p for p in SCHEMA_CANDIDATES if p.exists()), None)
    assert path is not None, f"Adaptive Card schema not found in {SCHEMA_CANDIDATES}"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def assert_valid_card(card: dict) -> None:
    """Fail with every schema error, and if the card is over the 80 KB (in UTF-16) Teams advises."""
    errors = sorted(validator().iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert len(json.dumps(card, ensure_ascii=False).encode("utf-16-le")) < 80 * 1024
