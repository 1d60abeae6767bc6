"""Who Snag is in a workspace, told to Bolt without asking Slack on the way to a handler.

Bolt's own authorization asks Slack (auth.test) before any handler runs: for one workspace until
Slack first answers, for OAuth installs on every request. With Slack's Web API unreachable, every
request got a 500 and its report was never stored, and Slack does not send a slash command again.
Here the bot token comes from the settings (one workspace) or the database (OAuth installs), and
the bot's own user id from auth.test once Slack has answered it (`TokenCheck`, in the background),
else from the `authorizations` an event carries. The signature is still checked before all this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store.models.bot import Bot

    from adapters.slack.installations import SqlInstallationStore

__all__ = [
    "BotIdentity",
    "StoredInstalls",
    "TokenCheck",
    "CHECK_DELAYS",
    "note_payload_bot",
    "single_workspace",
]

log = logging.getLogger("snag.slack")
PAYLOAD_BOT = "snag_payload_bot"  # bolt context key: the bot user id an event's authorizations name
# Seconds between checks of SLACK_BOT_TOKEN while Slack cannot be reached; the last one repeats.
CHECK_DELAYS: tuple[float, ...] = (5.0, 15.0, 60.0, 300.0)


@dataclass
class BotIdentity:
    """What auth.test said about the one workspace's bot token, once Slack answered it.

    `state`: "unchecked" (not yet asked), "ok", "unreachable" (asked, no answer yet) or
    "refused" (Slack said the token is no good: `error` says why)."""

    team_id: str | None = None
    enterprise_id: str | None = None
    bot_user_id: str | None = None
    bot_id: str | None = None
    team: str | None = None
    state: str = "unchecked"
    error: str | None = None

    def learn(self, answer: Any) -> None:
        """Keep what auth.test answered."""
        self.team_id = answer.get("team_id")
        self.enterprise_id = answer.get("enterprise_id")
        self.bot_user_id = answer.get("user_id")
        self.bot_id = answer.get("bot_id")
        self.team = answer.get("team")
        self.state, self.error = "ok", None


async def note_payload_bot(
    body: dict[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    """Before authorization: keep the bot user id an event's `authorizations` name, if any."""
    for granted in body.get("authorizations") or ():
        if isinstance(granted, dict) and granted.get("is_bot") and granted.get("user_id"):
            context[PAYLOAD_BOT] = str(granted["user_id"])
            break
    return await next_()


def single_workspace(token: str, identity: BotIdentity) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Bolt's `authorize` for one workspace: the configured token, never a call to Slack."""

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None, context: AsyncBoltContext
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id or enterprise_id,
            team_id=identity.team_id or team_id,
            bot_token=token,
            bot_user_id=identity.bot_user_id or context.get(PAYLOAD_BOT),
            bot_id=identity.bot_id,
            user_id=user_id,
        )

    return authorize


class StoredInstalls(AsyncAuthorize):
    """Bolt's authorize for OAuth installs: the workspace's token and bot ids as stored at install,
    never a call to Slack (a revoked token fails at the first call to Slack instead, and Slack's
    tokens_revoked event deletes it). With the database down, the install read last is used."""

    def __init__(self, installations: SqlInstallationStore) -> None:
        self.installations = installations
        self._last: dict[tuple[str | None, str | None], Bot] = {}

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self._find(enterprise_id, team_id, context.is_enterprise_install)
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id or enterprise_id,
            team_id=bot.team_id or team_id,
            bot_token=bot.bot_token,
            bot_user_id=bot.bot_user_id or context.get(PAYLOAD_BOT),
            bot_id=bot.bot_id or None,
            bot_scopes=_scopes(bot.bot_scopes),
            user_id=user_id,
        )

    async def _find(
        self, enterprise_id: str | None, team_id: str | None, enterprise_install: bool | None
    ) -> Bot | None:
        key = (enterprise_id, team_id)
        try:
            bot = await self.installations.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=enterprise_install
            )
        except Exception as exc:  # the database down: the install as last read, if any
            if key not in self._last:
                raise
            log.warning("reading a Slack install failed (%s): using the one read last", type(exc).__name__)
            return self._last[key]
        if bot is None:
            self._last.pop(key, None)
        else:
            self._last[key] = bot
        return bot


def _scopes(scopes: str | Sequence[str] | None) -> list[str] | None:
    if scopes is None:
        return None
    return [s.strip() for s in scopes.split(",")] if isinstance(scopes, str) else list(scopes)


class TokenCheck:
    """Asks Slack once who SLACK_BOT_TOKEN is, in the background, with one log line per try:
    again after each of `delays` while Slack cannot be reached, never again once it answered."""

    def __init__(self, client: AsyncWebClient, identity: BotIdentity, *, delays: Sequence[float] = CHECK_DELAYS):
        self.client = client
        self.identity = identity
        self.delays = tuple(delays)
        self._task: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()  # set once the first try ended, whatever its outcome

    def start(self) -> None:
        """Start checking, unless it was started already."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def first_try(self, within: float) -> None:
        """Start checking, and wait for the end of the first try, `within` seconds at most."""
        self.start()
        if not self._tried.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tried.wait(), within)

    async def _run(self) -> None:
        attempt = 0
        try:
            answered = await self.once()
        finally:
            self._tried.set()
        while not answered:
            delay = self.delays[min(attempt, len(self.delays) - 1)]
            log.warning(
                "cannot reach Slack to check SLACK_BOT_TOKEN (%s); reports are still stored, and their "
                "receipts wait for Slack. Trying again in %.0f s",
                self.identity.error,
                delay,
            )
            attempt += 1
            await asyncio.sleep(delay)
            answered = await self.once()

    async def once(self) -> bool:
        """Ask Slack now; True once Slack answered (the token accepted or refused)."""
        identity = self.identity
        try:
            answer = await self.client.auth_test()
        except SlackApiError as exc:
            identity.state, identity.error = "refused", str(exc.response.get("error") or "unknown")
            log.error(
                "Slack refused SLACK_BOT_TOKEN (%s): copy the Bot User OAuth Token (xoxb-…) from your Slack "
                "app's OAuth & Permissions page into .env, and reinstall the app if it was removed",
                identity.error,
            )
            return True
        except Exception as exc:  # refused, reset, DNS, timed out (UNREACHABLE), or Slack's answer garbled
            identity.state, identity.error = "unreachable", type(exc).__name__
            return False
        was_unreachable = identity.state == "unreachable"
        identity.learn(answer)
        log.info(
            "Slack %saccepted SLACK_BOT_TOKEN: bot user %s in workspace %s (%s)",
            "answers again and " if was_unreachable else "",
            identity.bot_user_id,
            identity.team,
            identity.team_id,
        )
        return True

    async def close(self) -> None:
        """Stop checking (the process is stopping)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
