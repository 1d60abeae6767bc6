"""Outbox replay: reports kept while the database was down are filed, in order, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from bot.capture import add_report
from bot.domain import IncomingMessage, ReportRecord
from bot.errors import StoreUnavailable
from bot.logs import where

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["replay_outbox"]

log = logging.getLogger("snag.core")


def replay_outbox(snag: Snag) -> int:
    """File reports kept in the outbox, in order, exactly once; stop at the first outage."""
    outbox = snag.outbox
    if outbox is None:
        return 0
    filed = 0
    for entry in outbox.pending():
        try:
            with outbox.exclusive():  # an erasure waits, or has taken the entry already
                if not outbox.still_pending(entry):
                    continue
                message = entry.message
                record, created = add_report(snag, message, event_id=message.event_id or f"outbox:{entry.entry_id}")
                outbox.done(entry)
        except StoreUnavailable:
            break
        filed += 1
        platform = entry.message.person.platform
        if created:  # received now, its fate known (capture counted it deferred)
            snag.metrics.count("snag_reports_received_total", platform=platform)
            snag.metrics.count("snag_reports_stored_total", platform=platform)
            _after_replay(snag, record, entry.message)
        else:  # a delivery stored already: by a commit that ended past its deadline, or another process
            snag.metrics.count("snag_reports_duplicate_total", platform=platform)
            _after_replay(snag, record, entry.message, tag=False)  # how to reach its reporter, all the same
    if filed:
        snag.metrics.set("snag_outbox_depth", outbox.depth())
    return filed


def _after_replay(snag: Snag, record: ReportRecord, message: IncomingMessage, *, tag: bool = True) -> None:
    """Tag a report filed from the outbox and run the hooks (which keep how to reach its reporter:
    for a report found filed too, since Teams keeps that beside the outbox entry); a failure (an
    erasure meanwhile, say) is logged and never stops the rest of the outbox (the next sweep tags
    what is untagged)."""
    steps: list[Callable[[], object]] = [lambda: snag.tag(record)] if tag else []
    steps += [partial(hook, message) for hook in snag.on_replayed]
    for step in steps:
        try:
            step()
        except Exception as exc:
            log.warning("after filing an outbox report: %s", where(exc))
