"""`snag classify`, `snag eval` and `snag train`: the file contract, bad lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.taxonomy import Taxonomy
from classifier.cli import register

GOOD = [
    {"id": "a1", "text": "refund sat with finance for 3 weeks", "source": "import", "n": 1},
    {"id": 2, "text": "sent it over to the warehouse and never heard back"},
]
OUTPUT_KEYS = {"stage", "kinds", "teams", "handoff", "confidence"}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # keeps typer from collapsing to a single command
        """Snag (test)."""

    return app


def _lines(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def _check_output_row(row: dict, taxonomy: Taxonomy) -> None:
    assert OUTPUT_KEYS <= set(row)
    assert row["stage"] is None or row["stage"] in taxonomy.stage_labels
    assert isinstance(row["kinds"], list) and set(row["kinds"]) <= set(taxonomy.kind_labels)
    assert isinstance(row["teams"], list) and set(row["teams"]) <= set(taxonomy.team_labels)
    assert row["handoff"] is None or set(row["handoff"]) == {"from", "to"}
    assert all(isinstance(v, float) for v in row["confidence"].values())


def test_classify_a_file_carries_fields_through(app, classifier_env: Path, tmp_path: Path, taxonomy) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in.jsonl"
    source.write_text(_lines(*GOOD), encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", str(source)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a1", 2]
    assert rows[0]["source"] == "import" and rows[0]["n"] == 1 and rows[0]["text"] == GOOD[0]["text"]
    for row in rows:
        _check_output_row(row, taxonomy)
    assert result.stderr == ""


def test_classify_reads_stdin_and_skips_malformed_lines_with_their_numbers(app, classifier_env: Path, taxonomy) -> None:  # type: ignore[no-untyped-def]
    stdin = _lines(GOOD[0], "{not json", '["a", "list"]', {"text": "no id"}, {"id": 5, "text": 7}, "", GOOD[1])
    result = CliRunner().invoke(app, ["classify", "-"], input=stdin)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a1", 2]
    for number in (2, 3, 4, 5):
        assert f"line {number}:" in result.stderr
    assert "line 1:" not in result.stderr and "line 7:" not in result.stderr
    assert "4 malformed line(s) skipped" in result.stderr


def test_classify_an_empty_input_is_fine(app, classifier_env: Path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["classify", "-"], input="")
    assert result.exit_code == 0 and result.stdout == ""


def test_classify_a_missing_file_fails_with_a_sentence(app, classifier_env: Path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["classify", "nope.jsonl"])
    assert result.exit_code == 2 and "Cannot read nope.jsonl" in result.stderr


def test_eval_prints_per_label_scores_averages_and_a_confusion_matrix(
    app, classifier_env: Path, tmp_path: Path, shipped
) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "id": r.id,
            "text": r.text,
            "stage": r.stage,
            "kinds": list(r.kinds),
            "teams": list(r.teams),
            "handoff": {"from": r.handoff[0], "to": r.handoff[1]} if r.handoff else None,
        }
        for r in shipped[:40]
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text(_lines(*rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for heading in (
        "stage: per label",
        "kinds: per label",
        "teams: per label",
        "stage confusion",
        "macro",
        "micro",
        "handoff_exact",
    ):
        assert heading in result.stdout
    assert "billing" in result.stdout and "precision" in result.stdout


def test_eval_reports_bad_lines(app, classifier_env: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "gold.jsonl"
    path.write_text(
        _lines(
            {
                "id": "x",
                "text": "refund late",
                "stage": "billing",
                "kinds": ["waiting"],
                "teams": [],
            },
            "{bad",
        )
    )
    result = CliRunner().invoke(app, ["eval", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "line 2:" in result.stderr and "stage: per label" in result.stdout


def test_train_writes_a_new_model_and_points_latest_at_it(  # type: ignore[no-untyped-def]
    app, classifier_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, subset
) -> None:
    from classifier import corrections

    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'snag.db'}")
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(subset[:60]))
    result = CliRunner().invoke(app, ["train", "--epochs", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    version = (tmp_path / "var" / "models" / "LATEST").read_text().strip()
    assert f"Trained model {version} on 60 reports" in result.stdout


def test_the_installed_snag_command_keeps_the_contract(classifier_env: Path, taxonomy: Taxonomy) -> None:
    snag = Path(sys.executable).parent / "snag"
    if not snag.exists():
        pytest.skip("the snag console script is not installed in this environment")
    done = subprocess.run(
        [str(snag), "classify", "-"],
        input=_lines(GOOD[0], "oops", GOOD[1]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "line 2:" in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a1", 2]
    for row in rows:
        _check_output_row(row, taxonomy)
