"""`snag classify` and `snag eval`: NaN is not JSON, and no spaCy warning about an empty ruler.

NaN is refused in bot/jsonl.py parse_object (every reader of a JSONL line), the warning where the
pipeline is built (classifier/pipeline.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from classifier import cli
from tests.conftest import FixedClassifier

GOOD = {"id": "a1", "text": "refund sat with finance for 3 weeks", "stage": "billing", "kinds": [], "teams": []}


@pytest.fixture
def fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FixedClassifier:
    for name, value in {
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    classifier = FixedClassifier()
    monkeypatch.setattr(cli, "_classifier", lambda settings, taxonomy: classifier)
    return classifier


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("NaN", "not valid JSON (NaN is not JSON)"),
        ("Infinity", "not valid JSON (Infinity is not JSON)"),
        ("-Infinity", "not valid JSON (-Infinity is not JSON)"),
        ("1e400", "not valid JSON (a number too large to read)"),  # JSON, but Python reads it as inf
    ],
)
@pytest.mark.parametrize("command", ["classify", "eval"])
def test_nan_and_infinity_are_no_json_and_their_line_is_skipped(app, fixed, command, value, problem) -> None:  # type: ignore[no-untyped-def]
    # The line was accepted and `classify` wrote it back with NaN: a line no JSON reader takes.
    bad = json.dumps({**GOOD, "id": "a2"})[:-1] + f', "score": {value}}}'
    stdin = "\n".join([json.dumps(GOOD), bad, json.dumps({**GOOD, "id": "a3"})]) + "\n"
    result = CliRunner().invoke(app, [command, "-"], input=stdin, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert f"line 2: {problem}; skipped" in result.stderr
    if command == "classify":
        assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a1", "a3"]
        assert value not in result.stdout
    else:
        assert "stage: per label" in result.stdout and len(fixed.seen) == 2


def test_a_large_number_that_fits_a_float_is_read(app, fixed) -> None:  # type: ignore[no-untyped-def]
    line = json.dumps(GOOD)[:-1] + ', "score": 1e300, "n": -0.5}'
    result = CliRunner().invoke(app, ["classify", "-"], input=line + "\n")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["score"] == 1e300 and out["n"] == -0.5


def test_classify_says_nothing_of_an_empty_acronyms_ruler(classifier_env: Path, tmp_path: Path) -> None:
    # "UserWarning: [W036] The component 'acronyms' does not have any patterns defined" on stderr,
    # for any taxonomy without capitalised aliases that are also words (here: no IT, no AM).
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    edited = text.replace("account manager, AM, AMs", "account manager, AMs").replace("[IT, IT team", "[IT team")
    assert edited.count("AM,") == text.count("AM,") - 1 and "[IT, " not in edited
    taxonomy = tmp_path / "no-acronyms.yml"
    taxonomy.write_text(edited, encoding="utf-8")
    snag = Path(sys.executable).parent / "snag"
    if not snag.exists():
        pytest.skip("the snag console script is not installed in this environment")
    done = subprocess.run(
        [str(snag), "classify", "-"],
        input=json.dumps({"id": 1, "text": "refund waiting on the IT team"}) + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "SNAG_TAXONOMY": str(taxonomy)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == 1  # the model was loaded, its rulers rebuilt from the taxonomy
    assert "W036" not in done.stderr and "Warning" not in done.stderr, done.stderr
