"""Evaluation tables for the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.taxonomy import Taxonomy
from classifier.metrics import AXES, Evaluation

__all__ = ["print_evaluation", "label_table", "confusion_table"]


def _pct(value: float) -> str:
    return f"{value:.3f}"


def label_table(result: Evaluation, axis: str) -> Table:
    """Precision, recall, F1 and support per label of one axis, then macro and micro rows."""
    table = Table(title=f"{axis}: per label", title_justify="left")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, score in result.labels[axis].items():
        table.add_row(label, _pct(score.precision), _pct(score.recall), _pct(score.f1), str(score.support))
    micro = result.micro(axis)
    table.add_section()
    table.add_row("macro", "", "", _pct(result.macro(axis)), "")
    table.add_row("micro", _pct(micro.precision), _pct(micro.recall), _pct(micro.f1), str(micro.support))
    return table


def confusion_table(result: Evaluation, taxonomy: Taxonomy) -> Table:
    """Rows: the gold stage; columns: the predicted stage ('null' = none or unsure)."""
    labels = [*taxonomy.stage_labels, "null"]
    table = Table(title="stage confusion (rows: gold, columns: predicted)", title_justify="left")
    table.add_column("gold \\ predicted")
    for label in labels:
        table.add_column(label[:8], justify="right")
    for gold in labels:
        cells = [result.confusion.get((gold, p), 0) for p in labels]
        table.add_row(
            gold,
            *(f"[bold]{n}[/bold]" if g == gold and n else str(n or ".") for g, n in zip(labels, cells, strict=True)),
        )
    return table


def summary_table(result: Evaluation) -> Table:
    table = Table(title="summary", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in result.summary().items():
        table.add_row(name, _pct(value))
    table.add_row("reports", str(result.reports))
    return table


def print_evaluation(
    result: Evaluation, taxonomy: Taxonomy, *, title: str = "", console: Console | None = None
) -> None:
    """Print every table of an evaluation."""
    console = console or Console()
    if title:
        console.rule(title)
    for axis in AXES:
        console.print(label_table(result, axis))
    console.print(confusion_table(result, taxonomy))
    console.print(summary_table(result))
