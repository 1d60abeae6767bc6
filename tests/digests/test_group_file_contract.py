"""`snag group FILE` keeps the file contract of `snag classify`: the same lines read, the same
messages and exit codes, texts cleaned and redacted as the bot groups them, tags checked."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_snag

CONTACT = "priya.raman@northwind-example.com +44 7700 900123"
UNRELATED = [
    f"printer on floor 2 jammed again, call {CONTACT}",
    f"van for the Leeds depot left without the pallets, {CONTACT}",
    f"refund for order 5521 still not paid, {CONTACT}",
]
REFUND = "refund requests sit in the finance inbox for a week before anyone picks them up"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings in a temp dir, no developer .env in the way."""
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _file(folder: Path, *rows: object, name: str = "in.jsonl") -> Path:
    path = folder / name
    path.write_bytes(b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows))
    return path


def _group(monkeypatch, capsys, *args: str) -> tuple[int, list[dict], str]:  # type: ignore[no-untyped-def]
    code, out, err = run_snag(monkeypatch, capsys, "group", *args)
    return code, [json.loads(line) for line in out.splitlines()], err


# -- 1. a lone surrogate ------------------------------------------------------------------------


def test_a_lone_surrogate_is_carried_through_and_the_later_lines_are_grouped(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = here / "s.jsonl"
    path.write_bytes(b'{"id":1,"text":"a \\ud83d half emoji"}\n{"id":2,"text":"second"}\n')
    code, out, err = run_snag(monkeypatch, capsys, "group", str(path))
    assert code == 0, err
    assert out.splitlines()[0] == '{"id": 1, "text": "a \\ud83d half emoji", "pattern": 1}'
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]
    assert "unexpected error" not in err


# -- 2. texts as the bot groups them -------------------------------------------------------------


