"""Plugs grouping, digests and their chat commands into the core (called by bot.app.build)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from bot.logs import where
from digests.chat import Notify, chat_commands, notifier, reach
from digests.grouper import SqlGrouper
from digests.service import Digests
from store.db import session_scope
from store.models import Pattern, Report

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["attach"]

log = logging.getLogger("snag.loop")


def attach(services: Services) -> None:
    """Set the core's grouper and digest service, add the commands, offer the demo in the console."""
    from digests.demo import offer_demo

    grouper = SqlGrouper(services.engine, services.taxonomy)
    settings = services.settings
    digests = Digests(services.engine, services.taxonomy, k=settings.anonymity_k, timezone=settings.digest_timezone)
    services.snag.grouper = grouper
    services.snag.digests = digests
    services.extras["grouper"] = grouper
    services.extras["digests"] = digests
    notify = notifier(services)
    services.snag.extra_commands.update(chat_commands(services, notify))
    grouper.on_reopened = _tell_reopened(services, notify)
    services.extras["retry_updates"] = _retry_updates(services)  # `snag serve`'s recovery loop runs it
    services.extras["console_first_start"] = offer_demo(services)


def _tell_reopened(services: Services, notify: Notify) -> Callable[[int], None]:
    """Tell a reopened pattern's reporters in a thread of its own: the report that reopened it is
    stored and grouped, and its reporter is not kept waiting for everyone else's messages."""

    def tell(pattern_id: int) -> None:
        def run() -> None:
            with session_scope(services.engine) as session:
                pattern = session.get(Pattern, pattern_id)
                if pattern is not None:
                    session.expunge(pattern)
                reporters = session.exec(
                    select(func.count(func.distinct(Report.reporter_key))).where(col(Report.pattern_id) == pattern_id)
                ).one()
            if reporters < services.settings.anonymity_k:  # "reported again" would tell of one other person
                log.info("pattern %s reopened; its reporters (fewer than k) are not told", pattern_id)
                return
            if pattern is not None and pattern.status == "new":  # not set again meanwhile
                try:
                    notify(pattern, reopened=True)
                except Exception as exc:
                    log.error("the reporters of reopened pattern %s were not told: %s", pattern_id, where(exc))

        threading.Thread(target=run, name=f"snag-reopened-{pattern_id}", daemon=True).start()

    return tell


def _retry_updates(services: Services) -> Callable[[datetime], int]:
    """Send the reporters' updates owed (digests.owed_updates) with this process's messengers: `snag
    serve` tries them again as `snag scheduler` does, so a deployment without the scheduler still does."""

    def retry(now: datetime) -> int:
        from digests.owed_updates import send_owed_updates

        found = reach(services)
        if found is None:
            return 0
        messengers, run_async = found
        return send_owed_updates(
            services.engine,
            messengers=messengers,
            run_async=run_async,
            now=now,
            k=services.settings.anonymity_k,
            taxonomy=services.taxonomy,
        )

    return retry
