"""Importing history (an old spreadsheet of issues) and exporting reports and patterns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.domain import Person, ReportRecord
from bot.jsonl import parse_object
from bot.logs import where
from bot.roles import reporter_key
from bot.text import clean_report_text

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["ColumnMap", "HistoryRow", "RowProblem", "read_history", "import_history", "write_rows"]

log = logging.getLogger("snag.core")


@dataclass(frozen=True)
class ColumnMap:
    text: str = "text"
    created_at: str = "created_at"
    id: str = "id"
    reporter: str | None = None


@dataclass(frozen=True)
class HistoryRow:
    line: int
    text: str
    created_at: datetime | None
    source_id: str
    reporter: str | None
    truncated_from: int | None = None  # original length when the text was cut to the limit

    @property
    def event_key(self) -> str:
        """Stable per source row, so importing the same file twice files nothing twice."""
        digest = hashlib.sha1(f"{self.source_id}\x1f{self.text}".encode("utf-8", "replace")).hexdigest()
        return f"import:{digest[:32]}"


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


def _records(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, record or None, problem) from a CSV or JSONL file."""
    raw = path.read_bytes().decode("utf-8-sig", errors="replace")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            value, problem = parse_object(line)
            yield number, value, problem
        return
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    for record in reader:
        yield reader.line_num, record, None


def read_history(
    path: Path, columns: ColumnMap, *, limit: int = 40_000, now: datetime | None = None
) -> tuple[list[HistoryRow], list[RowProblem]]:
    """Every usable row and every problem, with line numbers; nothing is stored here."""
    now = now or datetime.now(UTC)
    rows: list[HistoryRow] = []
    problems: list[RowProblem] = []
    for line, record, problem in _records(path):
        if record is None:
            problems.append(RowProblem(line, problem or "unreadable"))
            continue
        cleaned = clean_report_text(str(record.get(columns.text) or ""), limit=limit)
        text = cleaned.text
        if not text:
            problems.append(RowProblem(line, f"no text in column '{columns.text}'"))
            continue
        created = None
        if record.get(columns.created_at) not in (None, ""):
            try:
                created = _parse_time(record[columns.created_at], now=now)
            except _OutOfRange as exc:
                raw = record[columns.created_at]
                problems.append(RowProblem(line, f"'{raw}' {exc}; dates from {EARLIEST:%Y} to today are accepted"))
                continue
            except ValueError:
                problems.append(RowProblem(line, f"'{record[columns.created_at]}' is not a date"))
                continue
        reporter = str(record.get(columns.reporter) or "") if columns.reporter else None
        source_id = str(record.get(columns.id) or line)
        rows.append(HistoryRow(line, text, created, source_id, reporter or None, cleaned.truncated_from))
    return rows, problems


def import_history(
    snag: Snag, person: Person, rows: Sequence[HistoryRow], *, progress: Callable[[], object] | None = None
) -> list[ReportRecord]:
    """Tag and store history rows in one transaction, then group them into patterns."""
    texts = [snag.redactor.redact(r.text) for r in rows]
    classify_many = getattr(snag.classifier, "classify_many", None)
    tags = list(classify_many(texts)) if classify_many else [snag.classifier.classify(t) for t in texts]
    now = snag.clock()
    secret = snag.options.reporter_secret
    items = [
        (
            text,
            row.created_at or now,
            reporter_key(secret, "import", person.tenant, row.reporter or f"row:{row.event_key}"),
            row.event_key,
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


def write_rows(rows: Iterable[dict], fmt: str, out: TextIO) -> int:
    """Write dict rows as CSV (header from the first row) or JSON lines; returns the count."""
    count = 0
    writer: csv.DictWriter | None = None
    for row in rows:
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        else:
            flat = {k: (";".join(v) if isinstance(v, list | tuple) else v) for k, v in row.items()}
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
        count += 1
    return count
