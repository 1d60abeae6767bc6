"""Receipts Snag sent to a person's 1:1 chat, kept by the id Teams gave each message.

A bot's 1:1 chat has no threads; to say more about a report, people quote-reply to its receipt
(Teams sends the quoted message's id as `replyToId`). Knowing which message was which report's
receipt, Snag adds the reply to that report, as a reply in a Slack report's thread is added. Only
receipts and later answers about one report are kept (not every message Snag sends), and they go
with the report when it is erased.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.domain import Reply
from bot.logs import where
from store import receipts
from store.db import session_scope

__all__ = ["ReceiptMessages", "Quoted", "is_receipt"]

log = logging.getLogger("snag.teams")
PLATFORM = "teams"


@dataclass(frozen=True)
class Quoted:
    """The report a quoted receipt was of: where, and from which of the person's messages, it was
    filed (what `Snag.add_to_report` finds it by)."""

    report_id: int
    channel: str
    message_id: str | None


def is_receipt(reply: Reply) -> bool:
    """A report's receipt, whose message is kept (a duplicate's says which report it joined), or a
    later answer about that report ("Added to report #N.", tags confirmed, a stage picked): people
    quote the newest message about their report, not always the first."""
    return reply.kind in ("receipt", "saved") and reply.report_id is not None


class ReceiptMessages:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, *, tenant: str, conversation_id: str, activity_id: str | None, reply: Reply) -> None:
        """Keep the id of a receipt just sent; a failure only logs (the receipt reached them: a
        quote-reply to it is then filed as a report of its own, as before)."""
        if not activity_id or not is_receipt(reply):
            return
        try:
            with session_scope(self.engine) as session:
                receipts.keep_receipt(
                    session=session,
                    platform=PLATFORM,
                    tenant=tenant,
                    conversation_id=conversation_id,
                    activity_id=activity_id,
                    report_id=reply.report_id or 0,
                )
        except Exception as exc:
            log.warning("a Teams receipt's message id was not kept: %s", where(exc))

    def quoted(self, *, tenant: str, conversation_id: str, activity_id: str, reporter_key: str) -> Quoted | None:
        """The report of this person's that the quoted message was the receipt of; None otherwise."""
        with session_scope(self.engine) as session:
            report = receipts.quoted_report(
                session=session,
                platform=PLATFORM,
                tenant=tenant,
                conversation_id=conversation_id,
                activity_id=activity_id,
                reporter_key=reporter_key,
            )
            if report is None or report.id is None:
                return None
            return Quoted(report.id, report.channel, report.message_id)
