"""Plugs grouping, digests and their chat commands into the core (called by bot.app.build)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digests.chat import chat_commands, notifier
from digests.grouper import SqlGrouper
from digests.service import Digests

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["attach"]


def attach(services: Services) -> None:
    """Set the core's grouper and digest service, add the commands, offer the demo in the console."""
    from digests.demo import offer_demo

    grouper = SqlGrouper(services.engine, services.taxonomy)
    settings = services.settings
    digests = Digests(services.engine, services.taxonomy, k=settings.anonymity_k, timezone=settings.digest_timezone)
    services.snag.grouper = grouper
    services.snag.digests = digests
    services.extras["grouper"] = grouper
    services.extras["digests"] = digests
    services.snag.extra_commands.update(chat_commands(services, notifier(services)))
    services.extras["console_first_start"] = offer_demo(services)
