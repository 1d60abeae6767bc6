"""`snag classify` and `snag eval` read a line the same way, and tag text as the bot does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from classifier import cli
from tests.conftest import FixedClassifier

GOOD = {"id": "a1", "text": "refund sat with finance for 3 weeks"}
LABELS = {"stage": "billing", "kinds": ["waiting"], "teams": ["finance"]}


@pytest.fixture
def fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FixedClassifier:
    """Settings in a temp dir and a fixed classifier that records the texts it was given."""
    for name, value in {
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
        "SNAG_MAX_REPORT_CHARS": "100",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # keeps any developer .env out of the way
    classifier = FixedClassifier()
    monkeypatch.setattr(cli, "_classifier", lambda settings, taxonomy: classifier)
    return classifier


def _bytes(*rows: object) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


def _run(app: typer.Typer, command: str, tmp_path: Path, data: bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    return CliRunner().invoke(app, [command, str(path)], env={"COLUMNS": "200"})


def _ids(stdout: str) -> list[object]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


def test_a_long_text_is_cut_to_the_bots_limit_and_the_cut_is_named(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long = {"id": "long", "text": "the refund is stuck " * 50}
    result = _run(app, "classify", tmp_path, _bytes(GOOD, long, {**GOOD, "id": "a2"}))
    assert result.exit_code == 0, result.output
    assert _ids(result.stdout) == ["a1", "long", "a2"]
    assert [len(t) for t in fixed.seen] == [len(GOOD["text"]), 100, len(GOOD["text"])]
    assert "line 2: text of 999 characters; tagged on its first 100" in result.stderr
    assert json.loads(result.stdout.splitlines()[1])["text"] == long["text"]  # carried through whole


def test_a_line_that_is_not_utf8_is_skipped_and_the_others_are_tagged(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _bytes(GOOD, b'{"id":"x","text":"caf\xe9 ok"}', {**GOOD, "id": "a3"})
    result = _run(app, "classify", tmp_path, data)
    assert result.exit_code == 1
    assert _ids(result.stdout) == ["a1", "a3"]
    assert "line 2: not UTF-8 text (byte 22)" in result.stderr and "; skipped" in result.stderr


def test_stdin_is_read_as_bytes_too(app, fixed) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["classify", "-"], input=_bytes(GOOD, b'{"id":"x","text":"\xff"}'))
    assert result.exit_code == 1 and _ids(result.stdout) == ["a1"] and "line 2: not UTF-8" in result.stderr


@pytest.mark.parametrize("command", ["classify", "eval"])
def test_a_byte_order_mark_at_the_start_is_ignored(app, fixed, tmp_path: Path, command: str) -> None:  # type: ignore[no-untyped-def]
    result = _run(app, command, tmp_path, b"\xef\xbb\xbf" + _bytes({**GOOD, **LABELS}).replace(b"\n", b"\r\n"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


BAD_REPORTS = [
    {"id": "d", "text": ""},
    {"id": "w", "text": " \t\u200b "},
    {"id": None, "text": "refund stuck"},
    {"id": "", "text": "refund stuck"},
    {"id": True, "text": "refund stuck"},
    {"id": 1.5, "text": "refund stuck"},
    {"id": ["a"], "text": "refund stuck"},
]


def test_classify_skips_what_eval_refuses(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [GOOD, *BAD_REPORTS, {"id": 7, "text": "ok"}]
    result = _run(app, "classify", tmp_path, _bytes(*rows))
    assert result.exit_code == 1
    assert _ids(result.stdout) == ["a1", 7]
    for number in range(2, 2 + len(BAD_REPORTS)):
        assert f"line {number}: '" in result.stderr
    labelled = _run(app, "eval", tmp_path, _bytes(*({**row, **LABELS} for row in rows)))
    assert labelled.exit_code == 1
    for number in range(2, 2 + len(BAD_REPORTS)):
        assert f"line {number}: '" in labelled.stderr


def test_eval_refuses_a_file_without_labels(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _run(app, "eval", tmp_path, _bytes(GOOD, {**GOOD, "id": "a2"}))
    assert result.exit_code == 1
    assert "line 1: no labels: 'stage', 'kinds', 'teams' missing" in result.stderr
    assert "No labelled reports to evaluate" in result.stderr and "F1" not in result.stdout


def test_eval_skips_a_line_without_labels_and_reads_a_missing_handoff_as_none(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [{**GOOD, **LABELS}, {**GOOD, "id": "a2", "stage": None, "kinds": ["waiting"]}]
    result = _run(app, "eval", tmp_path, _bytes(*rows))
    assert result.exit_code == 1
    assert "line 2: no labels: 'teams' missing" in result.stderr and "line 1:" not in result.stderr
    assert "stage: per label" in result.stdout


def test_classify_tags_the_redacted_text_and_carries_the_line_through(app, fixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    taxonomy = tmp_path / "taxonomy.yml"
    taxonomy.write_text(
        "stages: [{label: billing}]\nkinds: [{label: waiting}]\nteams: [{label: finance}, {label: support}]\n"
        "redact:\n  - name: order\n    pattern: 'ORD-\\d{6}'\n",
        encoding="utf-8",
    )
    row = {"id": "p1", "text": "customer emailed jo@example.com about ORD-123456 twice", "source": "csv"}
    result = CliRunner().invoke(app, ["classify", "-"], input=_bytes(row), env={"SNAG_TAXONOMY": str(taxonomy)})
    assert result.exit_code == 0, result.output
    assert fixed.seen == ["customer emailed [email] about [order] twice"]
    out = json.loads(result.stdout)
    assert {k: out[k] for k in row} == row  # the user's own line, unchanged


def test_eval_scores_what_the_bot_would_tag(app, fixed) -> None:  # type: ignore[no-untyped-def]
    row = {"id": "e1", "text": "customer emailed jo@example.com twice", "stage": None, "kinds": [], "teams": []}
    result = CliRunner().invoke(app, ["eval", "-"], input=_bytes(row))
    assert result.exit_code == 0, result.output
    assert fixed.seen == ["customer emailed [email] twice"]


def test_a_text_longer_than_spacy_takes_is_tagged_by_the_real_model(classifier_env: Path, app) -> None:  # type: ignore[no-untyped-def]
    huge = {"id": "huge", "text": "waiting on finance again. " * 60_000}  # 1.56 million characters
    result = CliRunner().invoke(app, ["classify", "-"], input=_bytes(GOOD, huge, {**GOOD, "id": "a2"}))
    assert result.exit_code == 0, result.output
    assert _ids(result.stdout) == ["a1", "huge", "a2"]
    assert "line 2: text of 1,559,999 characters; tagged on its first 40,000" in result.stderr


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"id": ' + b"9" * 5000 + b', "text": "huge id"}', "not valid JSON (a number too long to read)"),
        (b'{"id": "deep", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON (nested too deeply"),
    ],
    ids=["number", "nesting"],
)
@pytest.mark.parametrize("command", ["classify", "eval"])
def test_json_python_cannot_read_is_a_problem_on_its_line(app, fixed, tmp_path: Path, command, line, problem) -> None:  # type: ignore[no-untyped-def]
    # Both stopped the whole run with "unexpected error" (ValueError, RecursionError).
    result = _run(app, command, tmp_path, _bytes({**GOOD, **LABELS}, line, {**GOOD, **LABELS, "id": "a3"}))
    assert result.exit_code == 1
    assert f"line 2: {problem}" in result.stderr
    if command == "classify":
        assert _ids(result.stdout) == ["a1", "a3"]
