"""The floor to beat: TF-IDF + logistic regression on the same train/dev split.

Run: .venv/bin/python benchmarks/baseline_tfidf.py   (needs the [bench] extra: scikit-learn)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from bot.domain import Handoff, Tags  # noqa: E402
from bot.taxonomy import load_taxonomy  # noqa: E402
from classifier.dataset import LabelledReport, load_reports, split  # noqa: E402
from classifier.metrics import evaluate  # noqa: E402

NONE = "null"


def _single(train: list[LabelledReport], dev_x, train_x, target) -> list[str]:  # type: ignore[no-untyped-def]
    y = [target(r) or NONE for r in train]
    if len(set(y)) < 2:
        return [y[0]] * dev_x.shape[0]
    model = LogisticRegression(max_iter=2000, C=10.0).fit(train_x, y)
    return list(model.predict(dev_x))


def _multi(train, dev_x, train_x, target, threshold: float) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    binarizer = MultiLabelBinarizer()
    y = binarizer.fit_transform([target(r) for r in train])
    model = OneVsRestClassifier(LogisticRegression(max_iter=2000, C=10.0)).fit(train_x, y)
    chosen = model.predict_proba(dev_x) >= threshold
    return [tuple(row) for row in binarizer.inverse_transform(chosen.astype(int))]


def baseline(train: list[LabelledReport], dev: list[LabelledReport], threshold: float = 0.5) -> list[Tags]:
    """Predict dev tags with one TF-IDF + logistic-regression model per axis."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    train_x = vectorizer.fit_transform(r.text for r in train)
    dev_x = vectorizer.transform(r.text for r in dev)
    stages = _single(train, dev_x, train_x, lambda r: r.stage)
    kinds = _multi(train, dev_x, train_x, lambda r: r.kinds, threshold)
    teams = _multi(train, dev_x, train_x, lambda r: r.teams, threshold)
    sources = _single(train, dev_x, train_x, lambda r: r.handoff[0] if r.handoff else None)
    targets = _single(train, dev_x, train_x, lambda r: r.handoff[1] if r.handoff else None)
    out = []
    for i in range(len(dev)):
        pair = tuple(None if v == NONE else v for v in (sources[i], targets[i]))
        out.append(
            Tags(
                stage=None if stages[i] == NONE else stages[i],
                kinds=kinds[i],
                teams=teams[i],
                handoff=Handoff(*pair) if pair != (None, None) else None,
            )
        )
    return out


def main() -> None:
    taxonomy = load_taxonomy()
    train, dev = split(load_reports(taxonomy))
    print(json.dumps({"train": len(train), "dev": len(dev)}))
    for threshold in (0.5, 0.3):  # 0.3: the multi-label cut-off tuned in favour of the baseline
        result = evaluate(dev, baseline(train, dev, threshold), taxonomy)
        print(json.dumps({"multi_label_threshold": threshold, **result.summary()}))
    no_handoff = sum(r.handoff is None for r in dev) / len(dev)
    print(json.dumps({"handoff_exact_if_always_null": round(no_handoff, 4)}))


if __name__ == "__main__":
    main()
