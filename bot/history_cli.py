"""`snag import` and `snag export`: history in from a spreadsheet, patterns and reports out."""

from __future__ import annotations

import re
import shlex
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli import load_settings
from bot.config import Settings
from bot.domain import Person, Platform, Role
from bot.errors import ConfigError, InputError, UsageError

if TYPE_CHECKING:
    from bot.app import Services
    from bot.history import ColumnMap, History, HistoryRow, Imported, MissingColumn

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
    day_first: bool | None = typer.Option(
        None,
        "--day-first/--month-first",
        help="Read dates like 03/04/2026 day first (3 April) or month first (March 4).",
        show_default="worked out from the dates, else day first",
    ),
    id_column: str | None = typer.Option(
        None, help="Column identifying the row in the source.", show_default="id if there is one, else the line"
    ),
    reporter_column: str | None = typer.Option(
        None, help="Column identifying who reported (hashed); without it all rows count as one reporter."
    ),
    encoding: str | None = typer.Option(
        None, help="The file's encoding, e.g. cp1252.", show_default="UTF-8, else Windows-1252 (said on stderr)"
    ),
    platform: str = typer.Option("console", help="Platform of the tenant to import into."),
    tenant: str = typer.Option("local", help="Tenant (workspace or Teams tenant id)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file against the database, store nothing."),
) -> None:
    """Tag and group history (e.g. an old spreadsheet of issues) so the first digest has patterns."""
    from bot.history import ColumnMap

    if no_dates and date_column:
        raise UsageError("Give either --date-column or --no-dates, not both.")
    _choice(Platform, platform, "--platform")
    settings = load_settings()
    columns = ColumnMap(text_column, None if no_dates else date_column or "created_at", id_column, reporter_column)
    rows, skipped = _read_history(file, columns, settings, encoding=encoding, day_first=day_first)
    _say_how_rows_count(rows, columns, k=settings.anonymity_k)
    if dry_run:
        there, ungrouped = _stored_already(settings, rows, platform, tenant)
        waiting = f" ({ungrouped} not grouped yet: the import groups them)" if ungrouped else ""
        already = f", {there} already there{waiting}" if there else ""
        typer.echo(f"Dry run: {len(rows) - there} row(s) would be imported{already}, {skipped} skipped.")
    else:
        imported = _import(settings, rows, platform, tenant)
        stored = len(imported.stored)
        typer.echo(f"Imported {stored} report(s); {len(rows) - stored} already there; {skipped} skipped.")
        if imported.left_ungrouped:
            typer.echo(f"Grouped {imported.left_ungrouped} report(s) an earlier, stopped import had left ungrouped.")
    if skipped:  # the dry run exits as the import would
        raise typer.Exit(1)


def _import(settings: Settings, rows: list[HistoryRow], platform: str, tenant: str) -> Imported:
    """Store and group the rows; on Ctrl-C or SIGTERM, what was stored and how to finish (exit 130)."""
    from rich.progress import Progress

    from bot.app import build
    from bot.history import ImportStopped, run_import

    again = "run the same command again to finish (nothing is imported twice)"
    try:
        with _sigterm_as_interrupt(), _one_import_at_a_time(settings.data_dir):
            services = build(settings, train_first=True)  # every row is tagged now: by a model, not the rules
            person = _scope(services, platform, tenant, "admin")
            with Progress(transient=True) as progress:
                task = progress.add_task("Tagging and grouping", total=len(rows))
                return run_import(
                    services.snag,
                    person,
                    rows,
                    progress=lambda done, to: progress.update(task, completed=done, total=to),
                )
    except ImportStopped as stop:
        done = stop.imported
        typer.echo(
            f"Stopped: {len(done.stored)} report(s) stored, {done.grouped} of {len(done.to_group)} grouped into "
            f"patterns; {again}.",
            err=True,
        )
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        typer.echo(f"Stopped before grouping began; {again}.", err=True)
        raise typer.Exit(130) from None


