"""Receipts Snag posted as messages in Slack (to a DM), kept by their ts.

A person may reply in the thread of Snag's receipt rather than under their own message; Slack then
sends the receipt's ts as the reply's `thread_ts`. Knowing which message was which report's receipt,
Snag adds the reply to that report, as a reply under the message that filed it is added. Only
receipts and later answers about one report posted as messages of their own are kept (an ephemeral
one takes no replies, and a reply in a thread starts none), in the table Teams' quote-replies use
(`store.receipts`); they go with the report when it is erased. Besides a DM's, those are the
receipts of `/snag`, the form and the shortcut that went to the person's DM (a response_url Slack
would not take, a receipt the next process sent); a reaction's and an @mention's are ephemeral.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.slack.deliver import Posted
from bot.domain import Person, Reply, under_report
from bot.logs import where
from store import receipts
from store.db import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["ReceiptMessages", "Origin", "is_receipt"]

log = logging.getLogger("snag.slack")
PLATFORM = "slack"


@dataclass(frozen=True)
class Origin:
    """The message a report was filed from: what `Snag.add_to_report` finds the report by."""

    channel: str
    message_id: str


def is_receipt(reply: Reply) -> bool:
    """A report's receipt (a duplicate's names the report it joined), or a later answer about it."""
    return reply.kind in ("receipt", "saved") and reply.report_id is not None


class ReceiptMessages:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, *, tenant: str, posted: Sequence[Posted], reply: Reply) -> None:
        """Keep the ts of a receipt just posted; a failure only logs (the receipt reached them: a
        reply in its thread is then filed as a report of its own)."""
        if not posted or not is_receipt(reply):
            return
        try:
            with session_scope(self.engine) as session:
                for message in posted:  # a long one goes as several messages: a reply may be under any
                    receipts.keep_receipt(
                        session=session,
                        platform=PLATFORM,
                        tenant=tenant,
                        conversation_id=message.channel,
                        activity_id=message.ts,
                        report_id=reply.report_id or 0,
                    )
        except Exception as exc:
            log.warning("a Slack receipt's ts was not kept: %s", where(exc))

    def origin(self, *, person: Person, reporter_key: str, channel: str, ts: str) -> Origin | None:
        """The message that filed the report of theirs whose receipt is message `ts` in `channel`,
        or, for a report filed from no message of theirs (`/snag`, the form, the shortcut), the
        report itself (`under_report`); None for any other message, or someone else's report. A
        failure only logs: the reply is then filed as usual."""
        try:
            with session_scope(self.engine) as session:
                report = receipts.quoted_report(
                    session=session,
                    platform=PLATFORM,
                    tenant=person.tenant,
                    conversation_id=channel,
                    activity_id=ts,
                    reporter_key=reporter_key,
                )
                if report is None or report.id is None:
                    return None
                return Origin(report.channel, report.message_id or under_report(report.id))
        except Exception as exc:
            log.warning("cannot tell whether a Slack thread is a receipt's: %s", where(exc))
            return None
