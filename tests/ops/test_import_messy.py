"""`snag import` of files as people have them: one person written in several cases, an import stopped
midway, rows without dates, Windows encodings, semicolons, huge cells, dates either way round."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlmodel import Session, select

from bot import history as reading
from bot.domain import Person, Platform, ReportRecord, Tags
from bot.history import ColumnMap
from digests.grouper import SqlGrouper
from store.models import Pattern, Report, Tenant
from store.repository import SqlRepository

if TYPE_CHECKING:
    from bot.history import HistoryRow, RowProblem

NOW = datetime(2026, 11, 24, tzinfo=UTC)
GROUP = SqlGrouper.assign
ONE_PERSON = (
    "text,created_at,who\n"
    "The key safe at the Elm Street site is empty again,2026-11-17,priya.patel@acme.com\n"
    "Key safe at Elm Street empty again so I waited,2026-11-18,Priya.Patel@acme.com \n"
    "Elm Street key safe empty again and I waited an hour,2026-11-19,PRIYA.PATEL@ACME.COM\n"
    "Elm Street key safe was empty once more,2026-11-20, priya.patel@acme.com\n"
)
FIVE = "id,text,created_at\n" + "".join(
    f"{n},refund forms are scanned twice at the front desk ({n}),2026-10-0{n}\n" for n in range(1, 6)
)


@pytest.fixture
def snag_db(snag_cli, engine, db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`snag ARGS...` on SQLite and on the real PostgreSQL (the `engine` fixture's database)."""
    monkeypatch.setenv("SNAG_DATABASE_URL", db_url)
    return snag_cli


def _reports(engine) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.exec(select(Report).order_by(Report.id)).all())  # type: ignore[arg-type]


def _counted(engine) -> int:  # type: ignore[no-untyped-def]
    """Reports as the patterns count them: each report once, however many imports grouped it."""
    with Session(engine) as s:
        return sum(p.report_count for p in s.exec(select(Pattern)).all())


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "h.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _read(
    tmp_path: Path, content: str | bytes, columns: ColumnMap = ColumnMap()
) -> tuple[list[HistoryRow], list[RowProblem]]:
    return reading.read_history(_write(tmp_path, content), columns, now=NOW)


# ---- one person is one reporter, however the cell writes them ----


def test_one_reporter_written_in_several_cases_counts_as_one(snag_db, engine) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(ONE_PERSON)
    code, out, _ = snag_db("import", "h.csv", "--reporter-column", "who")
    assert code == 0 and "Imported 4 report(s)" in out
    assert len({r.reporter_key for r in _reports(engine)}) == 1  # not 3 people passing k=3


def test_a_row_s_event_key_is_the_one_earlier_versions_stored(tmp_path: Path) -> None:
    """The reporter is folded for counting people only: a file imported before is not filed twice."""
    rows, _ = _read(
        tmp_path,
        "text,created_at,who\nKey safe at Elm Street empty again,2026-11-18,Priya.Patel@acme.com \n",
        ColumnMap(reporter="who"),
    )
    (row,) = rows
    assert row.event_key("test-secret") == "import:1da3ff271cdcf659b67c9d227cade88b427f6f53"


# ---- an import stopped while grouping ----


def _stop_grouping_at(monkeypatch: pytest.MonkeyPatch, call: int, stop) -> list[datetime]:  # type: ignore[no-untyped-def]
    """Have SqlGrouper.assign run `stop()` at its `call`th report; the dates it was given, in order."""
    given: list[datetime] = []

    def assign(self: SqlGrouper, record: ReportRecord) -> int | None:
        given.append(record.created_at)
        if len(given) == call:
            stop()
        return GROUP(self, record)

    monkeypatch.setattr(SqlGrouper, "assign", assign)
    return given


def _interrupt() -> None:
    raise KeyboardInterrupt


