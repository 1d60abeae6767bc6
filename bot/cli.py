"""The `snag` command line. Settings are read here, once, and passed down."""

from __future__ import annotations

import importlib
import logging
import re
import shlex
import sys
from contextvars import ContextVar
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import typer

from bot.config import Settings, settings_problems
from bot.domain import Person, Platform, Role
from bot.errors import ConfigError, SnagError, UsageError
from bot.logs import where

if TYPE_CHECKING:
    from bot.app import Services
    from bot.history import ColumnMap, HistoryRow, MissingColumn

__all__ = ["app", "main", "load_settings"]

app = typer.Typer(
    name="snag",
    help="Snag: frontline friction reports, tagged, grouped and digested.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Packages that add their own commands with `register(app)`.
_COMMAND_MODULES = ("classifier.cli", "digests.cli", "adapters.cli")

# The commands that set Snag up or serve it: only they may create a new SQLite database and reporter
# key. Every other command reads or deletes, so a missing one means it runs from the wrong folder.
_MAY_CREATE_STORE = frozenset({"chat", "serve", "scheduler", "train", "import", "demo", "db"})
_creating_allowed: ContextVar[bool] = ContextVar("snag_creating_allowed", default=True)


class _ClickError(Protocol):
    """What main() uses of click's ClickException (typer's own copy since 0.29, click's before)."""

    exit_code: int

    def show(self) -> None: ...


def _click_exception() -> type[Exception]:
    """ClickException of the click typer runs on: its own copy (typer._click) since 0.29, click before."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


@app.callback()
def _before_a_command(ctx: typer.Context) -> None:
    # Here, not in each command: the packages' own commands read their settings with load_settings too.
    token = _creating_allowed.set(ctx.invoked_subcommand in _MAY_CREATE_STORE)
    ctx.call_on_close(lambda: _creating_allowed.reset(token))


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value stops with a sentence naming it.

    For a command that reads or deletes, the settings refuse to create a database or reporter key.
    """
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError(settings_problems(exc)) from exc
    except Exception as exc:  # e.g. a .env value pydantic-settings cannot decode
        raise ConfigError(f"Your settings could not be read: {exc}") from exc
    return settings if _creating_allowed.get() else settings.existing_store_only()


def setup_logging(settings: Settings) -> None:
    from bot.logs import configure

    configure(level=settings.log_level, fmt=settings.log_format)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply database migrations (SNAG_DATABASE_URL picks the database)."""
    from store.db import upgrade

    settings = load_settings()
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"Database is at revision {revision}.")


@app.command()
def chat(
    user: str = typer.Option("you", help="Console user name (each name is a separate reporter)."),
) -> None:
    """Talk to Snag in this terminal: no Slack or Teams account needed."""
    from adapters.console.chat import run_console
    from bot.app import build, recover

    settings = load_settings()
    setup_logging(settings)
    services = build(settings)
    recover(services)
    run_console(services, user=user)


@app.command()
def serve() -> None:
    """Serve Slack (HTTP or Socket Mode) and Teams, with health and metrics endpoints."""
    from adapters.run import run_server
    from adapters.server import check_platforms
    from bot.app import build, recover

    settings = load_settings()
    check_platforms(settings)  # before migrations and the model: a server that serves nothing says so
    setup_logging(settings)
    services = build(settings, migrate=True)
    recover(services)
    run_server(services)


@app.command()
def erase(
    user: str = typer.Option(..., help="platform:tenant:user, e.g. slack:T0123:U0456"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase every report one person filed (right to erasure)."""
    from bot.app import build

    parts = user.split(":", 2)
    if len(parts) != 3 or parts[0] not in {p.value for p in Platform}:
        raise ConfigError("--user must look like slack:T0123:U0456 (platform:tenant:user).")
    services = build(load_settings(), train_if_missing=False)  # before asking: no database, no question
    if not yes:
        try:
            sure = typer.confirm(f"Erase every report filed by {user}?")
        except typer.Abort:  # Ctrl-C, or no terminal to answer from
            typer.echo("\nNothing erased.")
            raise
        if not sure:
            typer.echo("Nothing erased.")
            raise typer.Exit(1)
    subject = services.snag.person(parts[0], parts[1], parts[2])
    typer.echo(f"Erased {services.snag.erase(subject)} report(s).")


@app.command()
def retention(days: int | None = typer.Option(None, help="Override SNAG_RETENTION_DAYS.")) -> None:
    """Reduce reports older than the retention period to their tags."""
    from bot.app import build

    if days is not None and days < 1:
        raise UsageError(f"--days must be 1 or more (got {days}); e.g. --days 365 keeps a year of report text.")
    settings = load_settings()
    days = days or settings.retention_days
    if not days:
        raise ConfigError("No retention period: set SNAG_RETENTION_DAYS or pass --days.")
    services = build(settings, train_if_missing=False)
    typer.echo(f"Reduced {services.snag.apply_retention(days)} report(s) to their tags.")


def _choice(kind: type[StrEnum], value: str, option: str) -> None:
    """UsageError naming the choices when an option's value is not one of them."""
    names = [member.value for member in kind]
    if value not in names:
        raise UsageError(f"{option} is {', '.join(names[:-1])} or {names[-1]}, not {value!r}.")


def _scope(services: Services, platform: str, tenant: str, role: str) -> Person:
    """A person of the given role in one tenant, for commands run from the shell."""
    person = services.snag.person(platform, tenant, "cli")
    return replace(person, role=Role(role))


@app.command("import")
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
        services = build(settings)
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


@app.command()
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
    rows = pattern_rows(repo, person, k=settings.anonymity_k) if what == "patterns" else report_rows(repo, person)
    count = write_rows(rows, fmt, sys.stdout)
    typer.echo(f"{count} row(s) exported.", err=True)


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(app)


def main() -> None:
    """Entry point of the `snag` console script."""
    _register_commands()
    try:
        result = app(standalone_mode=False)
    except SnagError as exc:
        typer.secho(exc.message, err=True, fg=typer.colors.RED)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _click_exception() as exc:  # usage errors: a short usage message, exit 2
        usage = cast(_ClickError, exc)
        usage.show()
        sys.exit(usage.exit_code)
    except Exception as exc:
        # Only the type and where: messages (SQL parameters above all) can quote a report.
        logging.getLogger("snag.cli").error("unexpected error: %s", where(exc))
        sys.exit(1)
    if isinstance(result, int) and result:
        sys.exit(result)


if __name__ == "__main__":
    main()
