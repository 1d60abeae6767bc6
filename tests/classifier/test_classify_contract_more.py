"""`snag classify`: an id written 3.0, and the model it trains when there is none (said first, no database made)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from classifier import cli
from tests.conftest import FixedClassifier, run_snag

LINES = b'{"id": 3.0, "text": "refund sat with finance for 3 weeks"}\n{"id": "b", "text": "van left late"}\n'


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no model and no database, as a first `snag classify` finds it."""
    for name in ("SNAG_DATABASE_URL", "SNAG_TAXONOMY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_bytes(LINES)
    return tmp_path


def test_a_whole_number_written_as_a_float_is_an_id_and_the_line_is_kept(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_classifier", lambda settings, taxonomy: FixedClassifier())
    (tmp_path / "in.jsonl").write_bytes(LINES)
    code, out, err = run_snag(monkeypatch, capsys, "classify", "in.jsonl")
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith('{"id": 3.0, "text": "refund sat with finance for 3 weeks", "stage": "billing"')
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3.0, "b"]


@pytest.fixture
def trainings(model_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    """Training replaced by a copy of the session's small model; each call records what it was given."""
    calls: list[dict] = []

    def train(taxonomy, reports, out_dir, **_: object):  # type: ignore[no-untyped-def]
        calls.append({"reports": len(reports), "said_before": capsys.readouterr().err, "out_dir": Path(out_dir)})
        shutil.copytree(model_home / "models", out_dir, dirs_exist_ok=True)
        version = (model_home / "models" / "LATEST").read_text(encoding="utf-8").strip()
        return SimpleNamespace(version=version, path=Path(out_dir) / version)

    monkeypatch.setattr("classifier.train.train", train)
    return calls


def _shipped_count() -> int:
    from bot.taxonomy import load_taxonomy
    from classifier.corrections import shipped_reports

    return len(shipped_reports(load_taxonomy()))


def test_with_no_model_it_says_so_first_and_trains_on_the_shipped_data_without_a_database(  # type: ignore[no-untyped-def]
    empty_home: Path, trainings: list[dict], monkeypatch, capsys
) -> None:
    code, out, err = run_snag(monkeypatch, capsys, "classify", "in.jsonl")
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3.0, "b"]
    [call] = trainings
    said = call["said_before"]
    assert f"No trained model for this taxonomy in {empty_home / 'var' / 'models'}: training one now" in said
    assert "from the shipped data (about 1-2 minutes; `make model` does it ahead of time)" in said
    assert call["reports"] == _shipped_count()
    assert not (empty_home / "var" / "snag.db").exists()  # no database made, none migrated


def test_an_existing_database_is_read_as_it_is_never_migrated(  # type: ignore[no-untyped-def]
    empty_home: Path, trainings: list[dict], monkeypatch, capsys
) -> None:
    (empty_home / "var").mkdir()
    database = empty_home / "var" / "snag.db"
    sqlite3.connect(database).close()  # a database file with no tables
    code, _, err = run_snag(monkeypatch, capsys, "classify", "in.jsonl")
    assert code == 0, err
    [call] = trainings
    assert "from the shipped data and the corrections in the database" in call["said_before"]
    assert "No corrections read from the database (not reachable, or not migrated" in call["said_before"]
    assert call["reports"] == _shipped_count()
    with sqlite3.connect(database) as db:
        assert db.execute("select name from sqlite_master where type = 'table'").fetchall() == []


def test_with_too_little_labelled_the_rules_tag_and_that_is_said(empty_home: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from classifier.examples import NotEnoughLabels

    def train(*_: object, **__: object) -> None:
        raise NotEnoughLabels("Nothing is labelled for this taxonomy's labels yet (...). Snag tags with the rules.")

    monkeypatch.setattr("classifier.train.train", train)
    code, out, err = run_snag(monkeypatch, capsys, "classify", "in.jsonl")
    assert code == 0, err
    assert "Nothing is labelled for this taxonomy's labels yet" in err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3.0, "b"]
    assert not (empty_home / "var" / "snag.db").exists()
