"""Teams receipts owed, so that a process dying after Teams got its 201 still leaves none unsent.

A typed report is committed and Teams answered before tagging, the receipt and keeping how to
reach the reporter, which come after in the background. A process dying in between (kill, OOM,
a redeploy) would leave a stored report whose reporter never gets a receipt, nor hears back when
its pattern changes; Teams, answered, does not send it again. So before the 201 the endpoint
writes down what the receipt needs (adapters.owed keeps the files and locks, as for Slack), and
the next process to start sends it and keeps the references, as the live turn would have. A
receipt the live turn could not send (Teams failing, then back) is held by the same process
(adapters.owed's `HeldReceipts`, after each of HOLD_DELAYS) until Teams takes it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from botbuilder.schema import ConversationReference

from adapters.teams.messenger import RETRY_STATUSES, DeliveryFailed, TeamsMessenger
from adapters.teams.references import USER_PREFIX, Reach, References
from bot import cards
from bot.logs import where

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.capture import Capture
    from bot.core import Snag
    from bot.domain import Person

__all__ = ["Owed", "OWED_DIR", "HOLD_DELAYS", "owed_for", "send_owed"]

log = logging.getLogger("snag.teams")
OWED_DIR = "teams-owed"  # under the data directory, beside teams-waiting
# Seconds before each new try of the receipts the live turn could not send; the last repeats.
HOLD_DELAYS: tuple[float, ...] = (30.0, 120.0, 600.0)


@dataclass(frozen=True)
class Owed:
    """A stored report's receipt: whose (tenant, user), and the references the live turn would
    keep (Reach, as dicts: only what sending needs). In a 1:1 chat (`personal`) the receipt goes
    to that chat; elsewhere, as the live answer does, to the reporter's 1:1 chat (`user:`)."""

    tenant: str
    user: str
    report_id: int
    personal: bool
    reaches: tuple[dict[str, Any], ...]
    notices: tuple[str, ...] = ()
    duplicate: bool = False


def owed_for(person: Person, report_id: int, *, personal: bool, reaches: Sequence[Reach], capture: Capture) -> Owed:
    """What to write down for a report just stored: whose, where its receipt goes, what it says."""
    kept = tuple(asdict(r) for r in reaches)
    return Owed(person.tenant, person.user, report_id, personal, kept, capture.notices, not capture.created)


def _receipt_reach(owed: Owed, reaches: Sequence[Reach]) -> Reach | None:
    """Where the live turn sends the receipt: the 1:1 chat it came from, or the reporter's 1:1 chat."""
    return next((r for r in reaches if r.destination.startswith(USER_PREFIX) != owed.personal), None)


def _for_good(failed: DeliveryFailed) -> bool:
    """Refused in a way a later start would not change (blocked, removed, a bad request)."""
    return failed.status is not None and failed.status < 500 and failed.status not in RETRY_STATUSES


async def send_owed(snag: Snag, messenger: TeamsMessenger, references: References, owed: Owed) -> None:
    """Send the receipt a process that stopped still owed (the report as stored now), then keep how
    to reach the reporter. Raises when Teams may take it later: it stays owed, tried again."""
    person = snag.person("teams", owed.tenant, owed.user)
    record = await asyncio.to_thread(snag.repository.get_report, person=person, report_id=owed.report_id)
    if record is None:
        return  # erased meanwhile: nothing to tell them, nothing to keep
    reaches = [Reach(**r) for r in owed.reaches]
    to = _receipt_reach(owed, reaches)
    if to is None:
        log.warning("dropped a Teams receipt owed with nowhere to send it")
        return
    reply = cards.receipt(record, snag.taxonomy, notices=owed.notices, duplicate=owed.duplicate)
    reference = ConversationReference().deserialize(to.reference)
    try:
        await messenger.send_over(reference, destination=to.destination, reply=reply, tenant=owed.tenant)
    except DeliveryFailed as failed:
        if not _for_good(failed):
            raise
        log.warning("a Teams receipt owed was refused for good: %s", failed)
        return
    try:
        for reach in reaches:  # as the live turn keeps them, after the receipt
            await asyncio.to_thread(references.put, reach)
    except Exception as exc:  # sent: raising would send it again, and a receipt twice is worse
        log.error("teams conversation reference not saved after a receipt owed: %s", where(exc))
