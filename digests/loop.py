"""Closing the loop: when a pattern's owner or status changes, everyone who reported it hears so.

Each reporter gets a direct message on the platform they used; it never says who else reported.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.cards import STATUS_WORDS
from bot.domain import Reply, Section
from bot.errors import InputError, NotFound
from bot.ports import Messenger
from digests.delivery import safe_error
from store.conversations import references_for_reporter
from store.db import session_scope
from store.models import Pattern, Report, Tenant

__all__ = ["STATUSES", "read_status", "set_pattern", "notify_reporters", "update_reply"]

log = logging.getLogger("snag.loop")
STATUSES = ("new", "acknowledged", "in_progress", "resolved", "wont_fix")
# The words people read for a status (bot.listings.STATUS_WORDS) and common ways of typing them.
_STATUS_SAID = {
    "received": "new",
    "ack": "acknowledged",
    "acknowledge": "acknowledged",
    "being_worked_on": "in_progress",
    "inprogress": "in_progress",
    "working_on_it": "in_progress",
    "fixed": "resolved",
    "done": "resolved",
    "wontfix": "wont_fix",
    "will_not_fix": "wont_fix",
    "not_fixing": "wont_fix",
}


def read_status(said: str) -> str:
    """The status `said` names, as typed ("in progress", "being worked on", "won't fix"), or InputError."""
    key = re.sub(r"[\s-]+", "_", said.strip().strip(".!").lower().replace("'", "").replace("\u2019", ""))
    status = key if key in STATUSES else _STATUS_SAID.get(key)
    if status is None:
        words = ", ".join(f"{s} ({STATUS_WORDS[s]})" if STATUS_WORDS[s] != s.replace("_", " ") else s for s in STATUSES)
        raise InputError(f"`{said}` is not a status. A status is one of: {words}.")
    return status


def set_pattern(
    engine: Engine,
    *,
    platform: str,
    tenant: str,
    pattern_id: int,
    owner: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> tuple[Pattern, bool]:
    """Change a pattern's owner and/or status; returns the row and whether anything changed."""
    if status is not None and status not in STATUSES:
        raise InputError(f"A status is one of: {', '.join(STATUSES)}.")
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        row = session.get(Pattern, pattern_id)
        found = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
        if row is None or found is None or row.tenant_id != found.id:
            raise NotFound(f"There is no pattern #{pattern_id}.")
        changed = False
        if owner is not None and owner != row.owner:
            row.owner, row.owner_set_at, changed = owner or None, now, True
        if status is not None and status != row.status:
            row.status, row.status_changed_at, changed = status, now, True
        session.add(row)
        return row, changed


def update_reply(pattern: Pattern) -> Reply:
    """The direct message a reporter gets: what changed, nothing about anyone else."""
    status = STATUS_WORDS.get(pattern.status, pattern.status)
    fields = (("Status", status), ("Owner", pattern.owner or "not assigned yet"))
    return Reply(
        kind="text",
        title="An update on something you reported",
        sections=(
            Section(heading=f"Pattern #{pattern.id}: {pattern.title}", fields=fields),
            Section(text="Thank you for reporting it: this is what reports are for."),
        ),
        ephemeral=False,
    )


def notify_reporters(
    engine: Engine,
    *,
    pattern: Pattern,
    messengers: Mapping[str, Messenger],
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
) -> int:
    """DM every distinct reporter of the pattern where they can be reached; returns messages sent."""
    with session_scope(engine) as session:
        tenant = session.get(Tenant, pattern.tenant_id)
        people = session.exec(
            select(Report.platform, Report.reporter_key).where(Report.pattern_id == pattern.id).distinct()
        ).all()
        targets = [
            (platform, ref.conversation_id)
            for platform, key in sorted(people)
            for ref in references_for_reporter(session=session, platform=platform, reporter_key=key)[:1]
        ]
    reply, sent = update_reply(pattern), 0
    for platform, conversation in targets:
        messenger = messengers.get(platform)
        if messenger is None or tenant is None:
            continue
        try:
            run_async(
                messenger.send(platform=platform, tenant=tenant.external_id, destination=conversation, reply=reply)
            )
            sent += 1
        except Exception as exc:
            log.error("update for pattern %s not delivered on %s: %s", pattern.id, platform, safe_error(exc))
    return sent
