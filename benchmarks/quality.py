"""Classifier quality: the figures of classifier/README.md, and how far people agree with each other.

    python -m benchmarks.quality [--seed 0]

1. Trains on the fixed train split of classifier/data/reports and scores the dev split.
2. Scores the same model on every file under classifier/data/heldout/ (written by someone who
   never saw the training data; never trained or tuned on).
3. Scores a second person's blind labels of the dev split (classifier/data/second_annotator/)
   against the shipped labels: the agreement between two people is the ceiling a model can
   reach against labels written by someone else.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain import Handoff, Tags  # noqa: E402
from bot.taxonomy import load_taxonomy  # noqa: E402
from classifier.dataset import LabelledReport, load_reports, split  # noqa: E402
from classifier.metrics import evaluate  # noqa: E402

HELDOUT = ROOT / "classifier" / "data" / "heldout"
SECOND = ROOT / "classifier" / "data" / "second_annotator" / "dev.jsonl"
FIGURES = ("stage_macro_f1", "kinds_micro_f1", "teams_micro_f1", "handoff_exact", "handoff_exact_when_present")


def _row(name: str, n: int, summary: dict[str, float]) -> str:
    return f"| {name} | {n} | " + " | ".join(f"{summary[f]:.3f}" for f in FIGURES) + " |"


def second_annotator(dev: list[LabelledReport]) -> tuple[list[LabelledReport], list[Tags]]:
    """The dev reports a second person labelled blind, and their labels as Tags."""
    if not SECOND.exists():
        return [], []
    rows = {r["id"]: r for r in map(json.loads, SECOND.read_text(encoding="utf-8").splitlines())}
    both = [r for r in dev if r.id in rows]
    tags = []
    for report in both:
        row = rows[report.id]
        side = row["handoff"]
        tags.append(
            Tags(
                stage=row["stage"],
                kinds=tuple(row["kinds"]),
                teams=tuple(row["teams"]),
                handoff=Handoff(side["from"], side["to"]) if side else None,
                confidence={},
                source="person",
            )
        )
    return both, tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.3, help="stage confidence threshold")
    args = parser.parse_args()

    from classifier.service import SpacyClassifier
    from classifier.train import train

    taxonomy = load_taxonomy()
    train_split, dev = split(load_reports(taxonomy))
    home = Path(tempfile.mkdtemp(prefix="snag-quality-"))
    train(taxonomy, train_split, home, seed=args.seed)
    model = SpacyClassifier(directory=home, taxonomy=taxonomy, threshold=args.threshold)

    print(f"trained on {len(train_split)} reports (train split), stage threshold {args.threshold}\n")
    print(
        "| set | reports | stage macro-F1 | kinds micro-F1 | teams micro-F1 | handoff exact | ... when one is present |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    sets = [("dev split", dev)]
    sets += [(f"held out: {p.stem}", load_reports(taxonomy, [p])) for p in sorted(HELDOUT.glob("*.jsonl"))]
    for name, reports in sets:
        predicted = model.classify_many([r.text for r in reports])
        print(_row(name, len(reports), evaluate(reports, predicted, taxonomy).summary()))
    both, people = second_annotator(dev)
    if both:
        print(_row("second person vs shipped labels (dev)", len(both), evaluate(both, people, taxonomy).summary()))


if __name__ == "__main__":
    main()
