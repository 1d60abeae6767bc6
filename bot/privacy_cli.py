"""`snag erase` and `snag retention`: a person's right to erasure, and the retention period."""

from __future__ import annotations

import typer

from bot.cli import load_settings
from bot.domain import Platform
from bot.errors import ConfigError, UsageError

__all__ = ["register", "erase", "retention"]


def register(app: typer.Typer) -> None:
    """Add the erasure and retention commands to the `snag` app."""
    app.command("erase")(erase)
    app.command("retention")(retention)


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
    _finish_grouping(services.extras.get("grouper"))


def _finish_grouping(grouper: object) -> None:
    """Wait for grouping to work the erased reports' bigger patterns out again: a running `snag
    serve` would leave them until it next starts, and here it takes seconds. Their words are out
    of every pattern already, so Ctrl-C loses nothing: Snag's next start finishes the work."""
    if not getattr(grouper, "unsettled", 0):
        return
    typer.echo(
        "Working out again the titles and weights of the patterns their reports were in"
        " (Ctrl-C leaves this to Snag's next start)...",
        err=True,
    )
    try:
        grouper.settle()  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        typer.echo("\nLeft to Snag's next start; their words are already out of every pattern.", err=True)


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
