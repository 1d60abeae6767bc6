"""Slack user groups, for roles configured as `slack:group:S…` (cached per workspace)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import UNREACHABLE
from bot.roles import RolePolicy

__all__ = ["UserGroups"]

log = logging.getLogger("snag.slack.groups")
UNREACHABLE_TTL = 30.0  # seconds before asking again a Slack that could not be reached
LOAD_WAIT = 1.0  # seconds a report waits for the groups before it is stored without them


class UserGroups:
    """Which user groups a person is in; asks Slack only when a role names a group."""

    def __init__(self, policy: RolePolicy, *, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = any(e.startswith("slack:group:") for e in policy.admins | policy.managers)
        self.ttl = ttl
        self.clock = clock
        self.wait = LOAD_WAIT
        self._cache: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {}

    async def of(self, client: AsyncWebClient, team: str, user: str) -> tuple[str, ...]:
        """The ids of the person's user groups ('' workspace ids are fine)."""
        if not self.enabled:
            return ()
        cached = self._cache.get(team)
        if cached is None or self.clock() - cached[0] > self.ttl:
            cached = await self._fresh(client, cached)
            self._cache[team] = cached
        return cached[1].get(user, ())

    async def _fresh(
        self, client: AsyncWebClient, cached: tuple[float, dict[str, tuple[str, ...]]] | None
    ) -> tuple[float, dict[str, tuple[str, ...]]]:
        """Read the groups again; while Slack cannot be reached, the groups read last (or none) for
        UNREACHABLE_TTL: a report must not wait on Slack before it is stored."""
        try:
            return self.clock(), await asyncio.wait_for(self._load(client), self.wait)
        except UNREACHABLE as exc:  # down, dropped, or slower than a report should wait
            log.warning("cannot reach Slack to read user groups (%s); asking again later", type(exc).__name__)
            return self.clock() - self.ttl + UNREACHABLE_TTL, cached[1] if cached else {}

    async def _load(self, client: AsyncWebClient) -> dict[str, tuple[str, ...]]:
        try:
            response = await client.usergroups_list(include_users=True)
        except SlackApiError as exc:
            log.warning(
                "cannot read Slack user groups (%s); group roles are ignored",
                exc.response.get("error"),
            )
            return {}
        members: dict[str, list[str]] = {}
        for group in response.get("usergroups") or []:
            for user in group.get("users") or []:
                members.setdefault(user, []).append(group["id"])
        return {user: tuple(ids) for user, ids in members.items()}
