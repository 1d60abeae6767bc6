"""Privacy: erasing a person's reports (right to erasure) and reducing old reports to their tags."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain import Person
from bot.logs import where

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["erase", "apply_retention"]

log = logging.getLogger("snag.core")


def erase(snag: Snag, subject: Person, report_ids: Sequence[int] | None = None) -> int:
    """Delete every report a person filed in their tenant, in the database and the outbox.

    With `report_ids`, only those of their stored reports (a reporter taking one back): everything
    linked to them goes too, and what reaches the person once nothing of theirs is left."""
    key = snag.key_of(subject)
    grouper = snag.grouper
    learnt = (
        grouper.words_of(platform=subject.platform, tenant=subject.tenant, reporter_key=key, report_ids=report_ids)
        if grouper
        else None
    )
    with snag.outbox.exclusive() if snag.outbox is not None else contextlib.nullcontext():
        # the outbox first: no replay can file one of these after the database is erased
        erased = _erase_from_outbox(snag, key) if report_ids is None else 0
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
    """Drop the person's reports still waiting in the outbox, so no replay brings them back."""
    outbox = snag.outbox
    if outbox is None:
        return 0
    theirs = [entry for entry in outbox.pending() if snag.key_of(entry.message.person) == key]
    for entry in theirs:
        outbox.done(entry)
    if theirs:
        snag.metrics.set("snag_outbox_depth", outbox.depth())
    return len(theirs)


def apply_retention(snag: Snag, days: int) -> int:
    """Reduce reports older than `days` to their tags."""
    return snag.repository.apply_retention(older_than=snag.clock() - timedelta(days=days))
