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

from bot.corrections import AXES
from bot.errors import SnagError
from bot.taxonomy import Taxonomy
from classifier.corrections import HANDOFF_ONLY, axes_of
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

__all__ = [
    "TrainedModel",
    "NotEnoughLabels",
    "train",
    "prune",
    "cats_of",
    "check_labelled",
    "rules_digest",
    "point_latest",
    "kept_models",
    "DEFAULT_EPOCHS",
    "LATEST",
    "META",
    "MIN_LABELLED",
]

DEFAULT_EPOCHS = 10
DEFAULT_LEARN_RATE = 0.2
LATEST = "LATEST"
META = "snag.json"
KEEP_VERSIONS = 3
FORMAT = 1  # bump when a model written by an older train.py can no longer be loaded
MIN_LABELLED = 20  # reports per axis (and 2 stages, 2 kinds) before a model is worth training


class NotEnoughLabels(SnagError):
    """Too few labelled reports fit the taxonomy to train a model; the rule tagger answers."""

    code = "not_enough_labels"


@dataclass(frozen=True)
class TrainedModel:
    version: str
    path: Path


def cats_of(report: LabelledReport, taxonomy: Taxonomy) -> dict[str, float]:
    """The gold scores of every textcat label for one report, on the axes it teaches.

    The sides of a handoff are only known (and only learnt) where there is one:
    for other reports the from:/to: labels are left out, which textcat reads as missing.
    An axis the report does not teach (`axes_of`) has no labels at all.
    """
    labels = textcat_labels(taxonomy)
    axes = axes_of(report)
    cats = {label: 0.0 for name in ("stage", "kinds", "teams") if name in axes for label in labels[name]}
    if "stage" in axes:
        cats[f"stage:{report.stage or NO_STAGE}"] = 1.0
    for kind in report.kinds if "kinds" in axes else ():
        cats[f"kind:{kind}"] = 1.0
    for team in report.teams if "teams" in axes else ():
        cats[f"team:{team}"] = 1.0
    if "handoff" not in axes and HANDOFF_ONLY not in axes:
        return cats
    cats[HANDOFF] = 1.0 if report.handoff else 0.0
    if report.handoff and "handoff" in axes:
        cats.update({label: 0.0 for label in labels["handoff"][1:]})
        source, target = report.handoff
        cats[f"from:{source or NO_TEAM}"] = 1.0
        cats[f"to:{target or NO_TEAM}"] = 1.0
    return cats


Examples = dict[str, list[Example | None]]


def make_examples(nlp: Language, reports: Sequence[LabelledReport], taxonomy: Taxonomy) -> Examples:
    """Examples per textcat, over docs that already carry the rule components' matches.

    The exclusive stage textcat rejects examples with other labels set, so each
    textcat gets examples holding only its own labels; they share the same docs.
    A report that does not teach a textcat's axis gives None there: the exclusive
    textcat cannot read an example without labels as "unknown".
    """
    with nlp.select_pipes(enable=list(RULE_PIPES)):
        docs = list(nlp.pipe(model_text(r.text) for r in reports))
    labels = textcat_labels(taxonomy)
    out: Examples = {name: [] for name in TEXTCATS}
    for doc, report in zip(docs, reports, strict=True):
        cats, axes = cats_of(report, taxonomy), _taught(report)
        for name, axis in zip(TEXTCATS, AXES, strict=True):
            own = {label: cats[label] for label in labels[name] if label in cats}
            out[name].append(Example.from_dict(doc, {"cats": own}) if axis in axes else None)
    return out


def _taught(report: LabelledReport) -> tuple[str, ...]:
    """The textcat axes a report teaches (whether there was a handoff counts for handoff)."""
    axes = axes_of(report)
    return (*axes, "handoff") if HANDOFF_ONLY in axes else axes


