"""The `snag` command line. Settings are read here, once, and passed down."""

from __future__ import annotations

import importlib
import logging
import sys
from contextvars import ContextVar
from typing import Protocol, cast

import typer

from bot.config import Settings, credential_problems, settings_problems, unknown_names
from bot.errors import ConfigError, SnagError
from bot.logs import where

__all__ = ["app", "main", "load_settings"]

app = typer.Typer(
    name="snag",
    help="Snag: frontline friction reports, tagged, grouped and digested.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations, and copying a database into another.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Modules that add their own commands with `register(app)`, in the order `snag --help` lists them.
_COMMAND_MODULES = (
    "bot.privacy_cli",
    "bot.history_cli",
    "classifier.cli",
    "digests.cli",
    "digests.relabel_cli",
    "adapters.cli",
)

# The commands that set Snag up or serve it: only they may create a new SQLite database and reporter
# key. Every other command reads or deletes, so a missing one means it runs from the wrong folder.
_MAY_CREATE_STORE = frozenset({"chat", "serve", "scheduler", "train", "import", "demo", "db"})
_creating_allowed: ContextVar[bool] = ContextVar("snag_creating_allowed", default=True)
# The commands that tag no report: they get no classifier model (loading one took seconds, and warned).
_TAG_NOTHING = frozenset({"digest", "subscribe", "unsubscribe", "subscriptions", "pattern"})
_tags_nothing: ContextVar[bool] = ContextVar("snag_tags_nothing", default=False)


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
    tagging = _tags_nothing.set(ctx.invoked_subcommand in _TAG_NOTHING)
    ctx.call_on_close(lambda: _tags_nothing.reset(tagging))


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value or a name Snag does not read stops with a sentence.

    For a command that reads or deletes, the settings refuse to create a database or reporter key;
    for one that tags nothing, they load no classifier model.
    """
    import os
    from pathlib import Path

    from pydantic import ValidationError

    env_file = Settings.model_config.get("env_file")
    problems = unknown_names(os.environ, Path(env_file) if isinstance(env_file, str) else None)
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError("\n".join([*problems, settings_problems(exc)])) from exc
    except Exception as exc:  # e.g. a .env value pydantic-settings cannot decode
        raise ConfigError(f"Your settings could not be read: {exc}") from exc
    problems += credential_problems(settings)
    if problems:
        raise ConfigError("\n".join(problems))
    settings = settings if _creating_allowed.get() else settings.existing_store_only()
    return settings.tagging_nothing() if _tags_nothing.get() else settings


def setup_logging(settings: Settings) -> None:
    from bot.logs import configure

    configure(level=settings.log_level, fmt=settings.log_format)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    backup: bool = typer.Option(
        True, "--backup/--no-backup", help="SQLite: keep a copy of the database file before changing it."
    ),
) -> None:
    """Apply database migrations (SNAG_DATABASE_URL picks the database)."""
    from store.db import upgrade

    settings = load_settings()
    setup_logging(settings)
    done = upgrade(settings.resolved_database_url, revision, backup=backup)
    if done.before is None and settings.is_embedded_db:
        settings.secret("reporter")  # a new database's key, so the commands that only read find it
    if done.before is None:
        typer.echo(f"Created the database's tables at revision {done.after}.")
    elif done.before == done.after:
        typer.echo(f"The database is already at revision {done.after}: nothing to upgrade.")
    else:
        kept = f" The old file is kept at {done.backup.absolute()}." if done.backup else ""
        typer.echo(f"Upgraded the database from revision {done.before} to {done.after}.{kept}")


@db_app.command("copy")
def db_copy(
    source: str = typer.Argument(..., metavar="SOURCE_URL", help="The database to copy, e.g. sqlite:///var/snag.db."),
    target: str = typer.Argument(
        ..., metavar="TARGET_URL", help="An empty database to copy into, e.g. postgresql+psycopg://snag:pw@db/snag."
    ),
) -> None:
    """Copy every row of one Snag database into another, empty one (SQLite to PostgreSQL, or back)."""
    from store.copy import copy_database

    settings = load_settings()
    setup_logging(settings)
    done = copy_database(source_url=source, target_url=target, say=lambda line: typer.echo(f"  {line}"))
    typer.echo(
        f"Copied {sum(done.rows.values()):,} rows in {len(done.rows)} tables at revision {done.revision}; "
        f"the target holds as many rows as the source in every table. The next report is number "
        f"{done.next_ids.get('reports', 1)}."
    )
    typer.echo(
        "Run Snag on the copy with the same SNAG_REPORTER_SECRET and SNAG_ENCRYPTION_KEY as before (on SQLite, "
        "the reporter.key and encryption.key files in SNAG_DATA_DIR): reporters and Slack tokens are keyed by them."
    )


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
    from bot.app import build, recover, schema_checked

    settings = load_settings()
    check_platforms(settings)  # before migrations and the model: a server that serves nothing says so
    setup_logging(settings)
    # SQLite upgrades itself (with a backup copy); PostgreSQL only by `snag db upgrade`, the `migrate`
    # service: a rolling deploy must not change the production schema behind the operator's back.
    services = build(settings, unreachable_ok=True)  # a restart during an outage still listens
    if schema_checked(services):
        recover(services)
    run_server(services)


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
    # `python -m bot.cli` runs this file as __main__, a second copy of the module, while the commands'
    # load_settings is bot.cli's: run bot.cli's own main, so its callback sets the flags they read.
    from bot.cli import main as _main_of_the_module

    _main_of_the_module()
