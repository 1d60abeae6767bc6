"""Privacy: erasing a person's reports (right to erasure) and reducing old reports to their tags."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.capture import touched
from bot.domain import Person
from bot.logs import where

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["erase", "apply_retention"]

log = logging.getLogger("snag.core")


def erase(snag: Snag, subject: Person, report_ids: Sequence[int] | None = None) -> int:
    """Delete every report a person filed in their tenant, in the database and the outbox (with
    the additions and edits to them waiting there).

    With `report_ids`, only those of their stored reports (a reporter taking one back): everything
    linked to them goes too (additions and edits waiting in the outbox among it), and what reaches
    the person once nothing of theirs is left."""
    key = snag.key_of(subject)
    grouper = snag.grouper
    learnt = (
        grouper.words_of(platform=subject.platform, tenant=subject.tenant, reporter_key=key, report_ids=report_ids)
        if grouper
        else None
    )
    with snag.outbox.exclusive() if snag.outbox is not None else contextlib.nullcontext():
        # the outbox first: no replay can file one of these after the database is erased
        if report_ids is None:
            erased = _erase_from_outbox(snag, key)
        else:
            erased = 0
            _erase_changes_from_outbox(snag, key, report_ids)
        erased += snag.repository.erase_reporter(person=subject, reporter_key=key, report_ids=report_ids)
    if grouper is not None and learnt is not None:  # only once the reports are gone, so never twice
        try:
            grouper.forget(learnt)
        except Exception as exc:
            log.error(
                "erased %d report(s), but grouping still holds their words until a rebuild: %s", erased, where(exc)
            )
    return erased


def _erase_from_outbox(snag: Snag, key: str) -> int:
    """Drop the person's reports, and changes to reports, still waiting in the outbox, so no replay
    brings them back; returns how many reports."""
    outbox = snag.outbox
    if outbox is None:
        return 0
    theirs = [entry for entry in outbox.pending() if snag.key_of(entry.message.person) == key]
    for entry in theirs:
        outbox.done(entry)
    if theirs:
        snag.metrics.set("snag_outbox_depth", outbox.depth())
    return sum(1 for entry in theirs if entry.change is None)


def _erase_changes_from_outbox(snag: Snag, key: str, report_ids: Sequence[int]) -> None:
    """Drop the person's additions and edits waiting in the outbox for these stored reports of
    theirs: erased with the report, they would otherwise be filed as a report of their own."""
    outbox = snag.outbox
    if outbox is None or not report_ids or outbox.depth() == 0:
        return
    for entry in outbox.pending():
        message = entry.message
        if entry.change is None or snag.key_of(message.person) != key:
            continue
        for message_id in touched(message, entry.change):
            found = snag.repository.find_by_message(
                person=message.person, reporter_key=key, channel=message.channel, message_id=message_id
            )
            if found is not None and found.id in report_ids:
                outbox.done(entry)
                break
    snag.metrics.set("snag_outbox_depth", outbox.depth())


def apply_retention(snag: Snag, days: int) -> int:
    """Reduce reports older than `days` to their tags."""
    return snag.repository.apply_retention(older_than=snag.clock() - timedelta(days=days))
