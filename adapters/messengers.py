"""Messengers for proactive sends (digests, alerts, closing the loop), outside any request.

Used by `snag serve` and by the separate `snag scheduler` process alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ports import Messenger

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["build_messengers"]


def build_messengers(services: Services) -> dict[str, Messenger]:
    """One messenger per configured platform, keyed by platform name; cached on services."""
    existing: dict[str, Messenger] = services.extras.setdefault("messengers", {})
    settings = services.settings
    if "teams" not in existing and (settings.teams or settings.microsoft_app_id):
        from adapters.teams import check_settings
        from adapters.teams.endpoint import TeamsEndpoint

        check_settings(settings)
        existing["teams"] = TeamsEndpoint(services).messenger
    if "slack" not in existing and settings.slack_enabled:
        try:
            from adapters.slack.messenger import build_slack_messenger
        except ImportError:
            pass
        else:
            existing["slack"] = build_slack_messenger(services)
    return existing
