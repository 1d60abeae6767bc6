"""`snag group FILE`: created_at is read or the line is reported and skipped, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from digests.files import read_created_at
from tests.digests.file_grouping import group_rows

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-03", datetime(2026, 11, 3, tzinfo=UTC)),
        ("2026-11-03T09:15:00Z", datetime(2026, 11, 3, 9, 15, tzinfo=UTC)),
        ("2026-11-03T09:15:00", datetime(2026, 11, 3, 9, 15, tzinfo=UTC)),  # naive is UTC
        ("2026-11-03T10:15:00+01:00", datetime(2026, 11, 3, 9, 15, tzinfo=UTC)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # Unix seconds
        (1700000000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_created_at_is_read_when_it_is_unambiguous(raw: object, expected: datetime | None) -> None:
    assert read_created_at(raw) == expected


@pytest.mark.parametrize("raw", ["03/11/2026", "yesterday", True, [2026, 11, 3], 1e20])
def test_created_at_that_could_be_misread_is_refused_with_what_is_expected(raw: object) -> None:
    with pytest.raises(ValueError, match=r"expected an ISO 8601 date or date-time \(e\.g\. 2026-11-03 or"):
        read_created_at(raw)


def test_grouping_orders_by_created_at_whatever_its_accepted_form() -> None:
    rows = [
        {"text": "refunds stuck in finance for weeks", "created_at": "2026-11-03T09:15:00Z"},
        {"text": "refunds stuck in finance again for weeks", "created_at": 1700000000},
    ]
    assert [r["pattern"] for r in group_rows(rows, now=NOW)] == [1, 1]


def test_group_command_skips_lines_whose_created_at_it_cannot_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import _register_commands, app

    lines = [
        {"id": 1, "text": "refunds stuck in finance for weeks", "created_at": "2026-11-03"},
        {"id": 2, "text": "refunds stuck in finance again", "created_at": 1700000000},
        {"id": 3, "text": "refunds still stuck in finance", "created_at": "03/11/2026"},
        {"id": 4, "text": "the van left without the pallets", "created_at": "2026-11-04T08:00:00Z"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in lines) + "\n{oops\n", encoding="utf-8")
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    _register_commands()
    result = CliRunner().invoke(app, ["group", str(source)])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2, 4]
    assert (
        'line 3: created_at "03/11/2026" is not a date I can read; expected an ISO 8601 date or date-time '
        "(e.g. 2026-11-03 or 2026-11-03T09:15:00Z) or a Unix timestamp in seconds; skipped"
    ) in result.stderr
    assert "line 5: not valid JSON" in result.stderr
    assert "2 malformed line(s) skipped." in result.stderr
    assert "Traceback" not in result.output


def test_a_line_with_a_number_too_long_for_python_is_reported_not_a_crash() -> None:
    """json.loads refuses an integer of over 4,300 digits with a plain ValueError, not a JSONDecodeError."""
    from tests.digests.file_grouping import read_jsonl

    good = json.dumps({"text": "refunds stuck in finance", "created_at": "2026-11-03"})
    rows, problems = read_jsonl([good, '{"text": "x", "n": ' + "1" * 5000 + "}"])
    assert [r["text"] for r in rows] == ["refunds stuck in finance"]
    assert problems == [(2, "not valid JSON (a number too long to read)")]


def test_a_line_nested_too_deeply_is_a_problem_on_its_line() -> None:
    from tests.digests.file_grouping import read_jsonl

    good = json.dumps({"text": "refunds stuck in finance", "created_at": "2026-11-03"})
    rows, problems = read_jsonl([good, '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"])
    assert [r["text"] for r in rows] == ["refunds stuck in finance"]
    assert problems == [(2, "not valid JSON (nested too deeply to read)")]
