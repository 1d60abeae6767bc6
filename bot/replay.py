"""Outbox replay: reports kept while the database was down are filed, and changes to reports
(a reply added to one, an edit of the message that filed one) applied, in order, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from bot import editing
from bot.capture import add_report
from bot.domain import IncomingMessage, ReportRecord
from bot.errors import NotFound, StoreUnavailable
from bot.logs import where
from bot.ports import OutboxItem

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["replay_outbox"]

log = logging.getLogger("snag.core")

After = Callable[[], None]  # the slow rest of an entry (tagging, hooks), run outside the outbox's lock


def replay_outbox(snag: Snag) -> int:
    """File reports and apply changes kept in the outbox, in order, exactly once; stop at the first
    outage. Returns how many entries the database took."""
    outbox = snag.outbox
    if outbox is None:
        return 0
    taken = 0
    for entry in outbox.pending():
        try:
            with outbox.exclusive():  # an erasure waits, or has taken the entry already
                if not outbox.still_pending(entry):
                    continue
                after = _take(snag, entry)
                outbox.done(entry)
        except StoreUnavailable:
            break
        taken += 1
        after()
    if taken:
        snag.metrics.set("snag_outbox_depth", outbox.depth())
    return taken


def _take(snag: Snag, entry: OutboxItem) -> After:
    """Give the database one entry: file its report, or apply its change (a change that comes to
    nothing, its report erased since, is dropped). What is left to do once it is taken."""
    message, change = entry.message, entry.change
    if change is None:
        return _file(snag, message, event_id=message.event_id or f"outbox:{entry.entry_id}")
    try:
        done = editing.apply_kept(snag, message, change)
    except NotFound as exc:  # its report erased while the change was applied
        log.info("a change kept in the outbox found its report gone: %s", exc.message)
        return lambda: None
    if done is None:
        log.info("a %s kept in the outbox had nothing left to change", change.kind)
        return lambda: None
    if done.report is not None:  # a reply under a message that filed no report: a report of its own
        return _file(snag, done.report, event_id=message.event_id or f"outbox:{entry.entry_id}")
    return partial(_finish, snag, done)


def _file(snag: Snag, message: IncomingMessage, *, event_id: str) -> After:
    record, created = add_report(snag, message, event_id=event_id)
    platform = message.person.platform
    if created:  # received now, its fate known (capture counted it deferred)
        snag.metrics.count("snag_reports_received_total", platform=platform)
        snag.metrics.count("snag_reports_stored_total", platform=platform)
        return partial(_after_replay, snag, record, message)
    # a delivery stored already: by a commit that ended past its deadline, or another process
    snag.metrics.count("snag_reports_duplicate_total", platform=platform)
    return partial(_after_replay, snag, record, message, tag=False)  # how to reach its reporter, all the same


def _finish(snag: Snag, done: editing.Edit) -> None:
    """Tag and regroup a report a kept change gave new words; a failure is logged (its words are
    stored; the next sweep tags a report left untagged)."""
    try:
        editing.finish(snag, done)
    except Exception as exc:
        log.warning("after applying an outbox change: %s", where(exc))


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
