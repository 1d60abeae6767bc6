"""Reading a history file: a row Python cannot read is a problem on its line, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

from bot.history import ColumnMap, read_history


def test_a_jsonl_number_too_long_to_read_is_a_problem_on_its_line(tmp_path: Path) -> None:
    # Valid JSON, but Python refuses integers of more than 4,300 digits with a plain ValueError,
    # which has no `.msg`: reading the file used to stop with an AttributeError.
    path = tmp_path / "old.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "courier lost the parcel again"}),
        '{"id": ' + "9" * 5000 + ', "text": "a row with a huge id"}',
        json.dumps({"id": 3, "text": "refunds wait a week in the finance inbox"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    rows, problems = read_history(path, ColumnMap(created_at=None))
    assert [r.line for r in rows] == [1, 3]
    assert [(p.line, p.problem) for p in problems] == [(2, "not valid JSON (a number too long to read)")]


def test_a_malformed_jsonl_line_still_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text('{"text": "fine and dandy here"}\n{broken\n')
    rows, problems = read_history(path, ColumnMap(created_at=None))
    assert len(rows) == 1
    assert [p.line for p in problems] == [2]
    assert problems[0].problem.startswith("not valid JSON (Expecting property name")


def test_a_jsonl_line_nested_too_deeply_is_a_problem_on_its_line(tmp_path: Path) -> None:
    # json.loads raises RecursionError on deep nesting: reading the file used to stop there.
    path = tmp_path / "old.jsonl"
    lines = ['{"text": "courier lost the parcel again"}', '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    path.write_text("\n".join(lines) + "\n")
    rows, problems = read_history(path, ColumnMap(created_at=None))
    assert [r.line for r in rows] == [1]
    assert [(p.line, p.problem) for p in problems] == [(2, "not valid JSON (nested too deeply to read)")]
