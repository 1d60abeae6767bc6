"""Who may see what: staff, manager, admin, from platform user ids or groups."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import Platform, Role

__all__ = ["RolePolicy", "reporter_key"]


def reporter_key(secret: str, platform: str, tenant: str, user: str) -> str:
    """A keyed hash of the reporter: stable for 'mine', useless for naming anyone."""
    msg = f"{platform}\x1f{tenant}\x1f{user}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:40]


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
