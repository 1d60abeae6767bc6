"""Train the tagger from labelled reports; write a versioned model and point LATEST at it."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from thinc.api import SGD

from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport
from classifier.features import fit_idf
from classifier.handoff import TEAM
from classifier.pipeline import (
    DEFAULT_LENGTH,
    HANDOFF,
    NO_STAGE,
    NO_TEAM,
    RULE_PIPES,
    TEXTCATS,
    build_nlp,
    textcat_labels,
)
from classifier.text import model_text

__all__ = ["TrainedModel", "train", "prune", "cats_of", "DEFAULT_EPOCHS", "LATEST", "META"]

DEFAULT_EPOCHS = 10
DEFAULT_LEARN_RATE = 0.2
LATEST = "LATEST"
META = "snag.json"
KEEP_VERSIONS = 3
FORMAT = 1  # bump when a model written by an older train.py can no longer be loaded


@dataclass(frozen=True)
class TrainedModel:
    version: str
    path: Path


def cats_of(report: LabelledReport, taxonomy: Taxonomy) -> dict[str, float]:
    """The gold scores of every textcat label for one report.

    The sides of a handoff are only known (and only learnt) where there is one:
    for other reports the from:/to: labels are left out, which textcat reads as missing.
    """
    labels = textcat_labels(taxonomy)
    cats = {label: 0.0 for name in ("stage", "kinds", "teams") for label in labels[name]}
    cats[f"stage:{report.stage or NO_STAGE}"] = 1.0
    for kind in report.kinds:
        cats[f"kind:{kind}"] = 1.0
    for team in report.teams:
        cats[f"team:{team}"] = 1.0
    cats[HANDOFF] = 1.0 if report.handoff else 0.0
    if report.handoff:
        cats.update({label: 0.0 for label in labels["handoff"][1:]})
        source, target = report.handoff
        cats[f"from:{source or NO_TEAM}"] = 1.0
        cats[f"to:{target or NO_TEAM}"] = 1.0
    return cats


def make_examples(nlp: Language, reports: Sequence[LabelledReport], taxonomy: Taxonomy) -> dict[str, list[Example]]:
    """Examples per textcat, over docs that already carry the rule components' matches.

    The exclusive stage textcat rejects examples with other labels set, so each
    textcat gets examples holding only its own labels; they share the same docs.
    """
    with nlp.select_pipes(enable=list(RULE_PIPES)):
        docs = list(nlp.pipe(model_text(r.text) for r in reports))
    labels = textcat_labels(taxonomy)
    out: dict[str, list[Example]] = {name: [] for name in TEXTCATS}
    for doc, report in zip(docs, reports, strict=True):
        cats = cats_of(report, taxonomy)
        for name in TEXTCATS:
            own = {label: cats[label] for label in labels[name] if label in cats}
            out[name].append(Example.from_dict(doc, {"cats": own}))
    return out


def alias_stats(examples: Iterable[Example], reports: Iterable[LabelledReport]) -> dict[str, list[int]]:
    """Per team alias: in how many reports it meant its team, and in how many it appeared."""
    stats: dict[str, list[int]] = {}
    for eg, report in zip(examples, reports, strict=True):
        seen = {(e.text.lower(), e.ent_id_) for e in eg.predicted.ents if e.label_ == TEAM}
        for alias, team in seen:
            row = stats.setdefault(alias, [0, 0])
            row[0] += team in report.teams
            row[1] += 1
    return stats


def fingerprint(reports: Iterable[LabelledReport], taxonomy: Taxonomy, *settings: object) -> str:
    """A digest of everything that decides the trained weights."""
    digest = hashlib.sha1(f"{FORMAT}|{settings}|{textcat_labels(taxonomy)}".encode())
    for r in reports:
        digest.update(json.dumps([r.id, r.text, r.stage, r.kinds, r.teams, r.handoff]).encode())
    return digest.hexdigest()


def fit(
    nlp: Language,
    examples: dict[str, list[Example]],
    *,
    seed: int,
    epochs: int,
    batch_size: int = 32,
    learn_rate: float = DEFAULT_LEARN_RATE,
    progress: bool = False,
) -> None:
    """Initialise and update the textcats for a fixed number of epochs."""
    fix_random_seed(seed)
    docs = [eg.predicted for eg in examples[TEXTCATS[0]]]
    for name in TEXTCATS:
        pipe = nlp.get_pipe(name)
        pipe.initialize(lambda n=name: examples[n], nlp=nlp)  # type: ignore[attr-defined]
        fit_idf(pipe.model, docs)  # type: ignore[attr-defined]
    # Plain SGD: Adam's per-weight step sizes overfit the rare n-grams of a sparse model.
    optimizer = SGD(learn_rate=learn_rate, L2=0.0, grad_clip=0.0)
    rng = random.Random(seed)
    order = list(range(len(examples[TEXTCATS[0]])))
    with _progress(progress, epochs * len(order)) as advance:
        for _ in range(epochs):
            rng.shuffle(order)
            for batch in minibatch(order, size=batch_size):
                for name in TEXTCATS:
                    pipe = nlp.get_pipe(name)
                    pipe.update([examples[name][i] for i in batch], sgd=optimizer)  # type: ignore[attr-defined]
                advance(len(batch))


class _progress:
    """A rich progress bar over training steps, or nothing."""

    def __init__(self, show: bool, total: int) -> None:
        self.show, self.total, self.bar = show, total, None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.show:
            return lambda n: None
        from rich.progress import Progress

        self.bar = Progress()
        self.bar.start()
        task = self.bar.add_task("Training", total=self.total)
        return lambda n: self.bar.advance(task, n)  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


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
    """Train on the reports and write out_dir/<version>/, then out_dir/LATEST."""
    if not reports:
        raise ValueError("No labelled reports to train on.")
    nlp = build_nlp(taxonomy, length=length)
    examples = make_examples(nlp, reports, taxonomy)
    fit(
        nlp,
        examples,
        seed=seed,
        epochs=epochs,
        batch_size=batch_size,
        learn_rate=learn_rate,
        progress=progress,
    )
    nlp.get_pipe("tags").alias_stats = alias_stats(examples["teams"], reports)  # type: ignore[attr-defined]
    digest = fingerprint(reports, taxonomy, seed, epochs, batch_size, learn_rate, length)
    version = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}"
    meta = {
        "version": version,
        "format": FORMAT,
        "fingerprint": digest,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learn_rate": learn_rate,
        "length": length,
        "reports": len(reports),
        "taxonomy": taxonomy.source,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return write_model(nlp, Path(out_dir), version, meta)


def write_model(nlp: Language, out_dir: Path, version: str, meta: dict) -> TrainedModel:
    """Write the model beside older ones, then switch LATEST to it atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    nlp.meta["name"] = "snag_tagger"
    nlp.to_disk(staging)
    (staging / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    final = out_dir / version
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    pointer = out_dir / f".{LATEST}.tmp"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, out_dir / LATEST)
    prune(out_dir, keep=KEEP_VERSIONS)
    return TrainedModel(version, final)


def prune(out_dir: Path, *, keep: int) -> list[str]:
    """Delete all but the newest `keep` models (never the one LATEST names); return what went."""
    latest = (out_dir / LATEST).read_text(encoding="utf-8").strip()
    written = [p for p in out_dir.iterdir() if p.is_dir() and (p / META).exists()]
    versions = [p.name for p in sorted(written, key=lambda p: ((p / META).stat().st_mtime_ns, p.name))]
    doomed = [v for v in versions[:-keep] if v != latest] if keep > 0 else []
    for version in doomed:
        shutil.rmtree(out_dir / version, ignore_errors=True)
    return doomed
