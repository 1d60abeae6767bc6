"""Grouping a file's rows in tests: tags taken as they are (the shipped sets' people's tags), and
lines read as `snag group` reads them. What `snag group` itself does is digests/cli.py's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from digests.engine import Params
from digests.files import FileReport, Tags, assign_patterns, has_tags, read_created_at, read_lines

__all__ = ["group_rows", "read_jsonl"]


def group_rows(
    rows: list[dict[str, Any]],
    *,
    params: Params | None = None,
    now: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Each input row plus "pattern", its text and tags taken as they are (`snag group` checks them first)."""
    reports = [
        FileReport(
            text=str(row.get("text", "")),
            created_at=read_created_at(row.get("created_at")),
            tags=_tags_as_given(row) if has_tags(row) else None,
        )
        for row in rows
    ]
    for row, pattern in zip(rows, assign_patterns(reports, params=params, now=now), strict=True):
        yield {**row, "pattern": pattern}


def _tags_as_given(row: dict[str, Any]) -> Tags:
    handoff = row.get("handoff") if isinstance(row.get("handoff"), dict) else None
    return Tags(
        stage=row.get("stage"),
        kinds=tuple(row.get("kinds") or ()),
        teams=tuple(row.get("teams") or ()),
        handoff=(handoff.get("from"), handoff.get("to")) if handoff else None,
    )


def read_jsonl(lines: Iterable[str | bytes]) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """Rows read by `read_lines` with the id optional, and (line number, problem) for the others."""
    rows, problems = [], []
    for number, row, problem in read_lines(lines, need_id=False):
        if problem:
            problems.append((number, problem))
        else:
            rows.append(row or {})
    return rows, problems
