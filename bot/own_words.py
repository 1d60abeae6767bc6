"""What an edited message said before, as the report it filed still shows it.

Slack says a message's previous text when it is edited, and the core keeps what replies under the
report added after it (`bot.editing.edit`'s `before`). Teams never says it, so it is read from the
report: its words are the message's own, then each addition joined by `ALSO` (a reply in the
channel thread, a quote-reply in the 1:1 chat). The message's part ends at the first addition its
new words do not repeat: words the person typed after a "; also: " of their own, kept in the edit,
are theirs to change; any other addition stays, so an edit never loses one. An edit kept in the
outbox without it (the database was down) reads it when it is applied (`own_before`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.capture import screen

if TYPE_CHECKING:
    from bot.core import Snag
    from bot.domain import IncomingMessage

__all__ = ["ALSO", "said_before", "own_before", "own_part"]

ALSO = "; also: "  # joins a reply under a report to its words


def said_before(snag: Snag, message: IncomingMessage) -> str | None:
    """The words the edited message (`message.message_id`, its new words `message.text`) filed,
    without what was added to its report since; None when it filed no report of theirs.
    Reads the database (StoreUnavailable when it is down): call it off the event loop."""
    new, _, _ = screen(snag, message.text)  # stored words are screened: compare like with like
    return own_before(snag, replace(message, text=new))


def own_before(snag: Snag, message: IncomingMessage) -> str | None:
    """`said_before` for new words screened already (an edit kept in the outbox)."""
    if not message.message_id:
        return None
    person = message.person
    record = snag.repository.find_by_message(
        person=person, reporter_key=snag.key_of(person), channel=message.channel, message_id=message.message_id
    )
    return None if record is None else own_part(record.text, message.text)


def own_part(stored: str, new: str) -> str:
    """The part of a report's words (`stored`) its own message gave, given the message's `new` words."""
    own, *added = stored.split(ALSO)
    repeated = new.split(ALSO)[1:]
    for words in added:
        if words not in repeated:  # an addition: it and everything after it stay
            break
        own += ALSO + words
    return own
