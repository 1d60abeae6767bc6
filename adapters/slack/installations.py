"""Multi-workspace installs: bot tokens Fernet-encrypted in our database, OAuth state signed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.errors import ConfigError
from store.db import session_scope
from store.models import ConversationRef, SlackInstallation, Tenant

__all__ = ["SqlInstallationStore", "SignedStateStore", "forget_workspace", "fernet"]

log = logging.getLogger("snag.slack.install")


def fernet(key: str) -> Fernet:
    """The cipher for stored tokens; a bad key stops the process with a sentence naming it."""
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "SNAG_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes). "
            'Generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from exc


def _ids(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> tuple[str, str]:
    return enterprise_id or "", "" if is_enterprise_install else team_id or ""


class SqlInstallationStore(AsyncInstallationStore):
    """slack_sdk's installation store over the slack_installations table (bot tokens only)."""

    def __init__(self, engine: Engine, encryption_key: str) -> None:
        self.engine = engine
        self._fernet = fernet(encryption_key)

    @property
    def logger(self) -> logging.Logger:
        return log

    # ---- sync verbs (run in a thread by the async methods) ----

    def _row(self, session: Session, enterprise_id: str, team_id: str) -> SlackInstallation | None:
        return session.exec(
            select(SlackInstallation).where(
                SlackInstallation.enterprise_id == enterprise_id,
                SlackInstallation.team_id == team_id,
            )
        ).first()

    def save_bot(self, bot: Bot) -> None:
        """Insert or replace a workspace's bot token, encrypted."""
        enterprise_id, team_id = _ids(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        with session_scope(self.engine) as session:
            row = self._row(session, enterprise_id, team_id) or SlackInstallation(
                enterprise_id=enterprise_id, team_id=team_id, bot_token_encrypted=b""
            )
            row.team_name = bot.team_name
            row.bot_user_id = bot.bot_user_id
            row.bot_id = bot.bot_id
            row.bot_scopes = ",".join(bot.bot_scopes or [])
            row.bot_token_encrypted = self._fernet.encrypt(bot.bot_token.encode())
            row.is_enterprise_install = bool(bot.is_enterprise_install)
            row.installed_at = datetime.now(UTC)
            session.add(row)
        log.info("saved the Slack install of a workspace (token encrypted)")

    def find_row(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> tuple[SlackInstallation, str] | None:
        """The install row and its decrypted token, or None."""
        e, t = _ids(enterprise_id, team_id, is_enterprise_install)
        with session_scope(self.engine) as session:
            row = self._row(session, e, t)
            if row is None and e and t:  # an org-wide install covers every workspace of the org
                row = self._row(session, e, "")
        if row is None:
            return None
        try:
            return row, self._fernet.decrypt(row.bot_token_encrypted).decode()
        except InvalidToken:
            log.error("a stored Slack token cannot be decrypted: was SNAG_ENCRYPTION_KEY changed?")
            return None

    def bot_token(self, *, team_id: str, enterprise_id: str | None = None) -> str | None:
        found = self.find_row(enterprise_id=enterprise_id, team_id=team_id)
        return found[1] if found else None

    def delete(self, *, enterprise_id: str | None, team_id: str | None) -> int:
        """Delete a workspace's install rows; returns how many."""
        e, t = enterprise_id or "", team_id or ""
        with session_scope(self.engine) as session:
            result = session.exec(
                delete(SlackInstallation).where(
                    col(SlackInstallation.enterprise_id) == e, col(SlackInstallation.team_id) == t
                )
            )
            return int(result.rowcount or 0)

    # ---- the AsyncInstallationStore interface ----

    async def async_save(self, installation: Installation) -> None:
        if installation.bot_token:
            await asyncio.to_thread(self.save_bot, installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    def _bot(self, found: tuple[SlackInstallation, str]) -> Bot:
        row, token = found
        return Bot(
            enterprise_id=row.enterprise_id or None,
            team_id=row.team_id or None,
            team_name=row.team_name,
            bot_token=token,
            bot_id=row.bot_id or "",
            bot_user_id=row.bot_user_id or "",
            bot_scopes=row.bot_scopes,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await asyncio.to_thread(
            self.find_row,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._bot(found) if found else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None:
            return None
        return Installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team_name=bot.team_name,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            user_id=user_id or "",
            is_enterprise_install=bot.is_enterprise_install,
            installed_at=bot.installed_at,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:  # only bot tokens are stored; user installs hold nothing here
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth `state` signed with a server secret, valid for ten minutes: no shared storage."""

    def __init__(self, secret: str, *, expiration_seconds: int = 600, clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"snag-oauth-state\x1f" + secret.encode()).digest()
        self.expiration_seconds = expiration_seconds
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        payload = f"{int(self.clock()) + self.expiration_seconds}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._sign(payload)}"

    async def async_consume(self, state: str) -> bool:
        expires, _, rest = (state or "").partition(".")
        nonce, _, signature = rest.partition(".")
        if not (expires.isdigit() and nonce and signature):
            return False
        good = hmac.compare_digest(self._sign(f"{expires}.{nonce}"), signature)
        return good and int(expires) >= self.clock()


def forget_workspace(engine: Engine, *, team_id: str) -> int:
    """Delete the conversation references kept for a workspace (on uninstall / token revocation)."""
    with session_scope(engine) as session:
        tenant_ids = select(Tenant.id).where(Tenant.platform == "slack", Tenant.external_id == team_id)
        result = session.exec(
            delete(ConversationRef).where(
                col(ConversationRef.platform) == "slack",
                col(ConversationRef.tenant_id).in_(tenant_ids),
            )
        )
        return int(result.rowcount or 0)
