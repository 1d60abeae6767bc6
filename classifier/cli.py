"""`snag train`, `snag eval FILE.jsonl` and `snag classify IN.jsonl|-`."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

import typer

# The file contract `snag group` shares: the same lines read, the same messages, the same exit codes.
__all__ = [
    "register",
    "train_command",
    "eval_command",
    "classify_command",
    "open_lines",
    "skip_line",
    "as_the_bot_reads",
    "json_line",
    "stops_quietly_when_stdout_closes",
    "CLOSED_STDOUT",
]

_BATCH = 512
ReportLine = tuple[dict, str]  # a line's object and the text to tag
# The exit code of a command whose reader stopped early (`snag classify big.jsonl | head -1`): the
# shell's 128 + SIGPIPE, what `cat` or `grep` end with there, so `set -o pipefail` sees Snag as it
# sees them. Not 0 (not every line was written) and not 1 (malformed lines were skipped).
CLOSED_STDOUT = 141
_SEED_MAX = 2**32 - 1  # numpy's seeds; others fold into this range and share a run with another seed
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


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
    """The model that fits the taxonomy; when there is none, one trained now, saying so first."""
    from classifier.loading import fitting_version
    from classifier.service import load_classifier
    from classifier.versions import models_dir

    directory = models_dir(settings)
    if fitting_version(directory, taxonomy) is None:
        _train_missing_model(settings, taxonomy, directory)
    return load_classifier(settings=settings, taxonomy=taxonomy, train_if_missing=False)


def _train_missing_model(settings: Any, taxonomy: Any, directory: Path) -> None:
    """Train a model for `snag classify` or `snag eval`, saying first why the wait.

    Reading a file creates no database: the corrections are read only from a database that
    exists, as it is (`snag train` migrates it; a file command does not).
    """
    from classifier.corrections import shipped_reports
    from classifier.examples import NotEnoughLabels
    from classifier.loading import fitting_version
    from classifier.service import training_alone
    from classifier.train import train

    has_store = _store_exists(settings)
    typer.echo(
        f"No trained model for this taxonomy in {directory}: training one now from the shipped data"
        f"{' and the corrections in the database' if has_store else ''} "
        "(about 1-2 minutes; `make model` does it ahead of time).",
        err=True,
    )
    reports = shipped_reports(taxonomy) + (_corrections(settings, taxonomy) if has_store else [])
    try:
        with training_alone(directory, lambda said: typer.echo(said, err=True)):
            if fitting_version(directory, taxonomy) is None:  # none written while this waited
                train(taxonomy, reports, directory)
    except NotEnoughLabels as exc:
        typer.echo(exc.message, err=True)  # it says the rules tag meanwhile


def _store_exists(settings: Any) -> bool:
    """Whether the configured database is there already: a SQLite file, or any other server's."""
    from store.db import sqlite_file

    if not settings.is_embedded_db:
        return True
    path = sqlite_file(settings.resolved_database_url)
    return path is not None and path.is_file()


