"""A taxonomy of its own: the rule tagger until enough fits, then a model; aliases need no retraining."""

from __future__ import annotations

import logging
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Person, Platform, Tags
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy, load_taxonomy
from classifier import corrections
from classifier.corrections import PartlyLabelled, axes_of, shipped_reports
from classifier.service import SpacyClassifier, Trainer, load_classifier
from classifier.train import LATEST, cats_of, fingerprint, train
from tests.classifier.conftest import EPOCHS, make_settings

OWN = """
stages:
  - label: new_request
    words: [new request, asked for]
  - label: in_progress
    words: [in progress, working on]
  - label: closed
    words: [closed, done]
kinds:
  - label: delay
    words: [waiting, slow]
  - label: rework
    words: [again, redo]
teams:
  - label: front_desk
    aliases: [front desk, reception]
  - label: back_office
    aliases: [back office]
"""
NOTHING = "Nothing is labelled for this taxonomy's labels yet"


def _written(tmp_path: Path, name: str, text: str) -> Taxonomy:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_taxonomy(path)


def _edited(tmp_path: Path, name: str, old: str, new: str) -> Taxonomy:
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return _written(tmp_path, name, text.replace(old, new))


@pytest.fixture
def shipped_subset(monkeypatch: pytest.MonkeyPatch, subset) -> None:  # type: ignore[no-untyped-def]
    """The shipped data, cut to the small subset (labelled in the shipped taxonomy)."""
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(subset))


@pytest.mark.usefixtures("shipped_subset")
def test_with_nothing_labelled_the_rule_tagger_answers_and_says_why_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own = _written(tmp_path, "own.yml", OWN)
    with caplog.at_level(logging.WARNING, logger="snag.classifier"):
        clf = load_classifier(settings=make_settings(tmp_path / "var"), taxonomy=own)
        tags = clf.classify("reception keeps us waiting on a new request")
    assert tags.source == "rule" and clf.model_version is None
    assert tags.teams == ("front_desk",) and tags.kinds == ("delay",)
    assert [r.getMessage() for r in caplog.records].count(next(iter(_said(caplog)))) == 1


def _said(caplog: pytest.LogCaptureFixture) -> set[str]:
    return {r.getMessage() for r in caplog.records if NOTHING in r.getMessage()}


