"""`snag group FILE` reads a file as `snag import` and `snag classify` do: a BOM is fine, a bad line is one line."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.digests.file_grouping import read_jsonl

FIRST = {"id": 1, "text": "refunds stuck in finance for weeks", "created_at": "2026-11-03"}
SECOND = {"id": 2, "text": "refunds stuck in finance again", "created_at": "2026-11-04"}
THIRD = {"id": 3, "text": "the van left without the pallets", "created_at": "2026-11-05"}


def _line(row: dict) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"


def _group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, *, stdin: bool = False):  # type: ignore[no-untyped-def]
    from bot.cli import _register_commands, app

    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    _register_commands()
    args = ["group", "-" if stdin else str(source)]
    return CliRunner().invoke(app, args, input=data if stdin else None)


@pytest.mark.parametrize("stdin", [False, True])
def test_a_byte_order_mark_on_line_1_is_ignored(tmp_path, monkeypatch, stdin: bool) -> None:  # type: ignore[no-untyped-def]
    result = _group(tmp_path, monkeypatch, codecs.BOM_UTF8 + _line(FIRST) + _line(SECOND), stdin=stdin)
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2]
    assert "BOM" not in result.stderr and "skipped" not in result.stderr


@pytest.mark.parametrize("stdin", [False, True])
def test_a_line_that_is_not_utf8_is_reported_and_the_others_are_grouped(tmp_path, monkeypatch, stdin: bool) -> None:  # type: ignore[no-untyped-def]
    latin1 = json.dumps({"id": 9, "text": "caf\u00e9 orders lost"}, ensure_ascii=False).encode("latin-1") + b"\n"
    result = _group(tmp_path, monkeypatch, _line(FIRST) + latin1 + _line(THIRD), stdin=stdin)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 3]
    assert "line 2: not UTF-8 text (byte 23); save the file as UTF-8; skipped" in result.stderr
    assert "1 malformed line(s) skipped." in result.stderr


def test_a_line_separator_inside_a_text_does_not_split_its_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """JSON may carry U+2028 unescaped; a JSONL line ends only at a line break."""
    row = {"id": 1, "text": "refunds stuck\u2028in finance", "created_at": "2026-11-03"}
    result = _group(tmp_path, monkeypatch, _line(row))
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["text"] for line in result.stdout.split("\n") if line] == [row["text"]]


def test_a_byte_order_mark_after_line_1_is_a_problem_of_its_line() -> None:
    rows, problems = read_jsonl([_line(FIRST), codecs.BOM_UTF8 + _line(SECOND)])
    assert [r["id"] for r in rows] == [1]
    assert [number for number, _ in problems] == [2]
