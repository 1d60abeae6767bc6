"""Posting outside any request (digests, alerts, charts), about one message/s per channel."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.client import web_client
from bot.domain import Reply
from bot.metrics import Metrics, NullMetrics

if TYPE_CHECKING:
    from adapters.slack.installations import SqlInstallationStore
    from bot.app import Services
    from bot.config import Settings

__all__ = ["SlackMessenger", "DeliveryFailed", "PERMANENT_ERRORS", "build_slack_messenger"]

log = logging.getLogger("snag.slack.messenger")
# Errors that will not go away by retrying: the subscription needs a person's attention.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "not_authed",
        "missing_scope",
        "restricted_action",
        "no_token",
    }
)


class DeliveryFailed(Exception):
    """A message could not be delivered; `permanent` says whether retrying can help."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Slack delivery failed: {reason}")
        self.reason = reason
        self.permanent = reason in PERMANENT_ERRORS


class SlackMessenger:
    """bot.ports.Messenger for Slack: `send` posts a reply, `upload_chart` posts a PNG."""

    def __init__(
        self,
        settings: Settings,
        *,
        installations: SqlInstallationStore | None = None,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or NullMetrics()
        self.installations = installations
        self.min_interval = min_interval
        self.clock = clock
        self.sleep = sleep
        self._last: dict[tuple[str, str], float] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._clients: dict[tuple[str, str], AsyncWebClient] = {}  # by workspace and token

    @classmethod
    def from_services(cls, services: Services, **kwargs: Any) -> SlackMessenger:
        """A messenger using the single bot token or, for OAuth installs, each workspace's token."""
        from adapters.slack.installations import SqlInstallationStore

        settings = services.settings
        store = (
            SqlInstallationStore(services.engine, settings.secret("encryption")) if settings.slack_client_id else None
        )
        kwargs.setdefault("metrics", services.snag.metrics)
        return cls(settings, installations=store, **kwargs)

    async def _client(self, tenant: str) -> AsyncWebClient:
        """The workspace's client with its current token: read at every send (one indexed row), so a
        workspace that reinstalled Snag is reached with its new token, not the revoked one."""
        token = None
        if self.installations is not None:
            token = await asyncio.to_thread(self.installations.bot_token, team_id=tenant)
        token = token or self.settings.slack_bot_token
        if not token:
            raise DeliveryFailed("no_token")
        key = (tenant, token)
        if key not in self._clients:
            for old in [k for k in self._clients if k[0] == tenant]:  # the token it replaces
                del self._clients[old]
            self._clients[key] = web_client(self.settings, token=token)
        return self._clients[key]

    async def _paced(self, tenant: str, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run one post per channel at a time, at least `min_interval` seconds apart."""
        key = (tenant, channel)
        async with self._locks.setdefault(key, asyncio.Lock()):
            wait = self._last.get(key, float("-inf")) + self.min_interval - self.clock()
            if wait > 0:
                await self.sleep(wait)
            try:
                return await call()
            except SlackApiError as exc:
                reason = str(exc.response.get("error") or "unknown")
                log.warning("posting to a Slack channel failed: %s", reason)
                self.metrics.count("snag_platform_api_errors_total", platform="slack", code=reason)
                raise DeliveryFailed(reason) from exc
            finally:
                self._last[key] = self.clock()

    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        """Post a reply to a channel (split over several messages when long)."""
        if platform != "slack":
            raise ValueError(f"SlackMessenger cannot send to {platform!r}")
        client = await self._client(tenant)
        for page in render.pages(reply):
            await self._paced(
                tenant,
                destination,
                functools.partial(
                    client.chat_postMessage, channel=destination, unfurl_links=False, unfurl_media=False, **page
                ),
            )

    async def upload_chart(
        self,
        *,
        tenant: str,
        destination: str,
        png: bytes,
        title: str,
        filename: str = "chart.png",
        comment: str | None = None,
    ) -> str | None:
        """Upload a PNG to a channel with files upload v2; returns the file id."""
        client = await self._client(tenant)
        kwargs: dict[str, Any] = {
            "channel": destination,
            "file": png,
            "filename": filename,
            "title": title,
        }
        if comment:
            kwargs["initial_comment"] = comment
        response = await self._paced(tenant, destination, lambda: client.files_upload_v2(**kwargs))
        files = response.get("files") or [response.get("file") or {}]
        return files[0].get("id") if files else None


def build_slack_messenger(services: Services) -> SlackMessenger:
    """The Slack messenger for `adapters.messengers.build_messengers`."""
    return SlackMessenger.from_services(services)
