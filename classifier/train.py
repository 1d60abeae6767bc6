"""Train the tagger from labelled reports; write a versioned model and point LATEST at it.

The examples come from `examples.py`, the model versions on disk from `versions.py`; this
module holds the training loop and `train`, which ties them together. The names other code
imports from here are kept importable from here.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.util import fix_random_seed, minibatch
from thinc.api import SGD

from bot.corrections import AXES
from bot.taxonomy import Taxonomy
from classifier.corrections import axes_of
from classifier.dataset import LabelledReport
from classifier.examples import (
    MIN_LABELLED,
    Examples,
    NotEnoughLabels,
    alias_stats,
    cats_of,
    check_labelled,
    make_examples,
)
from classifier.features import fit_idf
from classifier.pipeline import DEFAULT_LENGTH, TEXTCATS, build_nlp, rules_digest, textcat_labels
from classifier.versions import (
    FORMAT,
    LATEST,
    META,
    TrainedModel,
    kept_model,
    kept_models,
    point_latest,
    prune,
    write_model,
)

__all__ = [
    "TrainedModel",
    "NotEnoughLabels",
    "train",
    "already_trained",
    "fit",
    "fingerprint",
    "prune",
    "cats_of",
    "check_labelled",
    "make_examples",
    "rules_digest",
    "point_latest",
    "kept_models",
    "write_model",
    "DEFAULT_EPOCHS",
    "FORMAT",
    "LATEST",
    "META",
    "MIN_LABELLED",
]

DEFAULT_EPOCHS = 10
DEFAULT_LEARN_RATE = 0.2


def fingerprint(reports: Iterable[LabelledReport], taxonomy: Taxonomy, *settings: object) -> str:
    """A digest of everything that decides the trained weights, the taxonomy's words included."""
    taxonomy_part = f"{textcat_labels(taxonomy)}|{rules_digest(taxonomy)}"
    digest = hashlib.sha1(f"{FORMAT}|{settings}|{taxonomy_part}".encode())
    for r in reports:
        row = [r.id, r.text, r.stage, r.kinds, r.teams, r.handoff]
        axes = axes_of(r)
        digest.update(json.dumps(row if axes == AXES else [*row, axes]).encode())
    return digest.hexdigest()


def fit(
    nlp: Language,
    examples: Examples,
    *,
    seed: int,
    epochs: int,
    batch_size: int = 32,
    learn_rate: float = DEFAULT_LEARN_RATE,
    progress: bool = False,
) -> None:
    """Initialise and update the textcats for a fixed number of epochs."""
    fix_random_seed(seed)
    for name in TEXTCATS:
        pipe = nlp.get_pipe(name)
        taught = [eg for eg in examples[name] if eg is not None]
        pipe.initialize(lambda egs=taught: egs, nlp=nlp)  # type: ignore[attr-defined]
        fit_idf(pipe.model, [eg.predicted for eg in taught])  # type: ignore[attr-defined]
    # Plain SGD: Adam's per-weight step sizes overfit the rare n-grams of a sparse model.
    optimizer = SGD(learn_rate=learn_rate, L2=0.0, grad_clip=0.0)
    rng = random.Random(seed)
    order = list(range(len(examples[TEXTCATS[0]])))
    with _progress(progress, epochs * len(order)) as advance:
        for _ in range(epochs):
            rng.shuffle(order)
            for batch in minibatch(order, size=batch_size):
                for name in TEXTCATS:
                    taught = [eg for eg in (examples[name][i] for i in batch) if eg is not None]
                    if taught:
                        nlp.get_pipe(name).update(taught, sgd=optimizer)  # type: ignore[attr-defined]
                advance(len(batch))


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over training steps, or nothing: yields `advance(steps)`."""
    if not show:
        yield lambda n: None
        return
    from rich.progress import Progress

    bar = Progress()
    bar.start()
    task = bar.add_task("Training", total=total)
    try:
        yield lambda n: bar.advance(task, n)
    finally:
        bar.stop()


def _settings(seed: int, epochs: int, batch_size: int, learn_rate: float, length: int) -> dict[str, Any]:
    # in this order: the fingerprint hashes the values, the meta records them
    return {"seed": seed, "epochs": epochs, "batch_size": batch_size, "learn_rate": learn_rate, "length": length}


def already_trained(
    taxonomy: Taxonomy,
    reports: Sequence[LabelledReport],
    out_dir: Path,
    *,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = 32,
    learn_rate: float = DEFAULT_LEARN_RATE,
    length: int = DEFAULT_LENGTH,
) -> Path | None:
    """The kept model `train` would use again for these reports, taxonomy and settings (it has
    nothing new to learn), else None: so a command can say so before promising a training."""
    settings = _settings(seed, epochs, batch_size, learn_rate, length)
    return kept_model(Path(out_dir), fingerprint(reports, taxonomy, *settings.values()))


def train(
    taxonomy: Taxonomy,
    reports: Sequence[LabelledReport],
    out_dir: Path,
    *,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = 32,
    learn_rate: float = DEFAULT_LEARN_RATE,
    length: int = DEFAULT_LENGTH,
    progress: bool = False,
) -> TrainedModel:
    """Train on the reports and write out_dir/<version>/, then out_dir/LATEST.

    Raises NotEnoughLabels when too few reports fit the taxonomy. A kept model trained on the
    same data, taxonomy and settings is the same model (training is reproducible): LATEST just
    points at it again.
    """
    check_labelled(reports, taxonomy)
    settings = _settings(seed, epochs, batch_size, learn_rate, length)
    digest = fingerprint(reports, taxonomy, *settings.values())
    same = kept_model(Path(out_dir), digest)
    if same is not None:
        point_latest(Path(out_dir), same.name)
        return TrainedModel(same.name, same)
    nlp = build_nlp(taxonomy, length=length)
    examples = make_examples(nlp, reports, taxonomy)
    fit(nlp, examples, seed=seed, epochs=epochs, batch_size=batch_size, learn_rate=learn_rate, progress=progress)
    nlp.get_pipe("tags").alias_stats = alias_stats(examples["teams"], reports)  # type: ignore[attr-defined]
    version = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}"
    meta = _meta(version, digest, settings, len(reports), taxonomy)
    return write_model(nlp, Path(out_dir), version, meta)


def _meta(version: str, digest: str, settings: dict[str, Any], reports: int, taxonomy: Taxonomy) -> dict[str, Any]:
    """What is written beside a model: how it was trained, and for which labels and rules."""
    return {
        "version": version,
        "format": FORMAT,
        "fingerprint": digest,
        **settings,
        "reports": reports,
        "taxonomy": taxonomy.source,
        "labels": textcat_labels(taxonomy),
        "rules": rules_digest(taxonomy),
        "created_at": datetime.now(UTC).isoformat(),
    }