def test_an_import_stopped_while_grouping_is_finished_by_running_it_again(snag_db, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(FIVE)
    _stop_grouping_at(monkeypatch, 3, _interrupt)
    code, _, err = snag_db("import", "h.csv")
    assert code == 130
    assert "Stopped: 5 report(s) stored, 2 of 5 grouped into patterns; run the same command again to finish" in err
    assert [r.pattern_id is not None for r in _reports(engine)] == [True, True, False, False, False]

    monkeypatch.setattr(SqlGrouper, "assign", GROUP)
    code, out, _ = snag_db("import", "h.csv", "--dry-run")
    assert "0 row(s) would be imported, 5 already there (3 not grouped yet: the import groups them)" in out
    code, out, _ = snag_db("import", "h.csv")
    assert code == 0 and "Imported 0 report(s); 5 already there; 0 skipped." in out
    assert "Grouped 3 report(s) an earlier, stopped import had left ungrouped." in out
    assert all(r.pattern_id is not None for r in _reports(engine)) and _counted(engine) == 5


def test_sigterm_while_grouping_stops_as_ctrl_c_does(snag_db, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(FIVE)
    _stop_grouping_at(monkeypatch, 2, lambda: os.kill(os.getpid(), signal.SIGTERM))
    unheard: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, _frame: unheard.append(signum))  # never this test's end
    try:
        code, _, err = snag_db("import", "h.csv")
    finally:
        signal.signal(signal.SIGTERM, before)
    assert code == 130 and "Stopped: 5 report(s) stored, 1 of 5 grouped" in err and unheard == []
    assert sum(r.pattern_id is not None for r in _reports(engine)) == 1


def test_a_file_newest_first_is_grouped_oldest_first(snag_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    header, *rows = FIVE.splitlines(keepends=True)
    Path("h.csv").write_text(header + "".join(reversed(rows)))
    given = _stop_grouping_at(monkeypatch, 0, _interrupt)
    assert snag_db("import", "h.csv")[0] == 0
    assert len(given) == 5 and given == sorted(given)  # as `snag group --rebuild` and reports as they came


# ---- what is already there ----


def test_a_dry_run_counts_the_rows_already_imported(snag_db) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(FIVE)
    assert snag_db("import", "h.csv")[0] == 0
    Path("h.csv").write_text(FIVE + "6,invoices arrive twice,2026-10-06\n")
    code, out, _ = snag_db("import", "h.csv", "--dry-run")
    assert code == 0 and "Dry run: 1 row(s) would be imported, 5 already there, 0 skipped." in out


def _item(key: str) -> tuple[str, datetime, str, str, Tags]:
    return (f"parcels lost at the depot {key}", NOW, "someone", key, Tags(stage=None, kinds=(), teams=()))


def test_rows_another_import_stores_meanwhile_count_as_already_there(engine) -> None:  # type: ignore[no-untyped-def]
    """Two imports of one file at once on PostgreSQL: the second waits on the first's rows, then skips them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; imports in one data folder wait for each other (below)")
    repository = SqlRepository(engine)
    person = Person(Platform.CONSOLE, "local", "cli")
    repository.import_reports(person=person, items=[_item("k0")])
    done: dict[str, list[ReportRecord]] = {}
    with Session(engine) as first:  # the other import, not committed yet
        tenant = first.exec(select(Tenant)).one()
        text, when, key, event, _ = _item("k1")
        first.add(
            Report(
                tenant_id=tenant.id,
                platform="console",
                channel="import",
                reporter_key=key,
                text=text,
                created_at=when,
                event_key=event,
            )
        )  # type: ignore[arg-type]
        first.flush()
        second = threading.Thread(
            target=lambda: done.update(
                records=repository.import_reports(person=person, items=[_item("k1"), _item("k2")])
            )
        )
        second.start()
        time.sleep(1)  # the second import waits on k1
        first.commit()
    second.join(timeout=30)
    assert [r.text for r in done["records"]] == ["parcels lost at the depot k2"]
    assert len(_reports(engine)) == 3


@pytest.fixture
def held_import_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The data folder's import lock, held as an import running elsewhere would, until the import
    says it waits (a fixed second was too short on a loaded machine); let go after 30 s whatever
    happens, so a test that never waits fails rather than hangs."""
    import fcntl

    import typer

    folder = tmp_path / "var"
    folder.mkdir(exist_ok=True)
    lock = open(folder / "import.lock", "w")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    echo = typer.echo

    def said(message: object = None, *args: object, **kwargs: object) -> None:
        echo(message, *args, **kwargs)  # type: ignore[arg-type]
        if "Another snag import is running" in str(message):
            threading.Timer(0.2, lock.close).start()

    monkeypatch.setattr(typer, "echo", said)
    fallback = threading.Timer(30, lock.close)
    fallback.start()
    yield
    fallback.cancel()
    lock.close()


def test_an_import_waits_for_one_running_in_the_same_data_folder(snag_db, engine, held_import_lock) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(FIVE)
    code, out, err = snag_db("import", "h.csv")
    assert "Another snag import is running with this data folder: waiting for it to finish." in err
    assert code == 0 and "Imported 5 report(s)" in out and _counted(engine) == 5


# ---- rows without a date ----


def test_a_row_without_a_date_is_skipped_by_its_line_not_dated_today(tmp_path: Path) -> None:
    rows, problems = _read(tmp_path, "id,text,created_at\n1,refunds wait,2026-05-01\n2,couriers late,\n3,short row\n")
    assert [r.source_id for r in rows] == ["1"]
    assert [(p.line, p.problem) for p in problems] == [
        (3, "no date in column 'created_at'"),
        (4, "no date in column 'created_at'"),
    ]


def test_a_row_with_more_cells_than_the_header_is_a_problem_not_a_text_cut_short(tmp_path: Path) -> None:
    rows, problems = _read(
        tmp_path,
        "id,created_at,text\n"
        "1,2026-05-01,the portal, again, logs everyone out\n"
        '2,2026-05-02,"quoted, so whole"\n'
        "3,2026-05-03,trailing empty cells from a spreadsheet,,\n",
    )
    assert [r.text for r in rows] == ["quoted, so whole", "trailing empty cells from a spreadsheet"]
    assert [(p.line, p.problem) for p in problems] == [
        (
            2,
            "has 2 more cell(s) than the header line, starting ' again'; "
            "put a text that holds the separator in double quotes",
        )
    ]


def test_no_dates_still_dates_every_row_today(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("id,text\n1,refunds wait\n2,couriers late\n")
    code, out, _ = snag_cli("import", "h.csv", "--no-dates", "--dry-run")
    assert code == 0 and "Dry run: 2 row(s) would be imported, 0 skipped." in out


# ---- encodings, separators, long cells ----

CP1252 = "id;text;created_at;reporter\r\n1;Café orders lost – the £5 fee;2026-02-01;José\r\n".encode("cp1252")


def test_a_windows_1252_file_is_read_as_such_and_said_so(tmp_path: Path) -> None:
    rows, problems = _read(tmp_path, CP1252, ColumnMap(reporter="reporter"))
    assert [(r.text, r.reporter) for r in rows] == [("Café orders lost – the £5 fee", "José")] and problems == []


def test_a_byte_windows_1252_lacks_is_read_as_latin_1_never_replaced(tmp_path: Path) -> None:
    rows, _ = _read(tmp_path, "text,created_at\nCafé \x81,2026-02-01\n".encode("latin-1"))
    assert [r.text for r in rows] == ["Café \x81"]


def test_utf8_with_a_byte_order_mark_and_a_named_encoding_are_read_without_guessing(tmp_path: Path) -> None:
    utf8 = reading.read_file(_write(tmp_path, "\ufefftext,created_at\nCafé,2026-02-01\n".encode()), ColumnMap())
    assert [r.text for r in utf8.rows] == ["Café"] and utf8.not_utf8_at is None
    latin = _write(tmp_path, "text,created_at\nZoë,2026-02-01\n".encode("latin-1"))
    named = reading.read_file(latin, ColumnMap(), encoding="latin-1")
    assert [r.text for r in named.rows] == ["Zoë"] and named.not_utf8_at is None


def test_the_cli_says_how_it_read_a_windows_file_with_semicolons(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_bytes(CP1252)
    code, out, err = snag_cli("import", "h.csv", "--text-column", "text", "--reporter-column", "reporter", "--dry-run")
    assert code == 0 and "1 row(s) would be imported" in out
    assert "h.csv is not UTF-8 (line 2 is not): read as Windows-1252 (cp1252)" in err and "--encoding" in err
    assert "h.csv: the columns are separated by semicolons." in err
    code, _, err = snag_cli("import", "h.csv", "--encoding", "utf-8", "--dry-run")
    assert code == 2 and "Line 2 of the file cannot be read as utf-8. Name the file's encoding with --encoding." in err


@pytest.mark.parametrize("separator", ["\t", "|", ","])
def test_tabs_and_bars_separate_columns_too(tmp_path: Path, separator: str) -> None:
    rows, _ = _read(
        tmp_path, separator.join(["id", "text", "created_at"]) + "\n" + separator.join(["1", "x y", "2026-02-01"])
    )
    assert [r.text for r in rows] == ["x y"]


def test_a_cell_longer_than_the_csv_module_allows_is_cut_not_fatal(snag_cli) -> None:  # type: ignore[no-untyped-def]
    long = "refunds wait " * 12_000  # 156,000 characters: over the csv module's 131,072
    Path("h.csv").write_text(f"id,text,created_at\n1,{long},2026-05-01\n2,couriers late,2026-05-02\n")
    code, out, err = snag_cli("import", "h.csv", "--dry-run")
    assert code == 0 and "2 row(s) would be imported" in out
    assert "h.csv:2: cut to the first 40,000 of 155,999 characters" in err  # the cell, stripped


# ---- dates either way round ----

_COLUMN = ColumnMap(created_at="when")


def _days(rows: list[HistoryRow]) -> list[str]:
    return [r.created_at.date().isoformat() for r in rows if r.created_at]


def test_a_date_only_month_first_reads_makes_the_whole_column_month_first(tmp_path: Path) -> None:
    rows, problems = _read(tmp_path, "text,when\na,03/04/2026\nb,12/25/2025\n", _COLUMN)
    assert _days(rows) == ["2026-03-04", "2025-12-25"] and problems == []


def test_dates_written_both_ways_round_are_refused_until_told(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text,when\na,25/12/2025\nb,12/25/2025\nc,03/04/2026\n")
    code, _, err = snag_cli("import", "h.csv", "--date-column", "when", "--dry-run")
    assert code == 2 and "'25/12/2025' on line 2 is day first, '12/25/2025' on line 3 is month first" in err
    assert "--day-first or --month-first" in err
    code, out, err = snag_cli("import", "h.csv", "--date-column", "when", "--day-first", "--dry-run")
    assert code == 1 and "2 row(s) would be imported, 1 skipped" in out
    assert "h.csv:3: skipped, '12/25/2025' is not a date; the dates read are like 2026-03-31" in err


def test_dates_that_read_either_way_are_read_day_first_and_it_is_said(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text,when\na,03/04/2026\nb,04/04/2026\n")
    code, _, err = snag_cli("import", "h.csv", "--date-column", "when", "--dry-run")
    assert code == 0
    assert "dates such as '03/04/2026' (line 2) are read day first, since no date in the file shows which" in err
    assert "--month-first" in err


def test_more_spreadsheet_date_forms_are_read(tmp_path: Path) -> None:
    cells = ["31/03/2026 14:05:09", "2026/03/31", "2026/3/31 14:05", "31.03.2026", "46112", "46112.5"]
    rows, problems = _read(tmp_path, "text,when\n" + "".join(f"r{n},{c}\n" for n, c in enumerate(cells)), _COLUMN)
    assert problems == []
    assert [r.created_at for r in rows] == [
        datetime(2026, 3, 31, 14, 5, 9, tzinfo=UTC),
        datetime(2026, 3, 31, tzinfo=UTC),
        datetime(2026, 3, 31, 14, 5, tzinfo=UTC),
        datetime(2026, 3, 31, tzinfo=UTC),
        datetime(2026, 3, 31, tzinfo=UTC),
        datetime(2026, 3, 31, 12, tzinfo=UTC),
    ]


def test_what_is_not_a_date_is_told_with_the_forms_that_are(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "text,when\na,yesterday\nb,2026\n", _COLUMN)
    forms = (
        "the dates read are like 2026-03-31, 2026-03-31 14:05, 2026-03-31T14:05:00+01:00, 2026/03/31, "
        "31/03/2026 or 31/03/2026 14:05 (day first), or a spreadsheet day number such as 46112"
    )
    assert [p.problem for p in problems] == [
        f"'yesterday' is not a date; {forms}",
        f"'2026' is not a date; {forms}",
    ]
