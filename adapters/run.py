"""Start the serving process: HTTP (Slack events, Teams, health) or Slack Socket Mode beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["run_server"]


def run_server(services: Services) -> None:
    """Run until interrupted; checks the settings each platform needs before listening."""
    from adapters.server import serve

    serve(services)
