"""A manager's `own 5 @dana` in Slack: the pattern's owner is Dana's name, never "@someone".

The core reads every colleague's @mention as "@someone", so that no report names who it mentions.
An owner is different: each reporter of the pattern is told who looks after it. So before the core
reads a manager's `own` line (or `assign 5 to @dana`), the people it mentions are named as Slack
shows them (users.info, which needs the `users:read` scope), and `own 5 me` names the manager.
Without the scope a slash command's mention still carries the person's user name; failing both,
the line keeps "@someone" and the core asks the manager to type the name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import inbound
from adapters.slack.client import UNREACHABLE
from adapters.slack.text import mention_labels, mentioned_users
from bot.commands import allowed, means_me, owner_of
from bot.domain import IncomingMessage, Role

if TYPE_CHECKING:
    from adapters.slack.runtime import SlackRuntime

__all__ = ["DisplayNames", "named_owner"]

log = logging.getLogger("snag.slack.owners")
LOOKUP_WAIT = 1.0  # seconds a name may take: the manager's line waits for it, and Slack for its ack


class DisplayNames:
    """People's names as Slack shows them (users.info), cached per workspace and user for a while."""

    def __init__(
        self, *, ttl: float = 600.0, wait: float = LOOKUP_WAIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.wait = wait
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}

    async def of(self, client: AsyncWebClient, team: str, user: str) -> str | None:
        """Their display name (else their full name); None when Slack will not say."""
        cached = self._cache.get((team, user))
        if cached is not None and self.clock() - cached[0] <= self.ttl:
            return cached[1]
        try:
            response = await asyncio.wait_for(client.users_info(user=user), self.wait)
        except SlackApiError as exc:  # missing_scope: an app installed before Snag asked for users:read
            log.info("cannot read a Slack user's name (%s)", exc.response.get("error"))
            return None
        except UNREACHABLE as exc:  # down, dropped, or slower than the manager should wait
            log.warning("cannot read a Slack user's name: %s", type(exc).__name__)
            return None
        name = _name(response.get("user"))
        if name:
            self._cache[(team, user)] = (self.clock(), name)
        return name


def _name(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    given = user.get("profile")
    profile: dict[str, Any] = given if isinstance(given, dict) else {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(name, str) and name.strip():
            return " ".join(name.split())
    return None


async def named_owner(rt: SlackRuntime, client: AsyncWebClient, message: IncomingMessage, text: str) -> IncomingMessage:
    """A manager's `own` line with the people it mentions (`text`: Slack's formatted text, see
    inbound.formatted) and "me" written as their names; any other message as it is."""
    person = message.person
    owned = owner_of(message.text, person.role)
    if owned is None or not allowed(person.role, Role.MANAGER):
        return message  # a report, or someone who may not set owners: nobody's name is looked up
    mentions = mentioned_users(text)
    if not mentions and not means_me(" ".join(owned[1])):
        return message
    labels = mention_labels(text)
    found = await asyncio.gather(*(rt.names.of(client, person.tenant, user) for user in mentions))  # at once
    names: dict[str, str] = {}
    for user, name in zip(mentions, found, strict=True):
        label = name or labels.get(user)
        if label:
            names[user] = label
    owned = owner_of(inbound.from_slack(text, names).strip(), person.role) or owned
    number, owner = owned
    if means_me(" ".join(owner)):
        mine = await rt.names.of(client, person.tenant, person.user)
        owner = (mine,) if mine else owner
    return replace(message, text=f"own {number} {' '.join(owner)}")
