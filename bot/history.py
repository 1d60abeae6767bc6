"""Importing history (an old spreadsheet of issues) and exporting reports and patterns."""

from __future__ import annotations

import codecs
import csv
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.domain import Person, ReportRecord, Tags
from bot.errors import InputError
from bot.jsonl import parse_object
from bot.logs import where
from bot.roles import reporter_key
from bot.text import clean_report_text

if TYPE_CHECKING:
    from bot.core import Snag
    from bot.ports import Grouper

__all__ = [
    "ColumnMap",
    "DateOrder",
    "DatesDisagree",
    "History",
    "HistoryRow",
    "ImportStopped",
    "Imported",
    "MissingColumn",
    "NotDecodable",
    "RowProblem",
    "import_history",
    "read_file",
    "read_history",
    "run_import",
    "same_reporter",
    "stored_already",
    "unknown_reporter_key",
    "write_rows",
]

log = logging.getLogger("snag.core")


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file holds what; a column named here must be in the file."""

    text: str = "text"
    created_at: str | None = "created_at"  # None: the rows have no dates and are dated when imported
    id: str | None = None  # None: the "id" column when the file has one, else the line number
    reporter: str | None = None  # None: the file does not say who reported

    def named(self) -> list[tuple[str, str]]:
        """(what it holds, column) of every column the file must have."""
        wanted = (("text", self.text), ("date", self.created_at), ("id", self.id), ("reporter", self.reporter))
        return [(role, name) for role, name in wanted if name is not None]


class MissingColumn(InputError):
    """A named column is not in the file: not in a CSV's header, or in no row of a JSONL file."""

    def __init__(self, role: str, name: str, found: Sequence[str]) -> None:
        self.role, self.name, self.found = role, name, tuple(found)
        super().__init__(f"The file has no {role} column '{name}' (its columns: {', '.join(found) or 'none'}).")


class DatesDisagree(InputError):
    """The date column has dates only day first reads and dates only month first reads."""

    def __init__(self, day_first: tuple[int, str], month_first: tuple[int, str]) -> None:
        self.day_first, self.month_first = day_first, month_first
        (day_line, day_cell), (month_line, month_cell) = day_first, month_first
        super().__init__(
            f"The dates are written both ways round: '{day_cell}' on line {day_line} is day first, "
            f"'{month_cell}' on line {month_line} is month first."
        )


class NotDecodable(InputError):
    """The file cannot be read in the encoding it was said to be in, or that encoding is unknown."""


@dataclass(frozen=True)
class HistoryRow:
    line: int
    text: str
    created_at: datetime | None
    source_id: str | None  # the row's id column; None when the file has none, or the row's cell is empty
    reporter: str | None  # as the file writes it (trimmed): the row's event key; same_reporter() for its person
    truncated_from: int | None = None  # original length when the text was cut to the limit
    occurrence: int = 1  # without an id: 2 for the second row of the file with the same text, date and reporter

    def event_key(self, secret: str) -> str:
        """What tells this row from every other at any import, so the same row is never filed twice.

        The row's id when it has one; else its text, date, reporter and occurrence, never its line
        number (a row added above would renumber the rest). Keyed with the reporter secret: the key
        is stored beside the report, where a plain hash would let a guessed name be checked.
        """
        if self.source_id is not None:
            identity: list[object] = ["id", self.source_id]
        else:
            when = self.created_at.isoformat() if self.created_at else None
            identity = ["row", self.text, when, self.reporter, self.occurrence]
        message = json.dumps(identity, ensure_ascii=False).encode("utf-8", "replace")
        return "import:" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def same_reporter(written: str) -> str:
    """One person however a reporter cell writes them: "Priya.Patel@acme.com " and
    "PRIYA.PATEL@ACME.COM" are one reporter, not two towards the k that anonymity asks for."""
    return " ".join(written.split()).casefold()


@dataclass(frozen=True)
class RowProblem:
    line: int
    problem: str


@dataclass(frozen=True)
class DateOrder:
    """How the column's dates like 03/04/2026 are read: day first or month first, for every row."""

    day_first: bool
    shown_by: tuple[int, str] | None = None  # (line, date) only this order reads; None: assumed or given
    given: bool = False  # by the person (--day-first, --month-first), not worked out from the dates
    either_way: tuple[int, str] | None = None  # the first date that reads both ways, e.g. 03/04/2026


