"""The shipped labelled data loads, fits the taxonomy, and splits the same way every time."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport, is_dev, load_reports, split


def test_the_dev_split_follows_the_last_hex_digit_of_the_sha1() -> None:
    for report_id in ("health-0001", "x", "telecom-0150", "retail_warehouse-0042"):
        digit = hashlib.sha1(report_id.encode()).hexdigest()[-1]
        assert is_dev(report_id) is (digit in "012")
    assert is_dev("x") and not is_dev("health-0001")


def test_the_split_is_a_partition_and_stable(shipped: list[LabelledReport]) -> None:
    train, dev = split(shipped)
    again_train, again_dev = split(list(reversed(shipped)))
    assert {r.id for r in dev} == {r.id for r in again_dev}
    assert {r.id for r in train} | {r.id for r in dev} == {r.id for r in shipped}
    assert not {r.id for r in train} & {r.id for r in dev}
    assert 0.12 < len(dev) / len(shipped) < 0.26  # 3 of 16 digits


def test_shipped_data_covers_every_label(shipped: list[LabelledReport], taxonomy: Taxonomy) -> None:
    stages = Counter(r.stage for r in shipped)
    kinds = Counter(k for r in shipped for k in r.kinds)
    teams = Counter(t for r in shipped for t in r.teams)
    assert all(stages[s] >= 20 for s in taxonomy.stage_labels), stages
    assert all(kinds[k] >= 20 for k in taxonomy.kind_labels), kinds
    assert all(teams[t] >= 20 for t in taxonomy.team_labels), teams
    assert len({r.industry for r in shipped}) >= 8
    assert all(r.kinds for r in shipped)


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows), encoding="utf-8")
    return path


GOOD = {
    "id": "a",
    "text": "refund stuck",
    "stage": "billing",
    "kinds": ["waiting"],
    "teams": ["finance"],
    "handoff": {"from": "support", "to": "finance"},
}


def test_bad_lines_are_skipped_or_named_in_strict_mode(tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = _write(
        tmp_path,
        [GOOD, "{oops", {**GOOD, "id": "b", "stage": "nope"}, {**GOOD, "id": "c", "text": ""}],
    )
    loaded = load_reports(taxonomy, [path])
    assert [r.id for r in loaded] == ["a"]
    assert loaded[0].handoff == ("support", "finance")
    with pytest.raises(InputError, match="line 2"):
        load_reports(taxonomy, [path], strict=True)


def test_unknown_teams_and_kinds_are_refused(tmp_path: Path, taxonomy: Taxonomy) -> None:
    for bad in ({"kinds": ["moaning"]}, {"teams": ["hr"]}, {"handoff": {"from": "hr", "to": None}}):
        path = _write(tmp_path, [{**GOOD, **bad}])
        with pytest.raises(InputError, match="line 1"):
            load_reports(taxonomy, [path], strict=True)


def test_an_empty_handoff_counts_as_none(tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = _write(tmp_path, [{**GOOD, "handoff": {"from": None, "to": None}}])
    assert load_reports(taxonomy, [path])[0].handoff is None
