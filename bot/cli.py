"""The `snag` command line. Settings are read here, once, and passed down."""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import typer

from bot.config import Settings, settings_problems
from bot.domain import Person, Platform, Role
from bot.errors import ConfigError, SnagError, UsageError
from bot.logs import where

if TYPE_CHECKING:
    from bot.app import Services

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


class _ClickError(Protocol):
    """What main() uses of click's ClickException (typer's own copy since 0.29, click's before)."""

    exit_code: int

    def show(self) -> None: ...


def _click_exception() -> type[Exception]:
    """ClickException of the click typer runs on: its own copy (typer._click) since 0.29, click before."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value stops with a sentence naming it."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(settings_problems(exc)) from exc
    except Exception as exc:  # e.g. a .env value pydantic-settings cannot decode
        raise ConfigError(f"Your settings could not be read: {exc}") from exc


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
    if not yes:
        typer.confirm(f"Erase every report filed by {user}?", abort=True)
    services = build(load_settings(), train_if_missing=False)
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


def _scope(services: Services, platform: str, tenant: str, role: str) -> Person:
    """A person of the given role in one tenant, for commands run from the shell."""
    person = services.snag.person(platform, tenant, "cli")
    return replace(person, role=Role(role))


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSONL file."),
    text_column: str = typer.Option("text", help="Column holding the report text."),
    date_column: str = typer.Option("created_at", help="Column holding when it was reported."),
    id_column: str = typer.Option("id", help="Column identifying the row in the source."),
    reporter_column: str | None = typer.Option(None, help="Column identifying who reported (hashed)."),
    platform: str = typer.Option("console", help="Platform of the tenant to import into."),
    tenant: str = typer.Option("local", help="Tenant (workspace or Teams tenant id)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and tag, store nothing."),
) -> None:
    """Tag and group history (e.g. an old spreadsheet of issues) so the first digest has patterns."""
    from rich.progress import Progress

    from bot.app import build
    from bot.history import ColumnMap, read_history

    settings = load_settings()
    rows, problems = read_history(
        file, ColumnMap(text_column, date_column, id_column, reporter_column), limit=settings.max_report_chars
    )
    for problem in problems:
        typer.echo(f"{file}:{problem.line}: skipped, {problem.problem}", err=True)
    for row in rows:
        if row.truncated_from:
            typer.echo(
                f"{file}:{row.line}: cut to the first {len(row.text):,} of {row.truncated_from:,} characters", err=True
            )
    if dry_run:
        typer.echo(f"Dry run: {len(rows)} row(s) would be imported, {len(problems)} skipped.")
        return
    services = build(settings)
    person = _scope(services, platform, tenant, "admin")
    with Progress(transient=True) as progress:
        task = progress.add_task("Tagging and grouping", total=len(rows))
        records = services.snag.import_history(person, rows, progress=lambda: progress.advance(task))
    typer.echo(f"Imported {len(records)} report(s); {len(rows) - len(records)} already there; {len(problems)} skipped.")
    if problems:
        raise typer.Exit(1)


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
