"""A malformed taxonomy file fails at start with the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy

GOOD = """\
stages:
  - label: intake
    words: [form]
  - label: care
kinds:
  - label: waiting
teams:
  - label: ward
    aliases: [ward staff, nurses]
  - label: pharmacy
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_taxonomy(_write(tmp_path, text))
    return info.value.message


def test_the_default_taxonomy_loads_with_the_documented_labels() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.stage_labels == (
        "enquiry",
        "application",
        "assessment",
        "onboarding",
        "delivery",
        "support",
        "billing",
        "offboarding",
    )
    assert len(taxonomy.kind_labels) == 8 and len(taxonomy.team_labels) == 9
    assert taxonomy.source == str(DEFAULT_TAXONOMY_PATH)


def test_an_organisation_file_brings_its_own_stages_and_teams(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(_write(tmp_path, GOOD))
    assert taxonomy.stage_labels == ("intake", "care")
    assert taxonomy.teams[0].aliases == ("ward staff", "nurses")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("  - label: care", "  - label: [care"))
    assert "line 5" in message or "line 6" in message, message


def test_a_missing_list_is_named(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.split("teams:")[0])
    assert "'teams' list is missing" in message


def test_a_bad_label_names_its_line(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("label: care", "label: Patient Care"))
    assert "line 4" in message and "lower_snake_case" in message and "Patient Care" in message


def test_a_duplicate_label_names_the_second_line(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("label: care", "label: intake"))
    assert "line 4" in message and "appears twice" in message


def test_aliases_must_be_a_list(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("aliases: [ward staff, nurses]", "aliases: {a: b}"))
    assert "line 9" in message and "aliases of ward" in message


def test_an_empty_list_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("kinds:\n  - label: waiting\n", "kinds: []\n"))
    assert "line 5" in message and "'kinds' must be a non-empty list" in message


def test_a_bad_redaction_regex_names_its_line(tmp_path: Path) -> None:
    text = GOOD + "redact:\n  - name: order\n    pattern: 'ORD-[0-9'\n"
    message = _error(tmp_path, text)
    assert "line 13" in message and "not a valid regex" in message


def test_a_redaction_without_a_pattern_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "redact:\n  - name: order\n")
    assert "line 12" in message and "'name' and a 'pattern'" in message


def test_an_empty_file_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    assert "empty" in _error(tmp_path, "")
    with pytest.raises(ConfigError, match="Cannot read the taxonomy file"):
        load_taxonomy(tmp_path / "nope.yml")


def test_the_file_must_be_a_mapping(tmp_path: Path) -> None:
    assert "line 1" in _error(tmp_path, "- just\n- a list\n")


def test_redaction_patterns_reach_the_taxonomy(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(_write(tmp_path, GOOD + "redact:\n  - name: order\n    pattern: 'ORD-\\d{6}'\n"))
    assert taxonomy.redact == (("order", r"ORD-\d{6}"),)
