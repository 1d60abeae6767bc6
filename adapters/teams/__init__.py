"""Microsoft Teams: POST /api/messages on the shared aiohttp server.

Every botbuilder import of the project lives in this folder, so moving to the
Microsoft 365 Agents SDK (same protocol) touches nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app import Services
    from bot.config import Settings

__all__ = ["mount", "check_settings"]


APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


def check_settings(settings: Settings) -> None:
    """Fail closed: without credentials Teams serves only in explicit development mode.

    What is needed follows MicrosoftAppType, as the SDK reads it (any case): an app id and password
    (MultiTenant), and the tenant id (SingleTenant); a managed identity has an app id and tenant id
    and no password. Another app type would silently be read as MultiTenant, so it is refused."""
    app_type = APP_TYPES.get(settings.microsoft_app_type.strip().lower())
    if app_type is None:
        raise ConfigError(
            f"MicrosoftAppType is {settings.microsoft_app_type!r}: it must be MultiTenant, SingleTenant or "
            "UserAssignedMSI (the Azure Bot resource's 'Type of App')."
        )
    needed = [("MicrosoftAppId", settings.microsoft_app_id)]
    if app_type != "UserAssignedMSI":
        needed.append(("MicrosoftAppPassword", settings.microsoft_app_password))
    if app_type != "MultiTenant":
        needed.append(("MicrosoftAppTenantId", settings.microsoft_app_tenant_id))
    missing = [name for name, value in needed if not value]
    if missing and settings.env != "dev":
        raise ConfigError(
            f"Teams is enabled ({app_type}) but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set: set them, or set SNAG_ENV=dev to run unauthenticated with the Bot Framework Emulator."
        )


def mount(app: web.Application, services: Services) -> None:
    """Add POST /api/messages and register the proactive Teams messenger."""
    check_settings(services.settings)
    from adapters.teams.endpoint import TeamsEndpoint

    endpoint = TeamsEndpoint(services)
    app["teams"] = endpoint
    services.extras.setdefault("messengers", {})["teams"] = endpoint.messenger
    app.router.add_post("/api/messages", endpoint.handle)
    app.on_startup.append(endpoint.start)
    app.on_cleanup.append(endpoint.stop)