@dataclass(frozen=True)
class History:
    """A file's usable rows and problems, and how it was read."""

    rows: list[HistoryRow]
    problems: list[RowProblem]
    encoding: str = "utf-8"  # the encoding the file was read in
    not_utf8_at: int | None = None  # when it is not UTF-8: the first line that is not
    delimiter: str | None = None  # a CSV file's column separator; None for JSONL
    dates: DateOrder | None = None  # None: no date in the column is written with slashes or dots


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_CLOCK = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_DAY_MONTH = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})" + _CLOCK)  # 31/03/2026, 03/31/2026, 31.03.2026
_YEAR_FIRST = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})" + _CLOCK)  # 2026/03/31, 2026-3-31 14:05
_EXCEL_DAY = re.compile(r"\d{5}(?:\.\d+)?")  # a spreadsheet's day number: 46112 is 2026-03-31
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)


def _forms(day_first: bool) -> str:
    """The date forms read, as an example of each."""
    slashed = "31/03/2026 or 31/03/2026 14:05 (day first)" if day_first else "03/31/2026 or 03/31/2026 14:05"
    return (
        f"2026-03-31, 2026-03-31 14:05, 2026-03-31T14:05:00+01:00, 2026/03/31, {slashed}, "
        "or a spreadsheet day number such as 46112"
    )


class _OutOfRange(ValueError):
    """A date that parses but cannot be when a report was made."""


def _parse_time(raw: object, *, now: datetime, day_first: bool = True) -> datetime:
    """A date in one of the usual spreadsheet forms, in UTC, between 1990 and a day after `now`."""
    try:
        parsed = _parse_any(str(raw).strip(), day_first=day_first).astimezone(UTC)
    except OverflowError:
        raise _OutOfRange("is out of range") from None
    if parsed < EARLIEST:
        raise _OutOfRange(f"is before {EARLIEST:%Y}")
    if parsed > now + timedelta(days=1):
        raise _OutOfRange("is more than a day in the future")
    return parsed


def _parse_any(text: str, *, day_first: bool) -> datetime:
    if match := _DAY_MONTH.fullmatch(text):
        first, _, second, year, *clock = match.groups()
        day, month = (first, second) if day_first else (second, first)
        return _at(int(year), int(month), int(day), clock)
    if match := _YEAR_FIRST.fullmatch(text):
        year, _, month, day, *clock = match.groups()
        return _at(int(year), int(month), int(day), clock)
    if _EXCEL_DAY.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(seconds=round(float(text) * 86_400))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _at(year: int, month: int, day: int, clock: Sequence[str | None]) -> datetime:
    hour, minute, second = (int(part or 0) for part in clock)
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _date_order(cells: Iterable[tuple[int, str]], day_first: bool | None) -> DateOrder | None:
    """One reading for every date of the column written like 03/04/2026: day first when one of them
    has a first part over 12, month first when one has a second part over 12; DatesDisagree when
    both; else as given, or day first. None when no date is written so."""
    shown: dict[bool, tuple[int, str]] = {}
    either_way = None
    for line, cell in cells:
        if not (match := _DAY_MONTH.fullmatch(cell)):
            continue
        first, second = int(match[1]), int(match[3])
        if first <= 12 and second <= 12:
            either_way = either_way or (line, cell)
        elif first <= 12 or second <= 12:
            shown.setdefault(first > 12, (line, cell))
    if day_first is not None:
        return DateOrder(day_first, given=True, either_way=either_way)
    if len(shown) == 2:
        raise DatesDisagree(shown[True], shown[False])
    if not shown and either_way is None:
        return None
    order = next(iter(shown), True)
    return DateOrder(order, shown.get(order), either_way=either_way)


_SourceRow = tuple[int, dict | None, str | None]  # line number, the row or None, the problem


def _date_cells(records: Iterable[_SourceRow], column: str) -> Iterable[tuple[int, str]]:
    for line, record, _ in records:
        raw = record.get(column) if record is not None else None
        if raw is not None:
            yield line, str(raw).strip()


