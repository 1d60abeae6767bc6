"""`snag group IN.jsonl > OUT.jsonl`: the grouping engine over a file of reports."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.errors import InputError
from classifier.dataset import read_jsonl as read_objects
from classifier.dataset import report_id, report_text
from digests.engine import Engine, MemoryStore, Params, features_of
from digests.features import OwnIdf

if TYPE_CHECKING:
    from bot.taxonomy import Taxonomy

__all__ = [
    "FileReport",
    "Tags",
    "assign_patterns",
    "has_tags",
    "machine_tagged",
    "bcubed",
    "read_created_at",
    "read_lines",
    "read_tags",
]


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


def machine_tagged(row: dict[str, Any]) -> bool:
    """Tags with a "confidence" are the classifier's guesses (`snag classify` writes them so), not a person's."""
    return "confidence" in row


@dataclass(frozen=True)
class Tags:
    """A person's tags of one report, in the taxonomy's labels."""

    stage: str | None = None
    kinds: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    handoff: tuple[str | None, str | None] | None = None


@dataclass(frozen=True)
class FileReport:
    """What grouping reads of one line: the text as the bot keeps it, when, and its tags (None: untagged)."""

    text: str
    created_at: datetime | None = None
    tags: Tags | None = None


def read_tags(row: dict[str, Any], taxonomy: Taxonomy, problems: list[str] | None = None) -> Tags:
    """A line's tags in the taxonomy's labels; a label's title, alias or case are read as the label,
    and null as none ("kinds": null is no kinds, as pandas writes an empty list).

    What cannot be used, as `snag eval` would say it (a label the taxonomy lacks, a value of the
    wrong shape: "kinds" is a list, "stage" a label or null), is left out and said in `problems`:
    a bad stage is no stage, a bad kind or team is dropped, a bad handoff is none, and the line
    keeps its other tags, since one typo should not cost a line what its person said. Without
    `problems`, InputError says what the first one was.
    """
    stage = row.get("stage")
    return Tags(
        stage=None if stage is None else _one(taxonomy, "stage", stage, problems),
        kinds=_labels(taxonomy, "kind", row.get("kinds"), problems),
        teams=_labels(taxonomy, "team", row.get("teams"), problems),
        handoff=_handoff(taxonomy, row.get("handoff"), problems),
    )


def _said(problems: list[str] | None, problem: InputError) -> None:
    """Note a value left out, or raise when the caller keeps no list of them."""
    if problems is None:
        raise problem
    problems.append(problem.message)


def _one(taxonomy: Taxonomy, axis: str, typed: object, problems: list[str] | None) -> str | None:
    """A label, or None (said in `problems`) when it cannot be used."""
    try:
        return _label(taxonomy, axis, typed)
    except InputError as exc:
        _said(problems, exc)
        return None


def _handoff(taxonomy: Taxonomy, value: object, problems: list[str] | None) -> tuple[str | None, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        _said(problems, InputError(f'\'handoff\' must be null or {{"from": team, "to": team}} (got {_shown(value)})'))
        return None
    try:
        sides = [None if value.get(side) is None else _label(taxonomy, "team", value[side]) for side in ("from", "to")]
    except InputError as exc:  # half a handoff would say it went to or from no one
        _said(problems, exc)
        return None
    return None if sides == [None, None] else (sides[0], sides[1])


def _labels(taxonomy: Taxonomy, axis: str, value: object, problems: list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        _said(problems, InputError(f"'{axis}s' must be a list of labels (got {_shown(value)})"))
        return ()
    found = (_one(taxonomy, axis, v, problems) for v in value)
    return tuple(dict.fromkeys(label for label in found if label is not None))


def _label(taxonomy: Taxonomy, axis: str, typed: object) -> str:
    if not isinstance(typed, str):
        raise InputError(f"a {axis} is a label, a string (got {_shown(typed)})")
    found = taxonomy.find(axis, typed)
    if found is None:
        guess = taxonomy.closest(axis, typed)
        hint = f" (did you mean {' or '.join(guess)}?)" if guess else ""
        raise InputError(f"{_shown(typed)} is not a {axis} of the taxonomy{hint}")
    return found


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)[:40]


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


def assign_patterns(
    reports: Sequence[FileReport],
    *,
    params: Params | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The pattern of each report; grouped in created_at order (none: `now`), listed in input order.

    When any report is untagged all are grouped on their words alone: tags guessed by the classifier
    hurt more than they help (B-cubed F1 on digests/data/grouping.jsonl: 0.51 with guessed tags,
    0.56 on the text alone, 0.70 with people's tags). Terms are weighed as the bot weighs an
    organisation's reports (features.OwnIdf): by the reports so far, smoothed by the shipped tables.
    """
    now = now or datetime.now(UTC)
    if any(r.tags is None for r in reports):
        params = text_only(params or Params())
    own = OwnIdf()
    engine = Engine(MemoryStore(), params)
    when = [r.created_at or now for r in reports]
    pattern: dict[int, int] = {}
    for i in sorted(range(len(reports)), key=lambda i: (when[i], i)):
        report = reports[i]
        tags = report.tags or Tags()
        own.add(report.text)
        state, _ = engine.assign(
            features_of(
                report.text,
                stage=tags.stage,
                kinds=tags.kinds,
                teams=tags.teams,
                handoff=tags.handoff,
                created_at=when[i],
                idf=own.tables,
            )
        )
        pattern[i] = state.id
    return [pattern[i] for i in range(len(reports))]


def read_lines(
    lines: Iterable[str | bytes], *, need_id: bool = True
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row, problem) per non-blank line, a line read as `snag classify` reads it.

    The same reader (classifier.dataset): each line decoded on its own, a byte order mark on
    line 1 ignored, an "id" and a non-empty "text" needed; and a created_at that can be read.
    """
    for number, row, problem in read_objects(lines):
        if problem is None:
            problem = _line_problem(row or {}, need_id=need_id)
        yield number, None if problem else row, problem


def _line_problem(row: dict[str, Any], *, need_id: bool) -> str | None:
    try:
        if need_id:
            report_id(row)
        report_text(row)
        read_created_at(row.get("created_at"))
    except InputError as exc:
        return exc.message
    except ValueError as exc:
        return str(exc)
    return None
