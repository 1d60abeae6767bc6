"""Who may see what: staff, manager, admin, from platform user ids or groups."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import Platform, Role

__all__ = ["RolePolicy", "reporter_key", "entry_problem", "ENTRY_FORMS"]

ENTRY_FORMS = "slack:U0123ABCD, slack:group:S0456EFGH, teams:<AAD object id> or teams:group:<AAD group object id>"
# What role_of compares an entry with: the Slack member id (U.. or, on Enterprise Grid, W..) and user group
# ids (S..) Slack sends; in Teams the sender's AAD object id, else its Bot Framework id (29:...), and the
# object ids of AAD groups Graph answers with.
_SLACK_MEMBER = re.compile(r"[UW][A-Z0-9]+")
_SLACK_GROUP = re.compile(r"S[A-Z0-9]+")
_SLACK_WORKSPACE_MEMBER = re.compile(r"[TE][A-Z0-9]+:(?P<member>[UW][A-Z0-9]+)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_BOT_FRAMEWORK_ID = re.compile(r"29:[^\s@]+")
_SLACK_MEMBER_HOW = "the member ID from their Slack profile (⋯ > Copy member ID), not a name or @handle"
_AAD_HOW = "the GUID on {} page in the Microsoft Entra admin center ({})"


def reporter_key(secret: str, platform: str, tenant: str, user: str) -> str:
    """A keyed hash of the reporter: stable for 'mine', useless for naming anyone."""
    msg = f"{platform}\x1f{tenant}\x1f{user}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:40]


def entry_problem(entry: str, *, any_teams_id: bool = False) -> str | None:
    """Why a role entry would match nobody, with the form it should take; None when it can match someone.

    `any_teams_id`: the Bot Framework Emulator (SNAG_ENV=dev) sends whatever user id it is set to."""
    if ";" in entry or any(c.isspace() for c in entry):
        return f"{entry!r} holds more than one entry: separate entries with commas"
    platform, _, rest = entry.partition(":")
    if platform == "slack":
        return _slack_problem(entry, rest)
    if platform == "teams":
        return _teams_problem(entry, rest, any_teams_id=any_teams_id)
    return f"{entry!r} is not a platform id; use {ENTRY_FORMS}"


def _slack_problem(entry: str, rest: str) -> str | None:
    if rest.startswith("group:"):
        group = rest.removeprefix("group:")
        if _SLACK_GROUP.fullmatch(group):
            return None
        return (
            f"{entry!r} is not a Slack user group id: write slack:group:S... with the group's id, which starts "
            "with S (not its name or @handle)"
        )
    if _SLACK_MEMBER.fullmatch(rest):
        return None
    if in_workspace := _SLACK_WORKSPACE_MEMBER.fullmatch(rest):
        return (
            f"{entry!r} names a workspace too: a role names the person alone, so write slack:{in_workspace['member']}"
        )
    if _SLACK_MEMBER.fullmatch(rest.upper()):
        return f"{entry!r} is in lower case, but Slack ids are upper case: write slack:{rest.upper()}"
    return f"{entry!r} is not a Slack member id: write slack:U... with {_SLACK_MEMBER_HOW}"


def _teams_problem(entry: str, rest: str, *, any_teams_id: bool) -> str | None:
    if rest.startswith("group:"):
        group = rest.removeprefix("group:")
        if _GUID.fullmatch(group) or (any_teams_id and group and "@" not in group):
            return None
        return (
            f"{entry!r} is not an AAD group id: write teams:group:<the group's Object ID>, "
            f"{_AAD_HOW.format('its', 'Groups')}, not its name or email"
        )
    if _GUID.fullmatch(rest) or _BOT_FRAMEWORK_ID.fullmatch(rest) or (any_teams_id and rest and "@" not in rest):
        return None
    return (
        f"{entry!r} is not a Teams user id: write teams:<their Object ID>, {_AAD_HOW.format('their', 'Users')}, "
        "not an email or name"
    )


@dataclass(frozen=True)
class RolePolicy:
    """Roles from settings entries like `slack:U123`, `teams:29:abc`, `slack:group:S01`."""

    admins: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()

    @classmethod
    def from_lists(cls, admins: Iterable[str], managers: Iterable[str]) -> RolePolicy:
        return cls(frozenset(a.strip() for a in admins), frozenset(m.strip() for m in managers))

    def role_of(self, platform: str, user: str, groups: Iterable[str] = ()) -> Role:
        """The strongest role any of the person's ids or groups gives them."""
        if platform == Platform.CONSOLE:
            return Role.ADMIN  # the console runs on the admin's own machine
        keys = {f"{platform}:{user}"} | {f"{platform}:group:{g}" for g in groups}
        if keys & self.admins:
            return Role.ADMIN
        if keys & self.managers:
            return Role.MANAGER
        return Role.STAFF
