"""`snag train`, `snag eval FILE.jsonl` and `snag classify IN.jsonl|-`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, Any

import typer

__all__ = ["register", "train_command", "eval_command", "classify_command"]

_BATCH = 512


def register(app: typer.Typer) -> None:
    """Add the classifier's commands to the `snag` app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("classify")(classify_command)


def _setup() -> tuple[Any, Any]:
    from bot.cli import load_settings
    from bot.taxonomy import load_taxonomy

    settings = load_settings()
    return settings, load_taxonomy(settings.taxonomy)


def _classifier(settings: Any, taxonomy: Any) -> Any:
    from classifier.service import load_classifier

    return load_classifier(settings=settings, taxonomy=taxonomy, train_if_missing=True)


def train_command(
    seed: int = typer.Option(0, help="Random seed: the same data and seed give the same model."),
    epochs: int = typer.Option(None, help="Passes over the data (default: the tuned number)."),
    if_missing: bool = typer.Option(
        False, "--if-missing", help="Only train when no usable model exists yet (make run, Docker)."
    ),
) -> None:
    """Train the tagger on the shipped data plus every correction in the database."""
    import time

    from classifier.corrections import training_reports
    from classifier.service import latest_version, load_nlp, models_dir
    from classifier.train import DEFAULT_EPOCHS, train

    settings, taxonomy = _setup()
    if if_missing:
        version = latest_version(models_dir(settings))
        if version and load_nlp(models_dir(settings) / version, taxonomy) is not None:
            typer.echo(f"Model {version} is ready; nothing to train.")
            return
    reports = training_reports(settings, taxonomy)
    started = time.perf_counter()
    model = train(
        taxonomy,
        reports,
        models_dir(settings),
        seed=seed,
        epochs=epochs or DEFAULT_EPOCHS,
        progress=True,
    )
    typer.echo(
        f"Trained model {model.version} on {len(reports):,} reports in "
        f"{time.perf_counter() - started:.1f}s: {model.path}"
    )


def _open(path: str) -> AbstractContextManager[IO[str]]:
    if path == "-":
        return nullcontext(sys.stdin)  # never close the caller's stdin
    try:
        return Path(path).open(encoding="utf-8")
    except OSError as exc:
        typer.secho(f"Cannot read {path}: {exc.strerror}.", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from exc


def _rows(stream: IO[str], skipped: list[int]) -> Iterator[dict]:
    """Objects with an 'id' and a 'text'; anything else is reported on stderr and skipped."""
    from classifier.dataset import read_jsonl

    for number, row, problem in read_jsonl(stream):
        if row is not None and "id" not in row:
            problem = "no 'id'"
        elif row is not None and not isinstance(row.get("text"), str):
            problem = "no 'text' string"
        if problem:
            typer.echo(f"line {number}: {problem}; skipped", err=True)
            skipped.append(number)
            continue
        yield row  # type: ignore[misc]


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def classify_command(
    source: str = typer.Argument(..., metavar="IN.jsonl|-", help="Reports, one JSON object a line."),
) -> None:
    """Tag every report of a jsonl file; write the reports with their tags to stdout."""
    settings, taxonomy = _setup()
    classifier = _classifier(settings, taxonomy)
    skipped: list[int] = []
    out = sys.stdout
    with _open(source) as stream:
        for batch in _batches(_rows(stream, skipped), _BATCH):
            for row, tags in zip(batch, _classify_many(classifier, [r["text"] for r in batch]), strict=True):
                out.write(json.dumps({**row, **tags.as_dict()}, ensure_ascii=False) + "\n")
    out.flush()
    if skipped:
        typer.echo(f"{len(skipped)} malformed line(s) skipped.", err=True)
        raise typer.Exit(1)


def _classify_many(classifier: Any, texts: list[str]) -> list[Any]:
    many = getattr(classifier, "classify_many", None)
    return many(texts) if many else [classifier.classify(t) for t in texts]


def eval_command(
    source: str = typer.Argument(..., metavar="FILE.jsonl", help="Labelled reports, as in classifier/data."),
) -> None:
    """Per-label precision, recall and F1, macro and micro figures, and a stage confusion matrix."""
    from bot.errors import InputError
    from classifier.dataset import parse_report, read_jsonl
    from classifier.metrics import evaluate
    from classifier.report import print_evaluation

    settings, taxonomy = _setup()
    reports, skipped = [], 0
    with _open(source) as stream:
        for number, row, problem in read_jsonl(stream):
            try:
                if problem:
                    raise InputError(problem)
                reports.append(parse_report(row or {}, taxonomy))
            except InputError as exc:
                typer.echo(f"line {number}: {exc.message.rstrip('.')}; skipped", err=True)
                skipped += 1
    if not reports:
        typer.secho("No labelled reports to evaluate.", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    classifier = _classifier(settings, taxonomy)
    predicted = _classify_many(classifier, [r.text for r in reports])
    version = getattr(classifier, "version", "?")
    print_evaluation(evaluate(reports, predicted, taxonomy), taxonomy, title=f"model {version}")
    if skipped:
        raise typer.Exit(1)
