"""A taxonomy is refused, naming the line, when a label is a word Snag already gives a meaning, when a
description is not one text, and when YAML cannot read it: in plain words, not the parser's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.taxonomy import load_taxonomy

GOOD = """\
stages:
  - label: intake
    description: first questions
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


@pytest.mark.parametrize(
    ("line", "written", "word", "meaning"),
    [
        (10, "  - label: pharmacy", "other", '"Other"'),  # beside the anonymity row "Other: from fewer than 3 people"
        (10, "  - label: pharmacy", "none", "no value in `snag relabel`"),
        (10, "  - label: pharmacy", "all", "whole organisation"),
        (10, "  - label: pharmacy", "everyone", "whole organisation"),
        (10, "  - label: pharmacy", "nobody", "clears a pattern's owner"),
        (4, "  - label: care", "unknown", 'shown as "unknown"'),
        (6, "  - label: waiting", "other", '"Other"'),
        (6, "  - label: waiting", "null", "no value"),
    ],
)
def test_a_label_snag_already_gives_a_meaning_is_refused(
    tmp_path: Path, line: int, written: str, word: str, meaning: str
) -> None:
    message = _error(tmp_path, GOOD.replace(written, f"  - label: {word}"))
    axis = {4: "stage", 6: "kind", 10: "team"}[line]
    assert f"line {line}: label '{word}' is a word Snag already uses" in message, message
    assert meaning in message and f"give the {axis} another label" in message


def test_the_shipped_taxonomy_and_labels_that_only_contain_such_words_still_load(tmp_path: Path) -> None:
    load_taxonomy()
    path = tmp_path / "taxonomy.yml"
    path.write_text(GOOD.replace("label: pharmacy", "label: other_teams"), encoding="utf-8")
    assert load_taxonomy(path).team_labels == ("ward", "other_teams")


def test_a_description_that_is_a_list_is_refused_not_dropped(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("description: first questions", "description: [first, questions]"))
    assert "line 3: the description of intake must be one text, not a list" in message, message


def test_a_description_that_yaml_reads_as_a_number_or_nothing_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_text(
        GOOD.replace("first questions", "2024").replace("  - label: care", "  - label: care\n    description:")
    )
    stages = load_taxonomy(path).stages
    assert [s.description for s in stages] == ["2024", ""]


def test_aliases_written_without_brackets_are_refused_with_the_brackets_to_add(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("aliases: [dispensary]", "aliases: dispensary, pharmacy team"))
    assert "line 11: aliases of pharmacy must be a list of words in brackets: [dispensary, pharmacy team]" in message


def test_a_list_entry_indented_too_little_is_named(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    aliases: [dispensary]", "    aliases:\n    - dispensary\n  - chemist"))
    assert "line 13" in message and "found only 'chemist': write `- label: chemist` if it is a label" in message


@pytest.mark.parametrize(
    ("broken", "line", "said"),
    [
        # a key dedented under its entry's `- label:`: PyYAML says "expected <block end>, but found '?'"
        (GOOD.replace("    aliases: [dispensary]", "  aliases: [dispensary]"), 11, "not indented like the lines above"),
        # an entry indented one space too many: "... but found '<block sequence start>'"
        (GOOD.replace("  - label: care", "   - label: care"), 4, "not indented like the lines above"),
        # a key indented deeper than its neighbours: "mapping values are not allowed here"
        (GOOD.replace("    aliases: [dispensary]", "      aliases: [dispensary]"), 11, "indent this line"),
        (GOOD.replace("first questions", "Intake: first questions"), 3, "put the whole text in quotes"),
        (GOOD.replace("    aliases: [dispensary]", "\taliases: [dispensary]"), 11, "replace the tab with spaces"),
        (GOOD + 'redact:\n  - name: ward\n    pattern: "W\\d{4}"\n', 14, "put the text in single quotes"),
        (GOOD.replace("[dispensary]", "[dispensary"), 12, "starts on line 11 is not closed"),
        (GOOD.replace("first questions", "'first questions"), 12, "the quote opened on line 3 is never closed"),
        (GOOD.replace("first questions", "@first"), 3, "starting with '@'"),
    ],
)
def test_yaml_slips_are_said_in_plain_words_with_their_line(tmp_path: Path, broken: str, line: int, said: str) -> None:
    message = _error(tmp_path, broken)
    assert f"line {line}: " in message and said in message, message
    for jargon in ("<block end>", "block sequence", "mapping values", "cannot start any token", "scalar"):
        assert jargon not in message
