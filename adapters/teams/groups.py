"""Azure AD group memberships, for roles configured as `teams:group:<group id>`.

Asks Microsoft Graph `checkMemberGroups` with an app-only token (client credentials),
only for the groups the settings name, and caches the answer per (tenant, user).
The token comes over plain HTTPS with aiohttp rather than msal: msal insists on
https authorities and instance discovery, which a national cloud proxy or a test
fake cannot always offer; the request is the same one msal would make.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

import aiohttp

from bot.roles import RolePolicy

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["AadGroups", "GraphError"]

log = logging.getLogger("snag.teams.groups")

PREFIX = "teams:group:"
CHUNK = 20  # checkMemberGroups takes at most 20 group ids per call
MAX_ENTRIES = 50_000


class GraphError(Exception):
    """A token or Graph call failed; carries only the step and HTTP status, never secrets."""


class AadGroups:
    """Which configured AAD groups a person is in; asks Graph only when a role names a group."""

    def __init__(
        self,
        policy: RolePolicy,
        *,
        app_id: str | None,
        app_password: str | None,
        graph_url: str = "https://graph.microsoft.com",
        login_url: str = "https://login.microsoftonline.com",
        ttl: float = 300.0,
        failure_ttl: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.group_ids = sorted({e[len(PREFIX) :] for e in policy.admins | policy.managers if e.startswith(PREFIX)})
        self.enabled = bool(self.group_ids and app_id and app_password)
        self._app_id = app_id or ""
        self._app_password = app_password or ""
        self.graph_url = graph_url.rstrip("/")
        self.login_url = login_url.rstrip("/")
        self.ttl, self.failure_ttl, self.timeout, self.clock = ttl, failure_ttl, timeout, clock
        self._cache: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        self._tokens: dict[str, tuple[float, str]] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[tuple[str, ...]]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, policy: RolePolicy) -> AadGroups:
        """The resolver the settings describe (disabled without credentials, e.g. dev mode)."""
        groups = cls(
            policy,
            app_id=settings.microsoft_app_id,
            app_password=settings.microsoft_app_password,
            graph_url=settings.graph_url,
            login_url=settings.login_url,
        )
        if groups.group_ids and not groups.enabled:
            log.warning(
                "SNAG_MANAGERS / SNAG_ADMINS name %d AAD group(s), but group roles need MicrosoftAppId and "
                "MicrosoftAppPassword (Graph is asked with the app's client secret; a managed identity has none): "
                "their members get the role of their own id. List people as teams:<AAD object id> instead.",
                len(groups.group_ids),
            )
        return groups

    def known(self, tenant: str, user: str) -> tuple[str, ...]:
        """The last memberships resolved for this person (empty if never resolved)."""
        entry = self._cache.get((tenant, user))
        return entry[1] if entry else ()

    async def of(self, tenant: str, user: str | None) -> tuple[str, ...]:
        """The configured group ids the person is a member of; () when Graph is off or failing."""
        if not self.enabled or not user:
            return ()
        key = (tenant, user)
        entry = self._cache.get(key)
        if entry is not None and self.clock() < entry[0]:
            return entry[1]
        pending = self._pending.get(key)
        if pending is not None:  # concurrent messages from one person share one Graph call
            return await asyncio.shield(pending)
        future: asyncio.Future[tuple[str, ...]] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            groups = await self._lookup(tenant, user)
            future.set_result(groups)
        finally:
            self._pending.pop(key, None)
            if not future.done():  # cancelled: waiters get no groups rather than hang
                future.set_result(())
        return groups

    async def _lookup(self, tenant: str, user: str) -> tuple[str, ...]:
        """Ask Graph and cache the answer; on any failure, no groups for a short while."""
        try:
            groups, ttl = await self._resolve(tenant, user), self.ttl
        except Exception as exc:  # never let a directory lookup break a turn
            log.warning(
                "cannot read Teams AAD groups (%s); group roles are ignored for %ds",
                _describe(exc),
                int(self.failure_ttl),
            )
            # Fail closed: a stale membership must not outlive a failing check.
            groups, ttl = (), self.failure_ttl
        now = self.clock()
        if len(self._cache) >= MAX_ENTRIES:  # keep memory bounded on very large tenants
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[(tenant, user)] = (now + ttl, groups)
        return groups

    async def _resolve(self, tenant: str, user: str) -> tuple[str, ...]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            token = await self._token(session, tenant)
            found: list[str] = []
            for start in range(0, len(self.group_ids), CHUNK):
                chunk = self.group_ids[start : start + CHUNK]
                found += await self._check(session, token, tenant, user, chunk)
        wanted = set(found)
        return tuple(g for g in self.group_ids if g in wanted)

    async def _token(self, session: aiohttp.ClientSession, tenant: str) -> str:
        cached = self._tokens.get(tenant)
        if cached is not None and self.clock() < cached[0]:
            return cached[1]
        form = {
            "grant_type": "client_credentials",
            "client_id": self._app_id,
            "client_secret": self._app_password,
            "scope": f"{self.graph_url}/.default",
        }
        url = f"{self.login_url}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        async with session.post(url, data=form) as response:
            if response.status != 200:
                raise GraphError(f"token request: HTTP {response.status}")
            body = await response.json(content_type=None)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise GraphError("token request: no access_token in the answer")
        lifetime = float(body.get("expires_in") or 3599)
        self._tokens[tenant] = (self.clock() + max(lifetime - 120, 0), token)
        return token

    async def _check(
        self, session: aiohttp.ClientSession, token: str, tenant: str, user: str, ids: list[str]
    ) -> list[str]:
        url = f"{self.graph_url}/v1.0/users/{quote(user, safe='')}/checkMemberGroups"
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(url, json={"groupIds": ids}, headers=headers) as response:
            if response.status == 401:
                self._tokens.pop(tenant, None)  # expired or revoked: fetch a new one next time
            if response.status != 200:
                raise GraphError(f"checkMemberGroups: HTTP {response.status}")
            body = await response.json(content_type=None)
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise GraphError("checkMemberGroups: no value list in the answer")
        return [v for v in values if isinstance(v, str)]


def _describe(exc: BaseException) -> str:
    """A short, secret-free description of a failure."""
    if isinstance(exc, GraphError):
        return str(exc)
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return type(exc).__name__