@dataclass(frozen=True)
class _Source:
    columns: list[str]
    records: list[_SourceRow]
    encoding: str = "utf-8"
    not_utf8_at: int | None = None
    delimiter: str | None = None


def _source(path: Path, encoding: str | None) -> _Source:
    """The file's columns and each of its rows, from a CSV or JSONL file."""
    raw, used, not_utf8_at = _decoded(path.read_bytes(), encoding)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        columns: dict[str, None] = {}  # every key of any row, in the order first seen
        records: list[_SourceRow] = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            value, problem = parse_object(line)
            columns.update(dict.fromkeys(value or {}))
            records.append((number, value, problem))
        return _Source(list(columns), records, used, not_utf8_at)
    delimiter = _delimiter(raw)
    found, records = _csv_records(raw, delimiter)
    return _Source(found, records, used, not_utf8_at, delimiter)


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decoded(data: bytes, encoding: str | None) -> tuple[str, str, int | None]:
    """The file's text, the encoding it was read in and, when it is not UTF-8, the first line that
    is not. UTF-8 (or what its byte order mark says), else Windows-1252, the encoding Excel saves CSV
    files in on Windows, else Latin-1: never a character replaced unseen."""
    named = encoding or next((name for bom, name in _BOMS if data.startswith(bom)), None)
    try:
        return data.decode(named or "utf-8-sig"), named or "utf-8", None
    except LookupError:
        raise NotDecodable(f"'{named}' is not an encoding Snag knows (e.g. utf-8, cp1252, latin-1).") from None
    except UnicodeDecodeError as exc:
        not_utf8_at = data.count(b"\n", 0, exc.start) + 1
        if named is not None:
            raise NotDecodable(f"Line {not_utf8_at} of the file cannot be read as {named}.") from None
    try:
        return data.decode("cp1252"), "cp1252", not_utf8_at
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves unused
        return data.decode("latin-1"), "latin-1", not_utf8_at


def _delimiter(text: str) -> str:
    """What separates the columns of the header line: a comma, semicolon, tab or bar (a comma when
    it has one column). Excel writes semicolons where the comma is the decimal point."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _csv_records(text: str, delimiter: str) -> tuple[list[str], list[_SourceRow]]:
    """The CSV's header and rows; a row the csv module cannot read is a problem on its line."""
    usual = csv.field_size_limit()
    csv.field_size_limit(max(usual, len(text)))  # a long cell is cut to the report limit later, not refused
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            columns = list(reader.fieldnames or [])
        except csv.Error as exc:
            raise InputError(f"The first line of the file cannot be read as CSV column names ({exc}).") from None
        records: list[_SourceRow] = []
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return columns, records
            except csv.Error as exc:
                records.append((reader.line_num, None, f"cannot be read as CSV ({exc})"))
            else:
                records.append((reader.line_num, record, None))
    finally:
        csv.field_size_limit(usual)


def _check_columns(columns: ColumnMap, found: list[str]) -> None:
    """MissingColumn for the first named column the file does not have."""
    if not found:  # an empty file, or no readable row: each line says what is wrong with it
        return
    for role, name in columns.named():
        if name not in found:
            raise MissingColumn(role, name, found)


def read_history(
    path: Path, columns: ColumnMap, *, limit: int = 40_000, now: datetime | None = None
) -> tuple[list[HistoryRow], list[RowProblem]]:
    """Every usable row and every problem, with line numbers, as read_file reads them."""
    history = read_file(path, columns, limit=limit, now=now)
    return history.rows, history.problems