def test_personal_details_shared_by_reports_do_not_put_them_in_one_pattern(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _file(here, *({"id": i, "text": t} for i, t in enumerate(UNRELATED)))
    code, rows, err = _group(monkeypatch, capsys, str(path))
    assert code == 0, err
    assert len({r["pattern"] for r in rows}) == 3  # the raw texts made one pattern of them
    assert [r["text"] for r in rows] == UNRELATED  # the line written keeps the text as read


def test_a_long_text_is_grouped_on_the_bots_cut_and_the_cut_is_named(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_MAX_REPORT_CHARS", "100")
    long = REFUND + " and the customers ring us about it every single day" * 20
    path = _file(here, {"id": 1, "text": REFUND}, {"id": 2, "text": long})
    code, rows, err = _group(monkeypatch, capsys, str(path))
    assert code == 0, err
    assert f"line 2: text of {len(long):,} characters; grouped on its first 100 (SNAG_MAX_REPORT_CHARS)" in err
    assert rows[1]["text"] == long


# -- 4. tags checked against the taxonomy --------------------------------------------------------


def test_a_labels_title_or_case_is_read_as_the_label(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    lower = [
        {"id": 1, "text": REFUND, "stage": "billing", "kinds": ["waiting"], "teams": ["finance"]},
        {"id": 2, "text": REFUND + " again", "stage": "billing", "kinds": ["waiting"], "teams": ["finance"]},
    ]
    mixed = [lower[0], {**lower[1], "stage": "Billing", "kinds": ["Waiting"], "teams": ["FINANCE"]}]
    code, rows, err = _group(monkeypatch, capsys, str(_file(here, *mixed)))
    assert code == 0, err
    assert rows[0]["pattern"] == rows[1]["pattern"]  # "Billing" was a stage of its own
    assert rows[1]["stage"] == "Billing"  # the line as read


@pytest.mark.parametrize(
    ("tags", "said"),
    [
        ({"stage": ["billing"], "kinds": []}, 'a stage is a label, a string (got ["billing"])'),
        ({"kinds": "waiting"}, "'kinds' must be a list of labels (got \"waiting\")"),
        ({"stage": "billing", "kinds": [], "handoff": "finance"}, "'handoff' must be null or"),
        ({"stage": "bilig", "kinds": []}, '"bilig" is not a stage of the taxonomy (did you mean billing?)'),
        ({"stage": None, "kinds": ["nope"]}, '"nope" is not a kind of the taxonomy'),
    ],
)
def test_tags_snag_cannot_use_are_named_and_left_out(  # type: ignore[no-untyped-def]
    here, monkeypatch, capsys, tags: dict, said: str
) -> None:
    """Every line is written, so the run succeeds: stderr names what was left out."""
    good = {"id": 1, "text": REFUND, "stage": "billing", "kinds": ["waiting"]}
    code, rows, err = _group(monkeypatch, capsys, str(_file(here, good, {"id": 2, "text": REFUND, **tags})))
    assert code == 0, err
    assert [r["id"] for r in rows] == [1, 2] and rows[0]["pattern"] == rows[1]["pattern"]
    assert f"line 2: {said}" in err and "; left out, the line's other tags are used" in err
    assert "1 line(s) with tags Snag cannot use: those tags were left out" in err


# -- 5. the classifier's tags -------------------------------------------------------------------


def test_the_classifiers_tags_are_not_taken_for_peoples(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Two guessed stages kept the same problem apart; with "confidence" the tags are guesses."""
    guessed = [
        {"id": 1, "text": REFUND, "stage": "billing", "kinds": ["waiting"], "confidence": {"billing": 0.4}},
        {"id": 2, "text": REFUND + " again", "stage": "delivery", "kinds": ["waiting"], "confidence": {"x": 0.4}},
    ]
    code, rows, err = _group(monkeypatch, capsys, str(_file(here, *guessed)))
    assert code == 0, err
    assert rows[0]["pattern"] == rows[1]["pattern"]
    assert '2 line(s) carry the classifier\'s tags ("confidence"), which are not used' in err
    people = [{k: v for k, v in r.items() if k != "confidence"} for r in guessed]
    code, rows, _ = _group(monkeypatch, capsys, str(_file(here, *people, name="people.jsonl")))
    assert code == 0 and rows[0]["pattern"] != rows[1]["pattern"]  # people's stages still keep them apart


# -- 6 and 7. the lines read, as `snag classify` reads them --------------------------------------


def test_a_whole_number_written_as_a_float_is_an_id(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = here / "in.jsonl"
    path.write_bytes(b'{"id": 3.0, "text": "refund stuck"}\n')
    code, out, err = run_snag(monkeypatch, capsys, "group", str(path))
    assert code == 0, err
    assert out == '{"id": 3.0, "text": "refund stuck", "pattern": 1}\n'


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ({"id": 1, "text": ""}, "'text' must be a non-empty string (got \"\"); skipped"),
        ({"id": 1, "text": " \u200b "}, "'text' must be a non-empty string"),
        ({"id": None, "text": "x"}, "'id' must be a non-empty string or a whole number (got nothing); skipped"),
        ({"text": "x"}, "'id' must be a non-empty string or a whole number (got nothing); skipped"),
        ({"id": True, "text": "x"}, "'id' must be a non-empty string or a whole number (got true); skipped"),
        ({"id": 4.5, "text": "x"}, "'id' must be a non-empty string or a whole number (got 4.5); skipped"),
    ],
)
def test_a_line_classify_would_skip_is_skipped_with_its_words(here, monkeypatch, capsys, line, said) -> None:  # type: ignore[no-untyped-def]
    code, rows, err = _group(monkeypatch, capsys, str(_file(here, {"id": "a", "text": REFUND}, line)))
    assert code == 1
    assert [r["id"] for r in rows] == ["a"]
    assert f"line 2: {said}" in err and "1 malformed line(s) skipped." in err


def test_a_bare_carriage_return_does_not_end_a_line(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = here / "in.jsonl"
    path.write_bytes(b'{"id":1,"text":"first"}\r{"id":2,"text":"second"}\n{"id":3,"text":"third"}\n')
    code, rows, err = _group(monkeypatch, capsys, str(path))
    assert code == 1
    assert [r["id"] for r in rows] == [3]
    assert "line 1: not valid JSON" in err and "line 2:" not in err


def test_crlf_line_ends_are_line_ends(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = here / "in.jsonl"
    path.write_bytes(b'{"id":1,"text":"first"}\r\n{"id":2,"text":"second"}\r\n')
    code, rows, err = _group(monkeypatch, capsys, str(path))
    assert code == 0, err
    assert [r["id"] for r in rows] == [1, 2]


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_file_that_cannot_be_read_is_said_as_classify_says_it(here, monkeypatch, capsys, what: str) -> None:  # type: ignore[no-untyped-def]
    name = "nope.jsonl" if what == "missing" else "folder"
    if what == "folder":
        (here / name).mkdir()
    code, out, err = run_snag(monkeypatch, capsys, "group", name)
    why = "No such file or directory" if what == "missing" else "Is a directory"
    assert (code, out) == (2, "")
    assert err.strip() == f"Cannot read {name}: {why}."


def test_stdin_is_read_as_the_file_is(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    data = b'\xef\xbb\xbf{"id":1,"text":"refund stuck"}\r{"id":2}\n{"id": 3.0,"text":"van late"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, rows, err = _group(monkeypatch, capsys, "-")
    assert code == 1
    assert [r["id"] for r in rows] == [3.0]
    assert "line 1: not valid JSON" in err


def test_group_stops_quietly_when_its_reader_goes_away(here) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess

    snag = Path(sys.executable).parent / "snag"
    if not snag.exists():
        pytest.skip("the snag console script is not installed in this environment")
    path = _file(here, *({"id": n, "text": f"refund {n} sat with finance for weeks"} for n in range(3_000)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    process = subprocess.Popen(
        [str(snag), "group", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=here
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    try:
        err = process.stderr.read().decode("utf-8", "replace")
        code = process.wait(timeout=120)
    finally:
        process.kill()
    assert json.loads(first)["id"] == 0
    assert (code, err) == (141, "")


# -- 8. --score ---------------------------------------------------------------------------------


def test_a_group_numbered_0_is_a_group_not_a_report_alone(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = [{"id": 1, "text": REFUND, "group": 0}, {"id": 2, "text": REFUND + " again", "group": 0}]
    code, out, err = _group(monkeypatch, capsys, str(_file(here, *rows)), "--score")
    assert code == 0, err
    assert out[0]["pattern"] == out[1]["pattern"]
    assert "precision 1.000, recall 1.000, F1 1.000 (2 reports, 1 patterns, 1 groups)" in err


def test_a_line_without_a_group_is_a_group_of_its_own(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = [{"id": 1, "text": REFUND}, {"id": 2, "text": REFUND + " again", "group": None}]
    code, _, err = _group(monkeypatch, capsys, str(_file(here, *rows)), "--score")
    assert code == 0, err
    assert "(2 reports, 1 patterns, 2 groups)" in err


def test_the_output_is_the_same_run_after_run(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _file(here, *({"id": i, "text": t} for i, t in enumerate([*UNRELATED, REFUND, REFUND + " again"])))
    first = run_snag(monkeypatch, capsys, "group", str(path))
    assert first[0] == 0 and first == run_snag(monkeypatch, capsys, "group", str(path))


# -- 6. one unusable tag costs only itself --------------------------------------------------------


def test_a_mistyped_label_leaves_the_lines_other_tags_and_the_files_in_use(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """A kind the taxonomy lacks on line 2 grouped the whole file by its words: the two stages that
    keep the same words apart were lost, and the run failed though every line was written."""
    rows = [
        {"id": 1, "text": REFUND, "stage": "billing", "kinds": ["waiting"]},
        {"id": 2, "text": REFUND + " again", "stage": "delivery", "kinds": ["waiting", "wating"], "teams": ["fnance"]},
    ]
    code, out, err = _group(monkeypatch, capsys, str(_file(here, *rows)))
    assert code == 0, err
    assert out[0]["pattern"] != out[1]["pattern"]  # the stages still keep them apart
    assert 'line 2: "wating" is not a kind of the taxonomy' in err and '"fnance" is not a team' in err


@pytest.mark.parametrize("field", ["kinds", "teams", "stage", "handoff"])
def test_null_tags_are_read_as_none(here, monkeypatch, capsys, field: str) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"id": 1, "text": REFUND, "stage": "billing", "kinds": ["waiting"]},
        {"id": 2, "text": REFUND + " again", "stage": "delivery", "kinds": ["waiting"], field: None},
    ]
    code, out, err = _group(monkeypatch, capsys, str(_file(here, *rows)))
    assert code == 0 and err == ""
    assert out[0]["pattern"] != out[1]["pattern"] or field == "stage"  # people's tags still used


def test_the_shipped_file_with_one_null_kinds_groups_as_well(here, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """A pandas export writes "kinds": null for an empty list: one such line cost the whole file its
    people's tags (B-cubed F1 0.711 -> 0.554) and exited 1."""
    shipped = Path(__file__).parents[2] / "digests" / "data" / "grouping.jsonl"
    rows = [json.loads(line) for line in shipped.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows[4]["kinds"] = None
    code, _, err = _group(monkeypatch, capsys, str(_file(here, *rows)), "--score")
    assert code == 0, err
    f1 = float(err.split("F1 ")[1].split()[0])
    assert f1 >= 0.70
