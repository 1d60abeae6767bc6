"""`snag group IN.jsonl > OUT.jsonl`: the grouping engine over a file of reports."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.jsonl import parse_object
from digests.engine import Engine, MemoryStore, Params, features_of
from digests.features import OwnIdf

__all__ = ["group_rows", "has_tags", "bcubed", "read_created_at", "read_jsonl"]


def bcubed(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a grouping against the true groups, report by report."""
    by_pred: dict[Hashable, set[int]] = defaultdict(set)
    by_gold: dict[Hashable, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        by_pred[p].add(i)
        by_gold[g].add(i)
    n = len(gold)
    shared = [len(by_pred[pred[i]] & by_gold[gold[i]]) for i in range(n)]
    precision = sum(shared[i] / len(by_pred[pred[i]]) for i in range(n)) / n
    recall = sum(shared[i] / len(by_gold[gold[i]]) for i in range(n)) / n
    return precision, recall, 2 * precision * recall / (precision + recall)


def text_only(params: Params) -> Params:
    """The same engine, judging by the words alone."""
    return replace(params, stage_veto=False, kind_weight=0.0, team_weight=0.0, stage_bonus=0.0, handoff_bonus=0.0)


def has_tags(row: dict[str, Any]) -> bool:
    return "kinds" in row or "stage" in row


CREATED_AT_FORMATS = (
    "an ISO 8601 date or date-time (e.g. 2026-11-03 or 2026-11-03T09:15:00Z) or a Unix timestamp in seconds"
)


def read_created_at(raw: object) -> datetime | None:
    """A created_at as an aware datetime (naive means UTC); None when absent; ValueError when unreadable.

    Strings are ISO 8601 only: "03/11/2026" could be 3 November or 11 March, so it is refused, not guessed.
    """
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return datetime.fromtimestamp(raw, UTC)
        if isinstance(raw, str):
            found = datetime.fromisoformat(raw.strip())
            return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    shown = json.dumps(raw, ensure_ascii=False)
    raise ValueError(f"created_at {shown} is not a date I can read; expected {CREATED_AT_FORMATS}")


def _when(row: dict[str, Any], now: datetime) -> datetime:
    return read_created_at(row.get("created_at")) or now


def group_rows(
    rows: list[dict[str, Any]],
    *,
    params: Params | None = None,
    now: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Each input row plus "pattern"; grouped in created_at order, written in input order.

    Rows without tags are grouped on their words alone: tags guessed by the classifier hurt
    more than they help (B-cubed F1 on digests/data/grouping.jsonl: 0.51 with guessed tags,
    0.56 on the text alone, 0.70 with people's tags). Terms are weighed as the bot weighs an
    organisation's reports (features.OwnIdf): by the reports so far, smoothed by the shipped tables.
    """
    now = now or datetime.now(UTC)
    if any(not has_tags(r) for r in rows):
        params = text_only(params or Params())
    own = OwnIdf()
    engine = Engine(MemoryStore(), params)
    when = [_when(row, now) for row in rows]
    order = sorted(range(len(rows)), key=lambda i: (when[i], i))
    pattern: dict[int, int] = {}
    for i in order:
        row = rows[i]
        text = str(row.get("text", ""))
        own.add(text)
        handoff = row.get("handoff") if isinstance(row.get("handoff"), dict) else None
        state, _ = engine.assign(
            features_of(
                text,
                stage=row.get("stage"),
                kinds=row.get("kinds") or (),
                teams=row.get("teams") or (),
                handoff=(handoff.get("from"), handoff.get("to")) if handoff else None,
                created_at=when[i],
                idf=own.tables,
            )
        )
        pattern[i] = state.id
    for i, row in enumerate(rows):
        yield {**row, "pattern": pattern[i]}


def read_jsonl(lines: Iterable[str | bytes]) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """Rows that are JSON objects with a text and a readable created_at, and (line number, problem) for the others.

    Lines may be bytes, each decoded on its own: a line that is not UTF-8 is one problem, not the
    whole file's. A byte order mark on line 1 is ignored, as `snag import` and `snag classify` do.
    """
    rows, problems = [], []
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            problems.append((number, f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8"))
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        row, problem = parse_object(line)
        if problem:
            problems.append((number, problem))
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            problems.append((number, 'not a JSON object with a "text"'))
            continue
        try:
            read_created_at(row.get("created_at"))
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        rows.append(row)
    return rows, problems
