"""`snag import` refuses a column the file does not have, instead of dating old history today."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.history import ColumnMap, MissingColumn, read_history
from store.models import Report

CSV = (
    "text,Date\n"
    "the refund portal is slow,2024-01-02\n"
    "courier lost the parcel again,2024-01-03\n"
    "invoices arrive twice,2024-01-04\n"
)


def _stored(services) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Report)).all())


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_date_column_the_csv_lacks_stops_the_import_naming_its_columns(snag_cli, services, dry_run) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(CSV)
    code, out, err = snag_cli("import", "h.csv", *dry_run)
    assert code == 2 and "would be imported" not in out and "Imported" not in out
    assert "no date column 'created_at'" in err and "its columns: text, Date" in err
    assert "--date-column Date" in err and "--no-dates" in err
    assert "\n" not in err.strip() and "Traceback" not in err
    assert _stored(services) == []


def test_a_date_column_named_wrong_stops_the_dry_run_too(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(CSV)
    code, out, err = snag_cli("import", "h.csv", "--date-column", "Nope", "--dry-run")
    assert code == 2 and "would be imported" not in out
    assert "no date column 'Nope'" in err and "its columns: text, Date" in err


def test_the_named_date_column_dates_the_rows(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(CSV)
    code, out, _ = snag_cli("import", "h.csv", "--date-column", "Date")
    assert code == 0 and "Imported 3 report(s)" in out
    assert sorted(r.created_at.date().isoformat() for r in _stored(services)) == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]


def test_no_dates_dates_every_row_now_and_says_so(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text\nthe refund portal is slow\ninvoices arrive twice\n")
    code, out, err = snag_cli("import", "h.csv", "--no-dates")
    assert code == 0 and "Imported 2 report(s)" in out
    assert "--no-dates: the 2 row(s) are dated today" in err
    today = datetime.now(UTC).date()
    assert [r.created_at.date() for r in _stored(services)] == [today, today]


def test_no_dates_and_a_date_column_together_are_refused(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(CSV)
    code, _, err = snag_cli("import", "h.csv", "--no-dates", "--date-column", "Date")
    assert code == 2 and "either --date-column or --no-dates" in err


def test_a_jsonl_file_with_the_date_in_no_row_is_refused(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.jsonl").write_text(
        "".join(json.dumps({"text": f"issue {i}", "when": "2024-01-02"}) + "\n" for i in range(3))
    )
    code, _, err = snag_cli("import", "h.jsonl", "--dry-run")
    assert code == 2 and "no date column 'created_at'" in err and "its columns: text, when" in err


def test_a_jsonl_file_with_the_date_in_some_rows_is_read_and_a_row_without_it_skipped(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps({"text": "a"}) + "\n" + json.dumps({"text": "b", "created_at": "2024-01-02"}) + "\n")
    rows, problems = read_history(path, ColumnMap())
    assert [(p.line, p.problem) for p in problems] == [(1, "no date in column 'created_at'")]  # never dated today
    assert [(r.text, r.created_at is None) for r in rows] == [("b", False)]


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("--text-column", "no text column 'Nope'"),
        ("--id-column", "no id column 'Nope'"),
        ("--reporter-column", "no reporter column 'Nope'"),
    ],
)
def test_any_named_column_the_file_lacks_is_refused(snag_cli, services, option: str, says: str) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(CSV)
    for dry_run in ([], ["--dry-run"]):
        code, out, err = snag_cli("import", "h.csv", "--date-column", "Date", option, "Nope", *dry_run)
        assert code == 2 and says in err and "its columns: text, Date" in err and option in err
        assert "skipped" not in err and "Imported" not in out
    assert _stored(services) == []


def test_without_an_id_column_rows_have_no_source_id_and_are_told_apart_by_what_they_say(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(CSV)
    rows, _ = read_history(path, ColumnMap(created_at="Date"))
    assert [r.source_id for r in rows] == [None, None, None]  # never the line number: rows added above renumber it
    assert len({r.event_key("s") for r in rows}) == 3


def test_read_history_names_the_missing_column_and_the_file_s_columns(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(CSV)
    with pytest.raises(MissingColumn) as raised:
        read_history(path, ColumnMap())
    assert (raised.value.role, raised.value.name, raised.value.found) == ("date", "created_at", ("text", "Date"))