@contextmanager
def _one_import_at_a_time(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's import lock: a second import of the same rows meanwhile would group
    the first's as if it had been stopped, and count them twice. It waits, then finds them there."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "import.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            typer.echo("Another snag import is running with this data folder: waiting for it to finish.", err=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # the lock goes with the file, when it is closed or the process ends


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (docker stop, kill) stops the import as Ctrl-C does: it says what is stored and how to finish."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    try:
        before = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: SIGTERM stays as it was
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _stored_already(settings: Settings, rows: list[HistoryRow], platform: str, tenant: str) -> tuple[int, int]:
    """For a dry run: how many rows an earlier import stored, and how many of those are not grouped
    yet; (0, 0) when there is no database or reporter key yet. Creates and tags nothing."""
    from bot.app import build
    from bot.history import stored_already

    try:
        services = build(settings.existing_store_only().tagging_nothing(), train_if_missing=False)
    except ConfigError:  # no database or reporter key yet: nothing was imported
        return 0, 0
    return stored_already(services.snag, _scope(services, platform, tenant, "admin"), rows)


def _read_history(
    file: Path, columns: ColumnMap, settings: Settings, *, encoding: str | None, day_first: bool | None
) -> tuple[list[HistoryRow], int]:
    """The file's good rows and how many were skipped; each skipped or cut row, and how the file was
    read when that is not plain, said on stderr."""
    from bot.history import DatesDisagree, MissingColumn, NotDecodable, read_file

    try:
        history = read_file(file, columns, limit=settings.max_report_chars, encoding=encoding, day_first=day_first)
    except MissingColumn as exc:
        raise UsageError(_missing_column(file, exc)) from exc
    except DatesDisagree as exc:
        raise UsageError(
            f"{file}: {exc.message} Say how to read them with --day-first or --month-first "
            "(a row written the other way round is then skipped, named by its line)."
        ) from exc
    except NotDecodable as exc:
        raise InputError(f"{file}: {exc.message} Name the file's encoding with --encoding.") from exc
    except InputError as exc:
        raise InputError(f"{file}: {exc.message}") from exc
    _say_how_it_reads(file, history)
    for problem in history.problems:
        typer.echo(f"{file}:{problem.line}: skipped, {problem.problem}", err=True)
    for row in history.rows:
        if row.truncated_from:
            typer.echo(
                f"{file}:{row.line}: cut to the first {len(row.text):,} of {row.truncated_from:,} characters", err=True
            )
    return history.rows, len(history.problems)


_ENCODINGS = {"cp1252": "Windows-1252 (cp1252), as Excel saves CSV files on Windows", "latin-1": "Latin-1 (ISO-8859-1)"}
_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "bars (|)"}


def _say_how_it_reads(file: Path, history: History) -> None:
    """On stderr: an encoding other than UTF-8, a separator other than the comma, and how dates like
    03/04/2026 are read when the file does not say (or says by one date)."""
    if history.not_utf8_at is not None:
        typer.echo(
            f"{file} is not UTF-8 (line {history.not_utf8_at} is not): read as {_ENCODINGS[history.encoding]}; "
            "if a letter looks wrong, name the file's encoding with --encoding.",
            err=True,
        )
    if history.delimiter in _SEPARATORS:
        typer.echo(f"{file}: the columns are separated by {_SEPARATORS[history.delimiter]}.", err=True)
    dates = history.dates
    if dates is None or dates.given or dates.either_way is None:
        return
    line, cell = dates.either_way
    order = "day first" if dates.day_first else "month first"
    if dates.shown_by is not None:
        why = f"as '{dates.shown_by[1]}' on line {dates.shown_by[0]} shows"
    else:
        why = "since no date in the file shows which; pass --month-first if they are month first"
    typer.echo(f"{file}: dates such as '{cell}' (line {line}) are read {order}, {why}.", err=True)


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