def read_file(
    path: Path,
    columns: ColumnMap,
    *,
    limit: int = 40_000,
    now: datetime | None = None,
    encoding: str | None = None,
    day_first: bool | None = None,
) -> History:
    """Every usable row and every problem, with line numbers, and how the file was read; nothing is stored.

    Raises MissingColumn when a named column is not in the file, rather than reading every row
    without it (old history dated today, or every row skipped); DatesDisagree when its dates are
    written both day first and month first and `day_first` does not say which to read.
    """
    now = now or datetime.now(UTC)
    source = _source(path, encoding)
    _check_columns(columns, source.columns)
    dates = _date_order(_date_cells(source.records, columns.created_at), day_first) if columns.created_at else None
    read_day_first = dates.day_first if dates else True
    rows: list[HistoryRow] = []
    problems: list[RowProblem] = []
    for line, record, problem in source.records:
        if record is None:
            problems.append(RowProblem(line, problem or "unreadable"))
            continue
        read = _row(line, record, columns, limit=limit, now=now, day_first=read_day_first)
        if isinstance(read, str):
            problems.append(RowProblem(line, read))
        else:
            rows.append(read)
    rows, repeated = _identified(rows)
    problems = sorted(problems + repeated, key=lambda p: p.line)
    return History(rows, problems, source.encoding, source.not_utf8_at, source.delimiter, dates)


def _row(
    line: int, record: dict, columns: ColumnMap, *, limit: int, now: datetime, day_first: bool
) -> HistoryRow | str:
    """One record as a row, or what is wrong with it."""
    extra = [cell for cell in record.get(None) or () if cell.strip()]  # csv.DictReader's cells past the header's
    if extra:  # a separator in an unquoted text cut it short: the rest of it would be lost
        return (
            f"has {len(extra)} more cell(s) than the header line, starting '{extra[0][:40]}'; "
            "put a text that holds the separator in double quotes"
        )
    cleaned = clean_report_text(str(record.get(columns.text) or ""), limit=limit)
    if not cleaned.text:
        return f"no text in column '{columns.text}'"
    created = None
    if columns.created_at:
        raw = str(record.get(columns.created_at) or "").strip()
        if not raw:  # dated today, it would read as this week's problem
            return f"no date in column '{columns.created_at}'"
        try:
            created = _parse_time(raw, now=now, day_first=day_first)
        except _OutOfRange as exc:
            return f"'{raw}' {exc}; dates from {EARLIEST:%Y} to today are accepted"
        except ValueError:
            return f"'{raw}' is not a date; the dates read are like {_forms(day_first)}"
    reporter = str(record.get(columns.reporter) or "").strip() if columns.reporter else None
    named = record.get(columns.id or "id")
    source_id = None if named is None else str(named).strip() or None
    return HistoryRow(line, cleaned.text, created, source_id, reporter or None, cleaned.truncated_from)


def _identified(rows: list[HistoryRow]) -> tuple[list[HistoryRow], list[RowProblem]]:
    """The rows, each told from the others: a repeated id is a problem (the id names one row), and
    rows without an id that repeat another's text, date and reporter are numbered (2, 3...), so that
    two alike reports are both filed and a re-import of the file still files neither twice."""
    first_line: dict[str, int] = {}
    seen: dict[tuple[str, datetime | None, str | None], int] = {}
    out: list[HistoryRow] = []
    problems: list[RowProblem] = []
    for row in rows:
        if row.source_id is not None:
            if row.source_id in first_line:
                line = first_line[row.source_id]
                problems.append(
                    RowProblem(row.line, f"id '{row.source_id}' is also on line {line} (an id names one row)")
                )
                continue
            first_line[row.source_id] = row.line
            out.append(row)
            continue
        alike = (row.text, row.created_at, row.reporter)
        seen[alike] = seen.get(alike, 0) + 1
        out.append(replace(row, occurrence=seen[alike]))
    return out, problems


ImportItem = tuple[str, datetime, str, str, Tags]  # text, created_at, reporter key, event key, tags


@dataclass
class Imported:
    """What an import did: the reports it stored, and how far grouping them got."""

    stored: list[ReportRecord]
    left_ungrouped: int = 0  # reports of these rows an earlier import stored, then was stopped before grouping
    grouped: int = 0  # of stored and left_ungrouped, in date order
    to_group: list[ReportRecord] = field(default_factory=list, repr=False)


