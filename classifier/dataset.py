"""Labelled reports: load the shipped jsonl files, check them against the taxonomy, split dev."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError
from bot.jsonl import parse_object
from bot.taxonomy import Taxonomy
from bot.text import clean_report_text

__all__ = [
    "DATA_DIR",
    "LabelledReport",
    "is_dev",
    "split",
    "LABEL_FIELDS",
    "parse_report",
    "report_id",
    "report_id_and_text",
    "report_text",
    "read_jsonl",
    "load_reports",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "reports"
_DEV_DIGITS = frozenset("012")
# The labels a line of a labelled file must carry ('stage' may be null); 'handoff' may be left
# out, which means no handoff, as `null` does.
LABEL_FIELDS = ("stage", "kinds", "teams")


@dataclass(frozen=True)
class LabelledReport:
    """One report's text with the tags a person gave it."""

    id: str
    text: str
    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    handoff: tuple[str | None, str | None] | None = None
    industry: str = ""


def is_dev(report_id: str) -> bool:
    """The fixed dev split: the SHA-1 of the id ends in 0, 1 or 2."""
    return hashlib.sha1(report_id.encode("utf-8")).hexdigest()[-1] in _DEV_DIGITS


def split(reports: Iterable[LabelledReport]) -> tuple[list[LabelledReport], list[LabelledReport]]:
    """(train, dev) by the fixed rule of `is_dev`."""
    train: list[LabelledReport] = []
    dev: list[LabelledReport] = []
    for report in reports:
        (dev if is_dev(report.id) else train).append(report)
    return train, dev


class _Reading:
    """How a line's labels are read: exactly (shipped data, corrections), or `by_name` (an evaluation
    file written by people): a title or alias names its label, and an unknown one gets a guess."""

    def __init__(self, taxonomy: Taxonomy, by_name: bool) -> None:
        self.taxonomy, self.by_name = taxonomy, by_name
        self.read_as: dict[str, str] = {}  # an alias or title read, by_name, as its label

    def label(self, axis: str, value: str, what: str) -> str:
        allowed = {"stage": self.taxonomy.stage_labels, "kind": self.taxonomy.kind_labels}.get(
            axis, self.taxonomy.team_labels
        )
        if value in allowed:
            return value
        found = self.taxonomy.find(axis, value) if self.by_name else None
        if found is not None:
            self.read_as[value] = found
            return found
        guesses = self.taxonomy.closest(axis, value) if self.by_name else ()
        hint = f" (did you mean {' or '.join(map(repr, guesses))}?)" if guesses else ""
        raise InputError(f"unknown {what} {value!r}{hint}.")


def _labels(value: object, reading: _Reading, axis: str, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{what}' must be a list of labels.")
    return tuple(dict.fromkeys(reading.label(axis, v, what) for v in value))


def _handoff(value: object, reading: _Reading) -> tuple[str | None, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError('\'handoff\' must be null or {"from": team, "to": team}.')
    sides = tuple(
        None if side is None else reading.label("team", side, "handoff team") if isinstance(side, str) else side
        for side in (value.get("from"), value.get("to"))
    )
    if any(side is not None and not isinstance(side, str) for side in sides):
        raise InputError('\'handoff\' must be null or {"from": team, "to": team}.')
    return None if sides == (None, None) else (sides[0], sides[1])


def report_id_and_text(row: dict) -> tuple[str | int, str]:
    """The 'id' and 'text' every report line needs, read the same way by classify, eval and training.

    The id is a non-empty string or a whole number (3.0 is read as 3); the text is a string
    with something left once white space and invisible characters are removed, as the bot
    cleans a report. InputError names what is wrong.
    """
    return report_id(row), report_text(row)


def report_id(row: dict) -> str | int:
    """The line's 'id': a non-empty string, or a whole number, 3.0 included (read as 3: spreadsheet
    and pandas exports write whole numbers so); InputError otherwise."""
    found = row.get("id")
    if isinstance(found, str) and found.strip():
        return found
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    if isinstance(found, float) and found.is_integer():
        return int(found)
    raise InputError(f"'id' must be a non-empty string or a whole number (got {_shown(found)}).")


def report_text(row: dict) -> str:
    """The line's 'text', as written: a string with something in it once the bot has cleaned it."""
    text = row.get("text")
    if not isinstance(text, str) or clean_report_text(text).empty:
        raise InputError(f"'text' must be a non-empty string (got {_shown(text)}).")
    return text


def _shown(value: object) -> str:
    return "nothing" if value is None else json.dumps(value)[:40]


def parse_report(row: dict, taxonomy: Taxonomy, *, read_as: dict[str, str] | None = None) -> LabelledReport:
    """A LabelledReport from one decoded jsonl object; InputError names what is wrong.

    Labels must be the taxonomy's own, unless `read_as` is given (an evaluation file written by
    people): then a label's title or alias names it too (a label renamed and kept as an alias), is
    added to `read_as` with the label it was read as, and an unknown one gets a did-you-mean."""
    reading = _Reading(taxonomy, by_name=read_as is not None)
    report_id, text = report_id_and_text(row)
    missing = [name for name in LABEL_FIELDS if name not in row]
    if missing:
        raise InputError(f"no labels: {', '.join(repr(m) for m in missing)} missing ('stage' may be null).")
    stage = row.get("stage")
    if stage is not None and not isinstance(stage, str):
        raise InputError(f"unknown stage {stage!r}.")
    report = LabelledReport(
        id=str(report_id),
        text=text,
        stage=None if stage is None else reading.label("stage", stage, "stage"),
        kinds=_labels(row.get("kinds", []), reading, "kind", "kinds"),
        teams=_labels(row.get("teams", []), reading, "team", "teams"),
        handoff=_handoff(row.get("handoff"), reading),
        industry=str(row.get("industry") or ""),
    )
    if read_as is not None:
        read_as.update(reading.read_as)
    return report


def read_jsonl(lines: Iterable[str | bytes]) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object, problem) per non-blank line; problem says why it is no object.

    Lines may be bytes (a file opened in binary): each is decoded on its own, so one line that
    is not UTF-8 is reported and the others are read. A byte order mark on line 1 is ignored.
    """
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8"
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        row, problem = parse_object(line)
        if problem:
            yield number, None, problem
            continue
        yield number, row, None


def load_reports(
    taxonomy: Taxonomy, paths: Iterable[Path] | None = None, *, strict: bool = False
) -> list[LabelledReport]:
    """Every labelled report in the files (default: the shipped data); bad lines are skipped."""
    files = sorted(DATA_DIR.glob("*.jsonl")) if paths is None else list(paths)
    reports: dict[str, LabelledReport] = {}
    for path in files:
        with Path(path).open("rb") as fh:
            for number, row, problem in read_jsonl(fh):
                try:
                    if problem:
                        raise InputError(problem)
                    report = parse_report(row or {}, taxonomy)
                except InputError as exc:
                    if strict:
                        raise InputError(f"{path} line {number}: {exc.message}") from exc
                    continue
                reports[report.id] = report
    return list(reports.values())
