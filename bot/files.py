"""A photo or file sent to Snag: it reads only words, and says so alike on every platform."""

from __future__ import annotations

from bot.domain import IncomingMessage
from bot.reading import as_report, too_short

__all__ = ["nothing_to_file"]


def nothing_to_file(message: IncomingMessage) -> bool:
    """The words sent beside a file are no report: none, or one short word ("this", "see").

    Such a message is answered with cards.only_files, not the generic "a bit short" prompt, so the
    person knows the file arrived and why nothing was filed. A command ("help") is answered as usual.
    """
    report = as_report(message)
    if report is None:
        return False
    text = report.text.strip()
    return not text or too_short(text)
