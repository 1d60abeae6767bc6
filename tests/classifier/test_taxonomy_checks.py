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