class ImportStopped(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) while grouping: the rows are stored, `imported` says how many are grouped.
    The same import run again groups the rest."""

    def __init__(self, imported: Imported) -> None:
        super().__init__()
        self.imported = imported


def import_history(
    snag: Snag, person: Person, rows: Sequence[HistoryRow], *, progress: Callable[[], object] | None = None
) -> list[ReportRecord]:
    """Tag and store history rows in one transaction, then group them into patterns (run_import)."""
    step = (lambda _done, _total: progress()) if progress else None
    return run_import(snag, person, rows, progress=step).stored


def run_import(
    snag: Snag,
    person: Person,
    rows: Sequence[HistoryRow],
    *,
    progress: Callable[[int, int], object] | None = None,
) -> Imported:
    """Tag and store history rows in one transaction, then group them into patterns, oldest first as
    `snag group --rebuild` does, with the rows an earlier import of them stored but did not group
    (it was stopped). `progress` hears (grouped, to group) after each report."""
    texts = [snag.redactor.redact(r.text) for r in rows]
    classify_many = getattr(snag.classifier, "classify_many", None)
    tags = list(classify_many(texts)) if classify_many else [snag.classifier.classify(t) for t in texts]
    items = _items(snag, person, rows, texts, tags)
    keys = [item[3] for item in items]
    earlier = snag.repository.imported_already(person=person, event_keys=keys) if snag.grouper else []
    stored = snag.repository.import_reports(person=person, items=items)
    left = [record for record in earlier if record.pattern_id is None]
    imported = Imported(stored, len(left), to_group=sorted(stored + left, key=lambda r: (r.created_at, r.id)))
    if snag.grouper is not None:
        _group(snag.grouper, imported, progress)
    return imported


def _items(
    snag: Snag, person: Person, rows: Sequence[HistoryRow], texts: Sequence[str], tags: Sequence[Tags]
) -> list[ImportItem]:
    """What import_reports stores of each row; a reporter is hashed as same_reporter() writes them."""
    now = snag.clock()
    secret = snag.options.reporter_secret
    unknown = unknown_reporter_key(secret, person.tenant)
    return [
        (
            text,
            row.created_at or now,
            reporter_key(secret, "import", person.tenant, same_reporter(row.reporter)) if row.reporter else unknown,
            row.event_key(secret),
            tag,
        )
        for row, text, tag in zip(rows, texts, tags, strict=True)
    ]


def _group(grouper: Grouper[Any], imported: Imported, progress: Callable[[int, int], object] | None) -> None:
    """Group the import's reports one by one, as they would have arrived; ImportStopped on Ctrl-C."""
    try:
        for record in imported.to_group:
            try:
                grouper.assign(record)
            except Exception as exc:
                log.error("grouping failed on imported report %s: %s", record.id, where(exc))
            imported.grouped += 1
            if progress:
                progress(imported.grouped, len(imported.to_group))
    except KeyboardInterrupt:
        raise ImportStopped(imported) from None


def stored_already(snag: Snag, person: Person, rows: Sequence[HistoryRow]) -> tuple[int, int]:
    """How many of the rows an earlier import stored, and how many of those it did not group (it
    was stopped): what a dry run tells. It only reads."""
    secret = snag.options.reporter_secret
    keys = [row.event_key(secret) for row in rows]
    there = snag.repository.imported_already(person=person, event_keys=keys)
    return len(there), sum(1 for record in there if record.pattern_id is None)


def unknown_reporter_key(secret: str, tenant: str) -> str:
    """The one reporter that every imported row not saying who reported counts as, in a tenant.

    One key for all such rows, at every import, because they could all be one person's: a key per
    row, per file or per file's content would let a few rows, or a re-import of an edited file,
    count as the k reporters that anonymity asks for. Its own namespace, so no name in a
    reporter column can share it.
    """
    return reporter_key(secret, "import:unknown", tenant, "")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: text starting like a formula gets a leading apostrophe
    (OWASP's advice for CSV injection: "=HYPERLINK(...)" in a report would otherwise run)."""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_rows(rows: Iterable[dict], fmt: str, out: TextIO) -> int:
    """Write dict rows as CSV (header from the first row, cells safe to open in a spreadsheet) or
    JSON lines (as stored); returns the count."""
    count = 0
    writer: csv.DictWriter | None = None
    for row in rows:
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        else:
            flat = {k: _cell(v) for k, v in row.items()}
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
        count += 1
    return count