def _corrections(settings: Any, taxonomy: Any) -> list[Any]:
    """People's corrections in the database as it is, never migrated; none when it cannot be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.errors import StoreUnavailable
    from classifier.corrections import correction_reports
    from store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        return list(correction_reports(engine, taxonomy))
    except (StoreUnavailable, SQLAlchemyError):
        typer.echo(
            "No corrections read from the database (not reachable, or not migrated: `snag db upgrade`); "
            "training on the shipped data alone.",
            err=True,
        )
        return []
    finally:
        engine.dispose()


def train_command(
    seed: int = typer.Option(
        0, min=0, max=_SEED_MAX, help="Random seed, 0 to 4294967295: the same data and seed give the same model."
    ),
    epochs: int = typer.Option(None, min=1, help="Passes over the data, 1 or more (default: the tuned number)."),
    if_missing: bool = typer.Option(
        False, "--if-missing", help="Only train when no usable model exists yet (make run, Docker)."
    ),
    labelled: list[Path] = typer.Option(
        None,
        "--labelled",
        help="A jsonl file of your own labelled reports (as `snag classify` writes them, corrected), kept under "
        "the data directory and trained on from now on (repeatable).",
    ),
) -> None:
    """Train the tagger on the shipped data, your own labelled files and every correction in the database."""
    import time

    from classifier.corrections import training_reports
    from classifier.loading import fitting_version
    from classifier.service import training_alone
    from classifier.train import DEFAULT_EPOCHS, already_trained, train
    from classifier.versions import models_dir, point_latest

    settings, taxonomy = _setup()
    directory = models_dir(settings)
    for path in labelled or ():
        _keep_labelled(path, settings, taxonomy)
    if if_missing:
        version = fitting_version(directory, taxonomy)  # LATEST, or a kept model that fits
        if version:
            point_latest(directory, version)
            typer.echo(f"Model {version} is ready; nothing to train.")
            return
    reports = training_reports(settings, taxonomy)
    epochs = DEFAULT_EPOCHS if epochs is None else epochs
    with training_alone(directory, lambda said: typer.echo(said, err=True)):
        kept = already_trained(taxonomy, reports, directory, seed=seed, epochs=epochs)
        if kept is not None:
            point_latest(directory, kept.name)
            typer.echo(
                f"Model {kept.name} is up to date: it was trained on these same {len(reports):,} reports, with "
                "this taxonomy and these settings, so it is used as it is. Nothing to train."
            )
            return
        started = time.perf_counter()
        model = train(taxonomy, reports, directory, seed=seed, epochs=epochs, progress=True)
    typer.echo(
        f"Trained model {model.version} on {len(reports):,} reports in "
        f"{time.perf_counter() - started:.1f}s: {model.path}"
    )


def _keep_labelled(path: Path, settings: Any, taxonomy: Any) -> None:
    """Check an organisation's labelled file line by line, then keep it under the data directory
    (replacing one of the same name), where every later training reads it: `retrain` in chat too."""
    import shutil

    from bot.errors import InputError
    from classifier.corrections import LABELLED
    from classifier.dataset import parse_report, read_jsonl

    good: list[int] = []
    skipped: list[int] = []
    with open_lines(str(path)) as stream:
        for number, row, problem in read_jsonl(stream):
            try:
                if problem:
                    raise InputError(problem)
                parse_report(row or {}, taxonomy)
            except InputError as exc:
                skip_line(number, exc.message, skipped)
                continue
            good.append(number)
    if not good:
        typer.secho(
            f"{path}: no line is a labelled report of this taxonomy (each needs id, text, stage, kinds, teams and "
            'handoff, as `snag classify` writes them: {"id": 1, "text": "...", "stage": null, "kinds": [], '
            '"teams": [], "handoff": null}); nothing kept.',
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(2)
    folder = settings.data_dir / LABELLED
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / (path.name if path.name.endswith(".jsonl") else f"{path.name}.jsonl")
    shutil.copyfile(path, kept)
    left = f"; {len(skipped)} line(s) skipped, as said above" if skipped else ""
    typer.echo(f"Kept {len(good):,} labelled report(s) from {path} at {kept}{left}.", err=True)


def open_lines(path: str) -> AbstractContextManager[IO[Any]]:
    """The file as bytes, so each line is decoded on its own: one bad line is one skipped line."""
    if path == "-":
        return nullcontext(getattr(sys.stdin, "buffer", sys.stdin))  # never close the caller's stdin
    try:
        return Path(path).open("rb")
    except OSError as exc:
        typer.secho(f"Cannot read {path}: {exc.strerror}.", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from exc


def skip_line(number: int, problem: str, skipped: list[int]) -> None:
    typer.echo(f"line {number}: {problem.rstrip('.')}; skipped", err=True)
    skipped.append(number)


def _reports(stream: IO[Any], skipped: list[int], tagging_text: Callable[[int, str], str]) -> Iterator[ReportLine]:
    """(object, text to tag) per line with an 'id' and a 'text'; others are reported and skipped."""
    from bot.errors import InputError
    from classifier.dataset import read_jsonl, report_id_and_text

    for number, row, problem in read_jsonl(stream):
        try:
            if problem:
                raise InputError(problem)
            _, text = report_id_and_text(row or {})
        except InputError as exc:
            skip_line(number, exc.message, skipped)
            continue
        yield row or {}, tagging_text(number, text)


def as_the_bot_reads(settings: Any, taxonomy: Any, done: str = "tagged") -> Callable[[int, str], str]:
    """A report's text as the bot tags and groups it: cleaned, cut to the size limit, then redacted.

    `done` is what the command does with it, for the line naming a cut ("tagged", "grouped").
    """
    from bot.redact import Redactor
    from bot.text import clean_report_text

    limit, redactor = settings.max_report_chars, Redactor(taxonomy.redact)

    def tagging_text(number: int, text: str) -> str:
        cleaned = clean_report_text(text, limit=limit)
        if cleaned.truncated_from:
            typer.echo(
                f"line {number}: text of {cleaned.truncated_from:,} characters; {done} on its first "
                f"{limit:,} (SNAG_MAX_REPORT_CHARS), as the bot does",
                err=True,
            )
        return redactor.redact(cleaned.text)

    return tagging_text


def json_line(row: dict) -> bytes:
    """One output line, in UTF-8 as JSON lines are.

    A lone surrogate (valid JSON, the escape \\ud800, but no UTF-8 character) is written back
    as that escape: the line means what the input line meant and the file stays UTF-8.
    """
    line = json.dumps(row, ensure_ascii=False) + "\n"
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", line).encode("utf-8")


def _stdout_bytes() -> Callable[[bytes], object]:
    """Write bytes to stdout: its binary buffer, so no locale's encoding can refuse a line."""
    sys.stdout.flush()  # anything written as text so far comes first
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        return buffer.write
    return lambda data: sys.stdout.write(data.decode("utf-8"))


