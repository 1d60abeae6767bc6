"""The /api/messages endpoint: authenticate as the Bot Framework requires, then run the bot."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import TYPE_CHECKING

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from adapters.teams.bot import SnagTeamsBot
from adapters.teams.messenger import TeamsMessenger
from adapters.teams.references import References
from bot.domain import IncomingMessage

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["TeamsEndpoint"]

log = logging.getLogger("snag.teams")


def _auth_config(settings) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=settings.microsoft_app_password or "",
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
    )


class TeamsEndpoint:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.app_id = settings.microsoft_app_id or ""
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_auth_config(settings)))
        self.references = References(services.engine)
        self.bot = SnagTeamsBot(services, self.references)
        self._tasks: set[asyncio.Task] = set()
        self._finishing = asyncio.Semaphore(2)
        # The ack path gets its own threads so slow tagging never queues ahead of a commit.
        self._store_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="snag-teams-store")
        self.messenger = TeamsMessenger(self.adapter, self.references, self.app_id, services.snag.metrics)

    async def handle(self, request: web.Request) -> web.Response:
        """Parse, authenticate and process one activity; bad bodies get a 400, never a trace."""
        try:
            body = json.loads(await request.read())
            if not isinstance(body, dict) or not body.get("type"):
                raise ValueError("not an activity")
            activity = Activity().deserialize(body)
        except (ValueError, TypeError, AttributeError, KeyError):
            return web.json_response({"error": "The body is not a Bot Framework activity."}, status=400)
        except RecursionError:
            return web.json_response({"error": "The body is nested too deeply."}, status=400)
        auth_header = request.headers.get("Authorization", "")
        try:
            report = self._as_report(activity)
            if report is not None:
                return await self._store_then_ack(auth_header, activity, report)
            invoke = await self.adapter.process_activity(auth_header, activity, self.bot.on_turn)
        except PermissionError:
            return web.json_response({"error": "Unauthorized."}, status=401)
        if invoke:
            return web.json_response(data=_serialize(invoke.body), status=invoke.status)
        return web.Response(status=201)

    def _as_report(self, activity: Activity) -> IncomingMessage | None:
        """A typed message that files a report (not a command, not a card submit), else None."""
        if activity.type != "message" or activity.value or not activity.id:
            return None
        return self.bot.snag.as_report(self.bot.incoming(activity))

    async def _store_then_ack(self, auth_header: str, activity: Activity, report: IncomingMessage) -> web.Response:
        """Authenticate, commit the report, acknowledge; tag and reply in the background."""
        await self.adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
        loop = asyncio.get_running_loop()
        capture = await loop.run_in_executor(self._store_pool, self.bot.snag.store_report, report)
        self.bot.prestored[self.bot.delivery_key(activity) or ""] = capture
        task = asyncio.create_task(self._finish(auth_header, activity))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=201)

    async def _finish(self, auth_header: str, activity: Activity) -> None:
        try:
            async with self._finishing:  # bounded, so tagging never starves the ack path
                await self.adapter.process_activity(auth_header, activity, self.bot.on_turn)
        except Exception as exc:
            from bot.core import where

            self.bot.prestored.pop(self.bot.delivery_key(activity) or "", None)
            log.error("teams reply after ack failed: %s", where(exc))

    async def drain(self) -> None:
        """Wait for replies still being sent (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _serialize(body: object) -> object:
    if hasattr(body, "serialize"):
        return body.serialize()  # type: ignore[union-attr]
    return body
