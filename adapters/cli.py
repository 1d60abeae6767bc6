"""Adapter commands: `snag teams package`."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

teams_app = typer.Typer(help="Microsoft Teams app package.", no_args_is_help=True)


@teams_app.command("package")
def package(
    out: Path = typer.Option(Path("snag-teams.zip"), help="Where to write the zip."),
    domain: str = typer.Option(None, help="Public host name of your Snag server, if any."),
    version: str = typer.Option(
        None, help="The app's version (default: Snag's); Teams updates an app only to a higher one."
    ),
) -> None:
    """Zip manifest.json and the two icons with the configured MicrosoftAppId."""
    from adapters.teams.package import build_package
    from bot.cli import load_settings

    settings = load_settings()
    path = build_package(
        settings.microsoft_app_id,
        out,
        domain=domain,
        version=version,
        website=settings.teams_website_url,
        privacy=settings.teams_privacy_url,
        terms=settings.teams_terms_url,
    )
    typer.echo(f"Wrote {path}. Upload it in Teams: Apps > Manage your apps > Upload an app.")


def register(app: typer.Typer) -> None:
    app.add_typer(teams_app, name="teams")
