"""What `snag classify` and `snag eval` write: every line in UTF-8, a closed stdout, `snag train`'s numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier import cli
from tests.conftest import FixedClassifier

LABELS = {"stage": "billing", "kinds": ["waiting"], "teams": ["finance"]}
# Valid JSON whose strings hold a lone surrogate: Python reads them, UTF-8 cannot write them.
SURROGATES = (
    b'{"id":1,"text":"first"}\n'
    b'{"id":2,"text":"bad \\ud800 x"}\n'
    b'{"id":3,"text":"t","note":"\\udfff"}\n'
    b'{"id":4,"text":"fourth"}\n'
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings in a temp dir, no developer .env in the way."""
    for name, value in {
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fixed(env: Path, monkeypatch: pytest.MonkeyPatch) -> FixedClassifier:
    classifier = FixedClassifier()
    monkeypatch.setattr(cli, "_classifier", lambda settings, taxonomy: classifier)
    return classifier


# -- a lone surrogate -------------------------------------------------------------------------


def test_a_lone_surrogate_is_written_back_as_its_escape_and_the_run_goes_on(app, fixed) -> None:  # type: ignore[no-untyped-def]
    # Line 1 was written, then "unexpected error: UnicodeEncodeError", exit 1: lines 2-4 lost.
    result = CliRunner().invoke(app, ["classify", "-"], input=SURROGATES)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout_bytes.decode("utf-8").splitlines()  # the whole output is UTF-8
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[1]["text"] == "bad \ud800 x" and rows[2]["note"] == "\udfff"  # the input, unchanged
    assert '"text": "bad \\ud800 x"' in lines[1] and '"note": "\\udfff"' in lines[2]
    assert fixed.seen[1] == "bad \ufffd x"  # tagged as the bot tags it: the lone surrogate replaced


def test_a_line_with_a_surrogate_keeps_its_other_characters_as_written(app, fixed) -> None:  # type: ignore[no-untyped-def]
    data = '{"id":"é","text":"café \\udc80 naïve ✓"}\n'.encode()
    result = CliRunner().invoke(app, ["classify", "-"], input=data)
    assert result.exit_code == 0, result.output
    line = result.stdout_bytes.decode("utf-8")
    assert '"id": "é", "text": "café \\udc80 naïve ✓"' in line  # only the surrogate is escaped


def test_eval_reads_lines_with_lone_surrogates(app, fixed) -> None:  # type: ignore[no-untyped-def]
    labelled = b"".join(line[:-2] + b',"stage":null,"kinds":[],"teams":[]}\n' for line in SURROGATES.splitlines(True))
    bad_label = b'{"id":5,"text":"x","stage":null,"kinds":["\\udc00"],"teams":[]}\n'
    result = CliRunner().invoke(app, ["eval", "-"], input=labelled + bad_label, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "stage: per label" in result.stdout and len(fixed.seen) == 4
    assert "line 5: unknown kinds" in result.stderr


def test_eval_reads_a_label_given_by_its_title_or_alias_and_guesses_a_misspelt_one(app, fixed) -> None:  # type: ignore[no-untyped-def]
    # An evaluation file written by people, or with a label renamed since and kept as an alias:
    # it was skipped line by line as "unknown", every report of the renamed label left out.
    rows = [
        {"id": 1, "text": "a", "stage": "Billing", "kinds": ["waiting"], "teams": ["ops"], "handoff": None},
        {"id": 2, "text": "b", "stage": "billing", "kinds": ["waiting"], "teams": [], "handoff": {"from": "ops"}},
        {"id": 3, "text": "c", "stage": "billing", "kinds": ["shadw_system"], "teams": [], "handoff": None},
    ]
    data = "".join(json.dumps(row) + "\n" for row in rows)
    result = CliRunner().invoke(app, ["eval", "-"], input=data, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert len(fixed.seen) == 2  # lines 1 and 2
    assert "'ops' read as 'operations', the label the taxonomy gives that name" in result.stderr
    assert "'Billing' read as 'billing'" in result.stderr
    assert "line 3: unknown kinds 'shadw_system' (did you mean 'shadow_system'?); skipped" in result.stderr


def _snag() -> Path:
    snag = Path(sys.executable).parent / "snag"
    if not snag.exists():
        pytest.skip("the snag console script is not installed in this environment")
    return snag


def test_the_installed_command_writes_utf8_whatever_the_locale_says(classifier_env: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(SURROGATES + '{"id":5,"text":"refund for Zoë ✓"}\n'.encode())
    done = subprocess.run(
        [str(_snag()), "classify", str(source)],
        capture_output=True,
        env={**_environ(), "PYTHONIOENCODING": "ascii"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5] and rows[4]["text"] == "refund for Zoë ✓"


# -- a closed stdout ----------------------------------------------------------------------------


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}


def _read_one_line_then_close(args: list[str]) -> tuple[int, bytes, str]:
    """`snag ARGS | head -1`: (exit code, the line read, stderr)."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environ())
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    try:
        err = process.stderr.read().decode("utf-8", "replace")
        code = process.wait(timeout=120)
    finally:
        process.kill()
    return code, first, err


def test_classify_stops_quietly_when_its_reader_goes_away(classifier_env: Path, tmp_path: Path) -> None:
    # It ended with exit 1 and no word, as a run with malformed lines does.
    source = tmp_path / "big.jsonl"
    rows = ({"id": n, "text": f"refund {n} sat with finance for weeks"} for n in range(5_000))
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, first, err = _read_one_line_then_close([str(_snag()), "classify", str(source)])
    assert json.loads(first)["id"] == 0
    assert code == cli.CLOSED_STDOUT == 141
    assert err == ""  # no traceback, no "Exception ignored", no "unexpected error"


def test_eval_stops_quietly_when_its_reader_goes_away(classifier_env: Path, tmp_path: Path, shipped) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "gold.jsonl"
    rows = [
        {"id": r.id, "text": r.text, "stage": r.stage, "kinds": list(r.kinds), "teams": list(r.teams)}
        for r in shipped[:40]
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, first, err = _read_one_line_then_close([str(_snag()), "eval", str(source)])
    assert b"model" in first
    assert code == 141 and err == ""


def test_a_closed_stdout_after_malformed_lines_is_still_141(app, fixed, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def closed(data: bytes) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_stdout_bytes", lambda: closed)
    result = CliRunner().invoke(app, ["classify", "-"], input=b'{"oops\n{"id":1,"text":"refund late"}\n')
    assert result.exit_code == 141
    assert "line 1: not valid JSON" in result.stderr and "malformed line(s) skipped" not in result.stderr


# -- snag train's numbers ----------------------------------------------------------------------


@pytest.fixture
def trained(env: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What `train` was asked to do, without training anything."""
    from classifier import corrections, train
    from classifier.versions import TrainedModel

    calls: list[dict] = []

    def fake_train(taxonomy, reports, out_dir, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        return TrainedModel("v-test", Path(out_dir) / "v-test")

    monkeypatch.setattr(corrections, "training_reports", lambda settings, taxonomy: [])
    monkeypatch.setattr(train, "train", fake_train)
    return calls


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--epochs", "-1"], "--epochs"),  # trained nothing and pointed LATEST at a model that knows nothing
        (["--epochs", "0"], "--epochs"),  # silently trained the default number of epochs
        (["--seed", "-1"], "--seed"),  # the same Python shuffle as --seed 1
        (["--seed", str(2**32)], "--seed"),  # the same numpy start as --seed 0
    ],
)
def test_train_refuses_numbers_that_would_not_train_what_was_asked(app, trained, args, says) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2
    assert f"Invalid value for '{says}'" in result.stderr
    assert trained == []


def test_train_takes_one_epoch_and_the_tuned_number_by_default(app, trained) -> None:  # type: ignore[no-untyped-def]
    from classifier.train import DEFAULT_EPOCHS

    for args in (["--epochs", "1", "--seed", "0"], ["--seed", str(2**32 - 1)], []):
        result = CliRunner().invoke(app, ["train", *args])
        assert result.exit_code == 0, result.output
    assert [(c["epochs"], c["seed"]) for c in trained] == [(1, 0), (DEFAULT_EPOCHS, 2**32 - 1), (DEFAULT_EPOCHS, 0)]
