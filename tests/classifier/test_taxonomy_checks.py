"""A taxonomy file that is wrong in a way YAML allows still fails at start, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.taxonomy import load_taxonomy

GOOD = """\
stages:
  - label: intake
  - label: care
kinds:
  - label: waiting
teams:
  - label: ward
    aliases: [ward staff, nurses]
  - label: pharmacy
    aliases: [dispensary]
"""


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "taxonomy.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    return info.value.message


def test_a_second_top_level_list_is_refused_not_silently_preferred(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "stages:\n  - label: only\n")
    assert "line 11" in message and "'stages' appears twice (first on line 1)" in message


def test_a_key_given_twice_in_an_entry_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    aliases: [dispensary]", "    aliases: [dispensary]\n    aliases: [x]"))
    assert "line 11" in message and "'aliases' appears twice (first on line 10)" in message


def test_a_misspelt_key_is_refused_with_a_hint(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    aliases: [dispensary]", "    alias: [dispensary]"))
    assert "line 10" in message and "unknown key 'alias'" in message and "did you mean 'aliases'?" in message


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "team:\n  - label: x\n")
    assert "line 11" in message and "unknown key 'team'" in message and "did you mean 'teams'?" in message


def test_an_unknown_redaction_key_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "redact:\n  - name: order\n    patern: 'ORD'\n")
    assert "line 13" in message and "did you mean 'pattern'?" in message


def test_one_alias_under_two_teams_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("[dispensary]", "[dispensary, Nurses]"))
    assert "line 10" in message and "alias 'Nurses' is under both 'ward' and 'pharmacy'" in message


def test_the_shipped_taxonomy_and_an_alias_twice_in_one_team_still_load(tmp_path: Path) -> None:
    load_taxonomy()
    path = tmp_path / "taxonomy.yml"
    path.write_text("version: 1\n" + GOOD.replace("[dispensary]", "[dispensary, Dispensary]"), encoding="utf-8")
    assert load_taxonomy(path).teams[1].aliases == ("dispensary", "Dispensary")


@pytest.mark.parametrize("pattern", ["''", r"'(ORD-)?\d*'", r"'\d*'", r"'\b'", "'(?=ORD)'"])
def test_a_redaction_pattern_that_matches_the_empty_string_is_refused(tmp_path: Path, pattern: str) -> None:
    """It would match between every two characters: "lost" would be stored as "[order]l[order]o[order]s..."."""
    message = _error(tmp_path, GOOD + f"redact:\n  - name: order\n    pattern: {pattern}\n")
    assert "line 13" in message and "pattern matches the empty string" in message


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_bytes(GOOD.replace("[dispensary]", "[caf\u00e9]").encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    assert "is not UTF-8 text (line 10, byte" in info.value.message
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("[dispensary]", "[caf\u00e9]").encode("latin-1"))
    with pytest.raises(ConfigError) as info:  # after a byte order mark too
        load_taxonomy(path)
    assert "is not UTF-8 text (line 10, byte" in info.value.message


@pytest.mark.parametrize("version", ["2", "abc", "[1]", "1.0", "0"])
def test_only_the_supported_version_is_read(tmp_path: Path, version: str) -> None:
    message = _error(tmp_path, f"version: {version}\n" + GOOD)
    assert "line 1" in message and "this Snag reads taxonomy version 1" in message


@pytest.mark.parametrize("version", ["version: 1\n", "version: '1'\n", ""])
def test_version_1_or_no_version_loads(tmp_path: Path, version: str) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_text(version + GOOD, encoding="utf-8")
    assert load_taxonomy(path).stage_labels == ("intake", "care")


@pytest.mark.parametrize("name", ["Order Number", "''", "order-number", "1st", "'[order]'", "null"])
def test_a_redaction_name_must_be_a_lower_snake_label(tmp_path: Path, name: str) -> None:
    """The name becomes the placeholder: "[Order Number]" or "[]" would not be a placeholder."""
    message = _error(tmp_path, GOOD + f"redact:\n  - name: {name}\n    pattern: 'ORD-[0-9]+'\n")
    assert "line 12" in message and "redaction 'name' must be in lower_snake_case" in message


@pytest.mark.parametrize(("alias", "problem"), [("123", "'123' is not a word"), ("null", "'null' is not a word")])
def test_an_alias_must_be_a_word(tmp_path: Path, alias: str, problem: str) -> None:
    """YAML reads `123` as a number and `null` as nothing: neither may turn silently into an alias."""
    message = _error(tmp_path, GOOD.replace("[dispensary]", f"[drivers, {alias}]"))
    assert "line 10" in message and "aliases of pharmacy" in message and problem in message
    assert "quote it" in message


def test_an_empty_alias_or_word_is_refused_and_a_quoted_number_is_a_word(tmp_path: Path) -> None:
    assert "an entry is empty" in _error(tmp_path, GOOD.replace("[dispensary]", "[drivers, '']"))
    assert "an entry is empty" in _error(tmp_path, GOOD.replace("  - label: care", "  - label: care\n    words: [' ']"))
    assert "words of care" in _error(tmp_path, GOOD.replace("  - label: care", "  - label: care\n    words: [404]"))
    path = tmp_path / "taxonomy.yml"
    path.write_text(GOOD.replace("[dispensary]", "[dispensary, '111']"), encoding="utf-8")
    assert load_taxonomy(path).teams[1].aliases == ("dispensary", "111")


def test_one_label_as_both_a_stage_and_a_kind_is_refused(tmp_path: Path) -> None:
    """Stages and kinds share the keys of the classifier's confidence map: one score would be lost."""
    message = _error(tmp_path, GOOD.replace("  - label: waiting", "  - label: care"))
    assert "line 5" in message and "label 'care' is both a stage and a kind" in message


def test_a_team_may_share_a_label_with_a_stage(tmp_path: Path) -> None:
    """Teams are kept apart in the confidence map (team:<label>), so only stages and kinds clash."""
    path = tmp_path / "taxonomy.yml"
    path.write_text(GOOD.replace("label: pharmacy", "label: care"), encoding="utf-8")
    assert load_taxonomy(path).team_labels == ("ward", "care")
