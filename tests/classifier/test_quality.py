"""Quality floors: the model trained on the train split, scored on the dev split and on held-out data.

The floors sit a few points under the figures in classifier/README.md (measured with
`python -m benchmarks.quality`), so a change that costs quality fails here. They are far
under the issue's targets, which are not met (see the README).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport, load_reports, split
from classifier.metrics import evaluate

HELDOUT = Path(__file__).resolve().parents[2] / "classifier" / "data" / "heldout" / "fleet_leasing.jsonl"

DEV_FLOORS = {"stage_macro_f1": 0.68, "kinds_micro_f1": 0.68, "teams_micro_f1": 0.77, "handoff_exact": 0.73}
HELDOUT_FLOORS = {"stage_macro_f1": 0.57, "kinds_micro_f1": 0.65, "teams_micro_f1": 0.70, "handoff_exact": 0.82}


@pytest.fixture(scope="module")
def full_model(tmp_path_factory: pytest.TempPathFactory, taxonomy: Taxonomy, shipped: list[LabelledReport]):  # type: ignore[no-untyped-def]
    from classifier.service import SpacyClassifier
    from classifier.train import train

    home = tmp_path_factory.mktemp("full-model")
    train_split, _ = split(shipped)
    train(taxonomy, train_split, home, seed=0)
    return SpacyClassifier(directory=home, taxonomy=taxonomy, threshold=0.3)


def _scores(model, reports: list[LabelledReport], taxonomy: Taxonomy) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return evaluate(reports, model.classify_many([r.text for r in reports]), taxonomy).summary()


def test_dev_split_stays_above_its_floors(full_model, taxonomy: Taxonomy, shipped: list[LabelledReport]) -> None:  # type: ignore[no-untyped-def]
    _, dev = split(shipped)
    scores = _scores(full_model, dev, taxonomy)
    low = {k: (scores[k], floor) for k, floor in DEV_FLOORS.items() if scores[k] < floor}
    assert not low, f"below the floor on the dev split: {low}"


def test_held_out_industry_stays_above_its_floors(full_model, taxonomy: Taxonomy) -> None:  # type: ignore[no-untyped-def]
    reports = load_reports(taxonomy, [HELDOUT], strict=True)
    assert len(reports) == 300
    scores = _scores(full_model, reports, taxonomy)
    low = {k: (scores[k], floor) for k, floor in HELDOUT_FLOORS.items() if scores[k] < floor}
    assert not low, f"below the floor on the held-out fleet-leasing set: {low}"


def test_held_out_reports_are_never_training_data(taxonomy: Taxonomy, shipped: list[LabelledReport]) -> None:
    held = load_reports(taxonomy, [HELDOUT])
    assert {r.text for r in held}.isdisjoint({r.text for r in shipped})
    assert {r.id for r in held}.isdisjoint({r.id for r in shipped})
