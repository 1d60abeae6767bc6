"""`snag group IN.jsonl > OUT.jsonl`: the grouping engine over a file of reports."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from bot.domain import Tags
from digests.engine import Engine, MemoryStore, Params, features_of

__all__ = ["group_rows", "has_tags"]


def has_tags(row: dict[str, Any]) -> bool:
    return "kinds" in row or "stage" in row


def _when(row: dict[str, Any], index: int, now: datetime) -> datetime:
    raw = row.get("created_at")
    if not raw:
        return now
    found = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def group_rows(
    rows: list[dict[str, Any]], *, classify: Callable[[list[str]], list[Tags]] | None = None,
    params: Params | None = None, now: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Each input row plus "pattern"; grouped in created_at order, written in input order."""
    now = now or datetime.now(UTC)
    untagged = [i for i, r in enumerate(rows) if not has_tags(r)]
    tagged: dict[int, Tags] = {}
    if untagged and classify is not None:
        tagged = dict(zip(untagged, classify([str(rows[i].get("text", "")) for i in untagged]), strict=True))
    engine = Engine(MemoryStore(), params)
    order = sorted(range(len(rows)), key=lambda i: (_when(rows[i], i, now), i))
    pattern: dict[int, int] = {}
    for i in order:
        row = rows[i]
        tags = tagged.get(i)
        handoff = row.get("handoff") if tags is None else (
            {"from": tags.handoff.from_team, "to": tags.handoff.to_team} if tags.handoff else None
        )
        state, _ = engine.assign(
            features_of(
                str(row.get("text", "")),
                stage=tags.stage if tags else row.get("stage"),
                kinds=tags.kinds if tags else row.get("kinds") or (),
                teams=tags.teams if tags else row.get("teams") or (),
                handoff=(handoff.get("from"), handoff.get("to")) if handoff else None,
                created_at=_when(row, i, now),
            )
        )
        pattern[i] = state.id
    for i, row in enumerate(rows):
        yield {**row, "pattern": pattern[i]}


def read_jsonl(lines: Iterable[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]
