"""Importing history (an old spreadsheet of issues) and exporting reports and patterns."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.domain import Person, ReportRecord
from bot.errors import InputError
from bot.jsonl import parse_object
from bot.logs import where
from bot.roles import reporter_key
from bot.text import clean_report_text

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = [
    "ColumnMap",
    "HistoryRow",
    "MissingColumn",
    "RowProblem",
    "read_history",
    "import_history",
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


@dataclass(frozen=True)
class HistoryRow:
    line: int
    text: str
    created_at: datetime | None
    source_id: str | None  # the row's id column; None when the file has none, or the row's cell is empty
    reporter: str | None
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


@dataclass(frozen=True)
class RowProblem:
    line: int
    problem: str


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


class _OutOfRange(ValueError):
    """A date that parses but cannot be when a report was made."""


def _parse_time(raw: object, *, now: datetime) -> datetime:
    """A date in one of the usual spreadsheet forms, in UTC, between 1990 and a day after `now`."""
    parsed = _parse_any(str(raw).strip())
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise _OutOfRange("is out of range") from None
    if parsed < EARLIEST:
        raise _OutOfRange(f"is before {EARLIEST:%Y}")
    if parsed > now + timedelta(days=1):
        raise _OutOfRange("is more than a day in the future")
    return parsed


def _parse_any(text: str) -> datetime:
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_SourceRow = tuple[int, dict | None, str | None]  # line number, the row or None, the problem


def _records(path: Path) -> tuple[list[str], list[_SourceRow]]:
    """The file's columns and each of its rows, from a CSV or JSONL file."""
    raw = path.read_bytes().decode("utf-8-sig", errors="replace")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        columns: dict[str, None] = {}  # every key of any row, in the order first seen
        records: list[_SourceRow] = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            value, problem = parse_object(line)
            columns.update(dict.fromkeys(value or {}))
            records.append((number, value, problem))
        return list(columns), records
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    records = [(reader.line_num, record, None) for record in reader]
    return list(reader.fieldnames or []), records


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
    """Every usable row and every problem, with line numbers; nothing is stored here.

    Raises MissingColumn when a named column is not in the file, rather than reading every row
    without it (old history dated today, or every row skipped).
    """
    now = now or datetime.now(UTC)
    rows: list[HistoryRow] = []
    problems: list[RowProblem] = []
    found, records = _records(path)
    _check_columns(columns, found)
    for line, record, problem in records:
        read = _row(line, record, columns, limit=limit, now=now) if record is not None else problem or "unreadable"
        if isinstance(read, str):
            problems.append(RowProblem(line, read))
        else:
            rows.append(read)
    rows, repeated = _identified(rows)
    return rows, sorted(problems + repeated, key=lambda p: p.line)


def _row(line: int, record: dict, columns: ColumnMap, *, limit: int, now: datetime) -> HistoryRow | str:
    """One record as a row, or what is wrong with it."""
    cleaned = clean_report_text(str(record.get(columns.text) or ""), limit=limit)
    if not cleaned.text:
        return f"no text in column '{columns.text}'"
    created = None
    raw = record.get(columns.created_at) if columns.created_at else None
    if raw not in (None, ""):
        try:
            created = _parse_time(raw, now=now)
        except _OutOfRange as exc:
            return f"'{raw}' {exc}; dates from {EARLIEST:%Y} to today are accepted"
        except ValueError:
            return f"'{raw}' is not a date"
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


def import_history(
    snag: Snag, person: Person, rows: Sequence[HistoryRow], *, progress: Callable[[], object] | None = None
) -> list[ReportRecord]:
    """Tag and store history rows in one transaction, then group them into patterns."""
    texts = [snag.redactor.redact(r.text) for r in rows]
    classify_many = getattr(snag.classifier, "classify_many", None)
    tags = list(classify_many(texts)) if classify_many else [snag.classifier.classify(t) for t in texts]
    now = snag.clock()
    secret = snag.options.reporter_secret
    unknown = unknown_reporter_key(secret, person.tenant)
    items = [
        (
            text,
            row.created_at or now,
            reporter_key(secret, "import", person.tenant, row.reporter) if row.reporter else unknown,
            row.event_key(secret),
            tag,
        )
        for row, text, tag in zip(rows, texts, tags, strict=True)
    ]
    records = snag.repository.import_reports(person=person, items=items)
    for record in records:
        if snag.grouper is not None:
            try:
                snag.grouper.assign(record)
            except Exception as exc:
                log.error("grouping failed on imported report %s: %s", record.id, where(exc))
        if progress:
            progress()
    return records


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
