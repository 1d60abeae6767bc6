"""Training is reproducible, versioned, and learns from the corrections in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Handoff, Person, Platform, Tags
from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport
from classifier.service import latest_version, load_nlp
from classifier.train import LATEST, META, cats_of, train
from tests.classifier.conftest import EPOCHS, make_settings

PROBES = [
    "refund went to finance three weeks ago and nobody has touched it",
    "new starter still has no login, IT say raise a ticket",
    "the depot never got the address change so it went to the old house",
]


def _scores(path: Path, taxonomy: Taxonomy) -> list[dict[str, float]]:
    nlp = load_nlp(path, taxonomy)
    assert nlp is not None
    return [dict(doc.cats) for doc in nlp.pipe(PROBES)]


def test_same_data_and_seed_give_the_same_model(
    tmp_path: Path, taxonomy: Taxonomy, subset: list[LabelledReport], model_home: Path
) -> None:
    again = train(taxonomy, subset, tmp_path / "models", seed=0, epochs=EPOCHS)
    first = model_home / "models" / latest_version(model_home / "models")  # type: ignore[operator]
    assert _scores(again.path, taxonomy) == _scores(first, taxonomy)
    assert again.version.split("-")[-1] == first.name.split("-")[-1]  # same data fingerprint


def test_another_seed_gives_another_model(tmp_path: Path, taxonomy: Taxonomy, subset, model_home: Path) -> None:  # type: ignore[no-untyped-def]
    other = train(taxonomy, subset, tmp_path / "models", seed=7, epochs=EPOCHS)
    first = model_home / "models" / latest_version(model_home / "models")  # type: ignore[operator]
    assert _scores(other.path, taxonomy) != _scores(first, taxonomy)


def test_a_model_is_written_beside_the_old_ones_and_latest_moves(
    tmp_path: Path, taxonomy: Taxonomy, subset: list[LabelledReport]
) -> None:
    out = tmp_path / "models"
    one = train(taxonomy, subset[:60], out, seed=0, epochs=1)
    two = train(taxonomy, subset[:80], out, seed=0, epochs=1)
    assert one.version != two.version and one.path.exists() and two.path.exists()
    assert (out / LATEST).read_text().strip() == two.version == latest_version(out)
    assert (two.path / META).exists()
    assert not list(out.glob(".*partial"))


def test_gold_labels_become_textcat_scores(taxonomy: Taxonomy) -> None:
    report = LabelledReport("r", "t", None, ("waiting",), ("finance",), ("support", None))
    cats = cats_of(report, taxonomy)
    assert cats["stage:__none__"] == 1.0 and cats["kind:waiting"] == 1.0 and cats["team:finance"] == 1.0
    assert cats["HANDOFF"] == 1.0 and cats["from:support"] == 1.0 and cats["to:__none__"] == 1.0
    no_handoff = cats_of(LabelledReport("s", "t", "billing", ("waiting",), ()), taxonomy)
    assert no_handoff["HANDOFF"] == 0.0 and "from:support" not in no_handoff  # sides unknown


def test_corrections_in_the_database_join_the_training_data(
    tmp_path: Path, taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier import corrections
    from store.db import make_engine, upgrade
    from store.repository import SqlRepository

    settings = make_settings(tmp_path / "var")
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    repo = SqlRepository(engine)
    person = Person(Platform.SLACK, "T1", "U1")
    record, _ = repo.add_report(
        person=person,
        reporter_key="k",
        text="the KYC lot sat on it for a month",
        channel="C",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    first = Tags("billing", ("waiting",), ("finance",), source="person")
    latest = Tags(
        "assessment",
        ("waiting", "handoff"),
        ("compliance",),
        Handoff("compliance", None),
        source="person",
    )
    repo.add_correction(report_id=record.id, corrector_key="k", before=None, after=first)
    repo.add_correction(report_id=record.id, corrector_key="k", before=first, after=latest)
    engine.dispose()
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: [])
    reports = corrections.training_reports(settings, taxonomy)
    assert reports == [
        LabelledReport(
            id=f"correction-{record.id}",
            text="the KYC lot sat on it for a month",
            stage="assessment",
            kinds=("waiting", "handoff"),
            teams=("compliance",),
            handoff=("compliance", None),
        )
    ]


def test_no_reports_no_model(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from classifier.train import NotEnoughLabels

    with pytest.raises(NotEnoughLabels, match="Nothing is labelled for this taxonomy's labels yet"):
        train(taxonomy, [], tmp_path / "models")


def test_old_models_are_pruned_but_latest_stays(tmp_path: Path, taxonomy: Taxonomy, subset) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "models"
    made = [train(taxonomy, subset[: 20 + i], out, seed=0, epochs=1).version for i in range(4)]
    kept = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert kept == sorted(made[1:]) and latest_version(out) == made[-1]