@pytest.mark.usefixtures("shipped_subset")
def test_snag_train_says_nothing_is_labelled_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    _written(tmp_path, "own.yml", OWN)
    monkeypatch.chdir(tmp_path)  # no developer .env
    for key, value in {
        "SNAG_TAXONOMY": str(tmp_path / "own.yml"),
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "argv", ["snag", "train"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code != 0
    err = capsys.readouterr().err
    assert NOTHING in err and "corrections" in err and "unexpected error" not in err


def _answers(settings, answers: list[tuple[str, Tags]]) -> None:  # type: ignore[no-untyped-def]
    from store.db import make_engine, upgrade
    from store.repository import SqlRepository

    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    repo = SqlRepository(engine)
    for i, (text, tags) in enumerate(answers):
        record, _ = repo.add_report(
            person=Person(Platform.SLACK, "T1", "U1"),
            reporter_key="k",
            text=text,
            channel="C",
            created_at=datetime(2026, 11, 23, tzinfo=UTC),
            event_id=f"e{len(text)}-{i}-{tags.stage}",
        )
        repo.add_correction(report_id=record.id, corrector_key="k", before=None, after=tags)
    engine.dispose()


ANSWERS = [
    (
        "reception asked for a new request form again",
        Tags("new_request", ("rework",), ("front_desk",), source="person"),
    ),
    (
        "the back office is still working on it, waiting",
        Tags("in_progress", ("delay",), ("back_office",), source="person"),
    ),
    ("closed the case but had to redo it", Tags("closed", ("rework",), (), source="person")),
    (
        "slow to pick up the new request at the front desk",
        Tags("new_request", ("delay",), ("front_desk",), source="person"),
    ),
]


@pytest.mark.usefixtures("shipped_subset")
def test_once_enough_is_labelled_a_model_is_trained_and_used(tmp_path: Path) -> None:
    own = _written(tmp_path, "own.yml", OWN)
    settings = make_settings(tmp_path / "var")
    now = [0.0]
    clf = SpacyClassifier(
        directory=settings.data_dir / "models",
        taxonomy=own,
        threshold=0.0,
        clock=lambda: now[0],
        rules_meanwhile=True,
        trainer=Trainer(settings, settings.data_dir / "models"),
        train_every=60.0,
        spawn=lambda work: work(),
    )
    _answers(settings, ANSWERS[:2])
    now[0] = 61.0
    assert clf.classify("waiting on the back office").source == "rule"  # 2 answers: not enough
    assert clf.model_version is None
    _answers(settings, ANSWERS * 6)
    now[0] = 122.0
    clf.classify("waiting on the back office")  # trains (here: at once)
    tags = clf.classify("waiting on the back office")
    assert tags.source == "model" and tags.model_version == clf.model_version
    assert set(tags.kinds) <= {"delay", "rework"}


@pytest.mark.usefixtures("shipped_subset")
def test_shipped_reports_teach_only_the_axes_whose_labels_fit(tmp_path: Path, subset) -> None:  # type: ignore[no-untyped-def]
    renamed = _edited(tmp_path, "renamed.yml", "  - label: offboarding\n", "  - label: leaving\n")
    reports = {r.id: r for r in shipped_reports(renamed)}
    leavers = [r for r in subset if r.stage == "offboarding"]
    unstaged = [r for r in subset if r.stage is None]
    assert leavers and len(reports) == len(subset)
    for original in leavers + unstaged:
        report = reports[original.id]
        assert isinstance(report, PartlyLabelled) and "stage" not in axes_of(report)
        assert (report.kinds, report.teams, report.handoff) == (original.kinds, original.teams, original.handoff)
        assert not any(label.startswith("stage:") for label in cats_of(report, renamed))
        assert f"kind:{original.kinds[0]}" in cats_of(report, renamed)
    fitting = next(r for r in subset if r.stage == "billing")
    assert reports[fitting.id] == fitting  # every axis fits: a plain labelled report


def test_a_handoff_between_teams_the_taxonomy_lacks_still_teaches_that_there_was_one(
    tmp_path: Path, taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier.dataset import LabelledReport

    shipped = LabelledReport(
        "h1", "passed to finance", "billing", ("handoff",), ("support", "finance"), ("support", "finance")
    )
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: [shipped])
    own = _written(tmp_path, "own.yml", OWN)
    [report] = shipped_reports(own)
    cats = cats_of(report, own)
    assert cats == {"HANDOFF": 1.0}  # stage, kinds, teams and the sides are unknown here


def test_a_changed_alias_works_without_retraining(tmp_path: Path, model_home: Path, taxonomy: Taxonomy) -> None:
    text = "zorbteam never call the customer back"
    zorb = _edited(
        tmp_path, "alias.yml", "    aliases: [sales, sales team,", "    aliases: [zorbteam, sales, sales team,"
    )
    models = model_home / "models"
    assert "sales" not in SpacyClassifier(directory=models, taxonomy=taxonomy, threshold=0.3).classify(text).teams
    assert "sales" in SpacyClassifier(directory=models, taxonomy=zorb, threshold=0.3).classify(text).teams
    following = SpacyClassifier(directory=models, taxonomy=taxonomy, threshold=0.3)
    following.use_taxonomy(zorb)
    assert "sales" in following.classify(text).teams and following.model_version is not None


def test_the_fingerprint_covers_aliases_and_cue_words(tmp_path: Path, taxonomy: Taxonomy, subset) -> None:  # type: ignore[no-untyped-def]
    zorb = _edited(
        tmp_path, "alias.yml", "    aliases: [sales, sales team,", "    aliases: [zorbteam, sales, sales team,"
    )
    cue = _edited(tmp_path, "cue.yml", "words: [lead, leads,", "words: [zorbcue, lead, leads,")
    prints = {fingerprint(subset, t, 0) for t in (taxonomy, zorb, cue)}
    assert len(prints) == 3


def test_a_kept_model_that_fits_is_used_rather_than_trained_again(
    tmp_path: Path, model_home: Path, taxonomy: Taxonomy, subset
) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    shutil.copytree(model_home / "models", models)
    ours = (models / LATEST).read_text().strip()
    renamed = _edited(tmp_path, "renamed.yml", "  - label: offboarding\n", "  - label: leaving\n")
    other = train(renamed, [r for r in subset if r.stage != "offboarding"][:40], models, seed=0, epochs=1)
    assert (models / LATEST).read_text().strip() == other.version
    clf = SpacyClassifier(directory=models, taxonomy=taxonomy, threshold=0.3)  # switched back
    assert clf.model_version == ours and (models / LATEST).read_text().strip() == ours
    again = train(taxonomy, subset, models, seed=0, epochs=EPOCHS)  # same data and settings
    assert again.version == ours and len([p for p in models.iterdir() if p.is_dir()]) == 2


def test_train_if_missing_uses_a_kept_model_that_fits_when_latest_does_not(
    tmp_path: Path, model_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bot.cli import main
    from classifier.train import META

    models = tmp_path / "var" / "models"
    shutil.copytree(model_home / "models", models)
    fitting = (models / LATEST).read_text(encoding="utf-8").strip()
    other = models / "20990101T000000Z-0ther000"  # a newer model, trained for another taxonomy's labels
    shutil.copytree(models / fitting, other)
    meta = json.loads((other / META).read_text(encoding="utf-8"))
    meta["labels"] = {"stage": ["stage:somewhere_else"]}
    (other / META).write_text(json.dumps(meta), encoding="utf-8")
    (models / LATEST).write_text(other.name, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SNAG_TAXONOMY", raising=False)
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: [])  # were it to train, it would fail
    monkeypatch.setattr(sys, "argv", ["snag", "train", "--if-missing"])
    main()
    assert f"Model {fitting} is ready; nothing to train." in capsys.readouterr().out
    assert (models / LATEST).read_text(encoding="utf-8").strip() == fitting


@pytest.mark.usefixtures("shipped_subset")
def test_snag_train_labelled_starts_a_model_from_an_organisations_own_labelled_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a taxonomy of its own, nothing shipped fits and `snag train` stopped until people had
    answered enough receipts: an organisation's labelled history (as `snag classify` writes it,
    corrected) now starts the model, and is kept so that every later training reads it."""
    import json

    from bot.cli import main
    from classifier.corrections import training_reports

    own = _written(tmp_path, "own.yml", OWN)
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "SNAG_TAXONOMY": str(tmp_path / "own.yml"),
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(key, value)
    rows = [
        {
            "id": n,
            "text": text,
            "stage": tags.stage,
            "kinds": list(tags.kinds),
            "teams": list(tags.teams),
            "handoff": None,
        }
        for n, (text, tags) in enumerate(ANSWERS * 6, start=1)
    ]
    rows.append({"id": 99, "text": "billing ran twice", "stage": "billing", "kinds": [], "teams": [], "handoff": None})
    labelled = tmp_path / "history.jsonl"
    labelled.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["snag", "train", "--labelled", str(labelled), "--epochs", str(EPOCHS)])
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, None), err
    assert "line 25: unknown stage 'billing'; skipped" in err
    assert f"Kept 24 labelled report(s) from {labelled}" in err
    assert "Trained model" in out
    kept = tmp_path / "var" / "labelled" / "history.jsonl"
    assert kept.exists()
    settings = make_settings(tmp_path / "var")
    assert {r.text for r in training_reports(settings, own)} >= {text for text, _ in ANSWERS}  # `retrain` reads it too


def test_snag_train_labelled_with_no_usable_line_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    _written(tmp_path, "own.yml", OWN)
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "SNAG_TAXONOMY": str(tmp_path / "own.yml"),
        "SNAG_DATA_DIR": str(tmp_path / "var"),
        "SNAG_DATABASE_URL": f"sqlite:///{tmp_path / 'snag.db'}",
        "SNAG_REPORTER_SECRET": "test-secret",
    }.items():
        monkeypatch.setenv(key, value)
    labelled = tmp_path / "texts.jsonl"
    labelled.write_text('{"id": 1, "text": "reception is slow"}\n', encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["snag", "train", "--labelled", str(labelled)])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "line 1: no labels" in err and "nothing kept" in err
    assert not (tmp_path / "var" / "labelled").exists()


def test_two_kept_labelled_files_numbered_alike_are_both_trained_on(tmp_path: Path) -> None:
    """Two exports both numbered from 1 kept only the second file's reports (one report per id)."""
    import json

    from classifier.corrections import LABELLED, own_labelled

    own = _written(tmp_path, "own.yml", OWN)
    settings = make_settings(tmp_path / "var")
    folder = settings.data_dir / LABELLED
    folder.mkdir(parents=True)
    for name, (text, tags) in (("a.jsonl", ANSWERS[0]), ("b.jsonl", ANSWERS[1])):
        row = {"id": 1, "text": text, "stage": tags.stage, "kinds": list(tags.kinds), "teams": list(tags.teams)}
        (folder / name).write_text(json.dumps({**row, "handoff": None}) + "\n", encoding="utf-8")
    assert sorted(r.text for r in own_labelled(settings, own)) == sorted([ANSWERS[0][0], ANSWERS[1][0]])
