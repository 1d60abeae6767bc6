"""`snag import` and `snag export`: history in from a spreadsheet, patterns and reports out."""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli import load_settings
from bot.config import Settings
from bot.domain import Person, Platform, Role
from bot.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from bot.app import Services
    from bot.history import ColumnMap, HistoryRow, MissingColumn

__all__ = ["register", "import_", "export"]


def register(app: typer.Typer) -> None:
    """Add the history import and export commands to the `snag` app."""
    app.command("import")(import_)
    app.command("export")(export)


def _choice(kind: type[StrEnum], value: str, option: str) -> None:
    """UsageError naming the choices when an option's value is not one of them."""
    names = [member.value for member in kind]
    if value not in names:
        raise UsageError(f"{option} is {', '.join(names[:-1])} or {names[-1]}, not {value!r}.")


def _scope(services: Services, platform: str, tenant: str, role: str) -> Person:
    """A person of the given role in one tenant, for commands run from the shell."""
    person = services.snag.person(platform, tenant, "cli")
    return replace(person, role=Role(role))


def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSONL file."),
    text_column: str = typer.Option("text", help="Column holding the report text."),
    date_column: str | None = typer.Option(
        None, help="Column holding when it was reported.", show_default="created_at"
    ),
    no_dates: bool = typer.Option(False, "--no-dates", help="The rows have no dates: date every row today."),
    id_column: str | None = typer.Option(
        None, help="Column identifying the row in the source.", show_default="id if there is one, else the line"
    ),
    reporter_column: str | None = typer.Option(
        None, help="Column identifying who reported (hashed); without it all rows count as one reporter."
    ),
    platform: str = typer.Option("console", help="Platform of the tenant to import into."),
    tenant: str = typer.Option("local", help="Tenant (workspace or Teams tenant id)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and tag, store nothing."),
) -> None:
    """Tag and group history (e.g. an old spreadsheet of issues) so the first digest has patterns."""
    from rich.progress import Progress

    from bot.app import build
    from bot.history import ColumnMap

    if no_dates and date_column:
        raise UsageError("Give either --date-column or --no-dates, not both.")
    _choice(Platform, platform, "--platform")
    settings = load_settings()
    columns = ColumnMap(text_column, None if no_dates else date_column or "created_at", id_column, reporter_column)
    rows, skipped = _read_history(file, columns, settings)
    _say_how_rows_count(rows, columns, k=settings.anonymity_k)
    if dry_run:
        typer.echo(f"Dry run: {len(rows)} row(s) would be imported, {skipped} skipped.")
    else:
        services = build(settings, train_first=True)  # every row is tagged now: by a model, not the rules
        person = _scope(services, platform, tenant, "admin")
        with Progress(transient=True) as progress:
            task = progress.add_task("Tagging and grouping", total=len(rows))
            records = services.snag.import_history(person, rows, progress=lambda: progress.advance(task))
        typer.echo(f"Imported {len(records)} report(s); {len(rows) - len(records)} already there; {skipped} skipped.")
    if skipped:  # the dry run exits as the import would
        raise typer.Exit(1)


def _read_history(file: Path, columns: ColumnMap, settings: Settings) -> tuple[list[HistoryRow], int]:
    """The file's good rows and how many were skipped, each skipped or cut row said on stderr."""
    from bot.history import MissingColumn, read_history

    try:
        rows, problems = read_history(file, columns, limit=settings.max_report_chars)
    except MissingColumn as exc:
        raise UsageError(_missing_column(file, exc)) from exc
    for problem in problems:
        typer.echo(f"{file}:{problem.line}: skipped, {problem.problem}", err=True)
    for row in rows:
        if row.truncated_from:
            typer.echo(
                f"{file}:{row.line}: cut to the first {len(row.text):,} of {row.truncated_from:,} characters", err=True
            )
    return rows, len(problems)


# The option naming each column, and words a column of that kind is often named with.
_COLUMN_OPTIONS = {
    "text": "--text-column",
    "date": "--date-column",
    "id": "--id-column",
    "reporter": "--reporter-column",
}
_COLUMN_WORDS = {
    "text": r"text|issue|problem|description|summary|report|comment|detail|body|message",
    "date": r"date|time|created|logged|opened|reported|when|_at$",
    "id": r"^id$|ref|key|number|^no\b|#",
    "reporter": r"reporter|reported.?by|author|user|who|person|email|^by$|name",
}


def _missing_column(file: Path, exc: MissingColumn) -> str:
    """One sentence: the column the file lacks, the columns it has, and the option to use."""
    option = _COLUMN_OPTIONS[exc.role]
    same = [c for c in exc.found if c.casefold() == exc.name.casefold()]
    likely = same or [c for c in exc.found if re.search(_COLUMN_WORDS[exc.role], c, re.IGNORECASE)]
    example = f", e.g. {option} {shlex.quote(likely[0])}" if likely else ""
    if exc.role == "date":
        example += ", or pass --no-dates if the rows have no dates (they are then dated today)"
    found = ", ".join(exc.found)
    return f"{file} has no {exc.role} column '{exc.name}' (its columns: {found}): name it with {option}{example}."


def _say_how_rows_count(rows: list[HistoryRow], columns: ColumnMap, *, k: int) -> None:
    """On stderr: rows dated today, and rows that count as one reporter because none is named."""
    if columns.created_at is None and rows:
        typer.echo(f"--no-dates: the {len(rows)} row(s) are dated today, as if reported now.", err=True)
    unnamed = sum(1 for row in rows if not row.reporter)
    if not unnamed:
        return
    if columns.reporter is None:
        typer.echo(
            f"No --reporter-column: the {unnamed} row(s) count as one reporter, so their patterns are listed only "
            f"once {k} different people report them; if the file says who reported, name it with --reporter-column.",
            err=True,
        )
    else:
        typer.echo(f"{unnamed} row(s) without a reporter count as one reporter.", err=True)


def export(
    what: str = typer.Argument("patterns", help="patterns or reports"),
    fmt: str = typer.Option("csv", "--format", help="csv or jsonl"),
    role: str = typer.Option("staff", help="Whose view: staff, manager or admin."),
    platform: str = typer.Option("console", help="Platform of the tenant."),
    tenant: str = typer.Option("local", help="Tenant (workspace or Teams tenant id)."),
) -> None:
    """Write patterns or reports to standard output, as the given role may see them."""
    from bot.app import build
    from bot.exporting import pattern_rows, report_rows
    from bot.history import write_rows

    if what not in ("patterns", "reports") or fmt not in ("csv", "jsonl"):
        raise ConfigError("Export `patterns` or `reports`, --format csv or jsonl.")
    _choice(Role, role, "--role")
    _choice(Platform, platform, "--platform")
    settings = load_settings()
    services = build(settings, train_if_missing=False)
    person = _scope(services, platform, tenant, role)
    repo = services.repository
    k = settings.anonymity_k
    rows = (
        pattern_rows(repo, person, k=k)
        if what == "patterns"
        else report_rows(repo, person, k=k, taxonomy=services.taxonomy)
    )
    count = write_rows(rows, fmt, sys.stdout)
    typer.echo(f"{count} row(s) exported.", err=True)