def check_labelled(reports: Sequence[LabelledReport], taxonomy: Taxonomy) -> None:
    """Raise NotEnoughLabels unless every axis has enough labelled reports to learn from."""
    taught = {axis: [r for r in reports if axis in _taught(r)] for axis in AXES}
    stages = {r.stage for r in taught["stage"] if r.stage}
    kinds = {k for r in taught["kinds"] for k in r.kinds}
    short = [f"{axis}: {len(rs)} of {MIN_LABELLED} reports" for axis, rs in taught.items() if len(rs) < MIN_LABELLED]
    for what, found, labels in (("stages", stages, taxonomy.stages), ("kinds", kinds, taxonomy.kinds)):
        if len(found) < min(2, len(labels)):
            short.append(f"{len(found)} of {min(2, len(labels))} {what}")
    if not short:
        return
    nothing = all(not taught[axis] for axis in AXES if len(taught[axis]) < MIN_LABELLED)
    raise NotEnoughLabels(
        f"{'Nothing' if nothing else 'Not enough'} is labelled for this taxonomy's labels yet "
        f"({'; '.join(short)}; the shipped examples only count where their labels are this "
        "taxonomy's). Snag tags with the taxonomy's words and aliases for now, and trains its model "
        f"once people's corrections and confirmations give at least {MIN_LABELLED} reports for each of "
        "stage, kinds, teams and handoff, with at least 2 stages and 2 kinds."
    )


def alias_stats(examples: Iterable[Example | None], reports: Iterable[LabelledReport]) -> dict[str, list[int]]:
    """Per team alias: in how many reports it meant its team, and in how many it appeared."""
    stats: dict[str, list[int]] = {}
    for eg, report in zip(examples, reports, strict=True):
        if eg is None:  # the report's teams are unknown
            continue
        seen = {(e.text.lower(), e.ent_id_) for e in eg.predicted.ents if e.label_ == TEAM}
        for alias, team in seen:
            row = stats.setdefault(alias, [0, 0])
            row[0] += team in report.teams
            row[1] += 1
    return stats


def rules_digest(taxonomy: Taxonomy) -> str:
    """A digest of what the rule components are built from: labels, aliases, systems, cue words."""
    groups = (taxonomy.stages, taxonomy.kinds, taxonomy.teams, taxonomy.systems)
    content = [[(item.label, item.aliases, item.words) for item in group] for group in groups]
    return hashlib.sha1(json.dumps(content).encode()).hexdigest()


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
    """Train on the reports and write out_dir/<version>/, then out_dir/LATEST.

    Raises NotEnoughLabels when too few reports fit the taxonomy. A kept model trained on the
    same data, taxonomy and settings is the same model (training is reproducible): LATEST just
    points at it again.
    """
    check_labelled(reports, taxonomy)
    digest = fingerprint(reports, taxonomy, seed, epochs, batch_size, learn_rate, length)
    same = _kept_model(Path(out_dir), digest)
    if same is not None:
        point_latest(Path(out_dir), same.name)
        return TrainedModel(same.name, same)
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
        "labels": textcat_labels(taxonomy),
        "rules": rules_digest(taxonomy),
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
    point_latest(out_dir, version)
    prune(out_dir, keep=KEEP_VERSIONS)
    return TrainedModel(version, final)


def point_latest(out_dir: Path, version: str) -> None:
    """Switch LATEST to a model on disk, atomically."""
    pointer = out_dir / f".{LATEST}.tmp"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, out_dir / LATEST)


def kept_models(out_dir: Path) -> list[Path]:
    """The model directories under out_dir, newest first (none still being written)."""
    if not out_dir.is_dir():
        return []
    written = [p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / META).exists()]
    return sorted(written, key=lambda p: ((p / META).stat().st_mtime_ns, p.name), reverse=True)


def _kept_model(out_dir: Path, digest: str) -> Path | None:
    for path in kept_models(out_dir):
        try:
            meta = json.loads((path / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("fingerprint") == digest and meta.get("format") == FORMAT:
            return path
    return None


def prune(out_dir: Path, *, keep: int) -> list[str]:
    """Delete all but the newest `keep` models (never the one LATEST names); return what went."""
    latest = (out_dir / LATEST).read_text(encoding="utf-8").strip()
    versions = [p.name for p in reversed(kept_models(out_dir))]
    doomed = [v for v in versions[:-keep] if v != latest] if keep > 0 else []
    for version in doomed:
        shutil.rmtree(out_dir / version, ignore_errors=True)
    return doomed