@contextmanager
def stops_quietly_when_stdout_closes() -> Iterator[None]:
    """A reader that stops early (`| head -1`) closes the pipe: stop, say nothing, exit 141."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        try:  # what is still buffered goes nowhere, so the exit cannot fail on it again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # a stdout without a file descriptor (tests)
            pass
        raise typer.Exit(CLOSED_STDOUT) from None


def _console() -> Any:
    """rich's Console, except that a closed stdout stops it as it stops `snag classify` (rich exits 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Console()


def _batches(rows: Iterator[ReportLine], size: int) -> Iterator[list[ReportLine]]:
    batch: list[ReportLine] = []
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
    """Tag every report of a jsonl file; write the reports with their tags to stdout.

    Each line needs an "id" (a non-empty string or a whole number) and a non-empty "text".
    The text is tagged as the bot tags a report: cleaned, cut to SNAG_MAX_REPORT_CHARS and
    redacted (personal details and the taxonomy's redact patterns become placeholders). Every
    field of the line, the text as written included, is carried through unchanged.
    """
    settings, taxonomy = _setup()
    classifier = _classifier(settings, taxonomy)
    skipped: list[int] = []
    with stops_quietly_when_stdout_closes(), open_lines(source) as stream:
        write = _stdout_bytes()
        reports = _reports(stream, skipped, as_the_bot_reads(settings, taxonomy))
        for batch in _batches(reports, _BATCH):
            tags = _classify_many(classifier, [text for _, text in batch])
            for (row, _), tagged in zip(batch, tags, strict=True):
                write(json_line({**row, **tagged.as_dict()}))
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
    from classifier.dataset import LABEL_FIELDS, parse_report, read_jsonl
    from classifier.metrics import evaluate
    from classifier.report import print_evaluation

    settings, taxonomy = _setup()
    reports: list[Any] = []
    numbers: list[int] = []
    skipped: list[int] = []
    read_as: dict[str, str] = {}  # labels given by a title or alias (a label renamed since), read as theirs
    with open_lines(source) as stream:
        for number, row, problem in read_jsonl(stream):
            try:
                if problem:
                    raise InputError(problem)
                reports.append(parse_report(row or {}, taxonomy, read_as=read_as))
                numbers.append(number)
            except InputError as exc:
                skip_line(number, exc.message, skipped)
    for given, label in sorted(read_as.items()):
        typer.echo(f"{given!r} read as {label!r}, the label the taxonomy gives that name", err=True)
    if not reports:
        typer.secho(
            f"No labelled reports to evaluate: each line needs {', '.join(map(repr, LABEL_FIELDS))} "
            "besides 'id' and 'text' ('snag classify' tags unlabelled reports).",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(1)
    classifier = _classifier(settings, taxonomy)
    as_the_bot = as_the_bot_reads(settings, taxonomy)  # the figures of what `snag classify` and the bot tag
    predicted = _classify_many(classifier, [as_the_bot(n, r.text) for n, r in zip(numbers, reports, strict=True)])
    version = getattr(classifier, "version", "?")
    with stops_quietly_when_stdout_closes():
        result = evaluate(reports, predicted, taxonomy)
        print_evaluation(result, taxonomy, title=f"model {version}", console=_console())
    if skipped:
        raise typer.Exit(1)
