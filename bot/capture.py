"""Capture: a report is cleaned, redacted and stored first (or kept in the outbox), then tagged
and grouped, and the receipt shows what was understood.

The two halves are apart so an adapter can acknowledge the platform as soon as the report is
committed (Snag.store_report), and tag and reply afterwards (Snag.finish_report).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import cards
from bot.domain import Change, IncomingMessage, Person, Reply, ReportRecord, Tags
from bot.errors import StoreUnavailable
from bot.logs import where
from bot.reading import too_short
from bot.redact import only_placeholders
from bot.text import CleanText, clean_report_text

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = [
    "Capture",
    "store",
    "screen",
    "cut_notice",
    "add_report",
    "keep_in_outbox",
    "keep_change",
    "waits_in_outbox",
    "receipt_for",
    "tag",
    "honest",
    "suggest",
    "tag_backlog",
]

log = logging.getLogger("snag.core")

_ONLY_PERSONAL_DETAILS = (
    "That message held only personal details (an email address, a number, a link), which I never keep, "
    "so nothing was saved."
)


@dataclass(frozen=True)
class Capture:
    """A report after the fast half of capture: stored (record) or already answered (reply)."""

    record: ReportRecord | None = None
    created: bool = False
    notices: tuple[str, ...] = ()
    reply: Reply | None = None

    @property
    def stored(self) -> bool:
        return self.record is not None


def store(snag: Snag, message: IncomingMessage) -> Capture:
    """Clean, redact and commit the report, or keep it in the outbox while the database is down."""
    message = replace(message, mentions=())  # who a report names is never kept, not even in the outbox
    cleaned = clean_report_text(message.text, limit=snag.options.max_report_chars)
    text, answer = _screened(snag, cleaned)
    if answer is not None:
        return Capture(reply=answer)
    platform = message.person.platform
    # Received counts each report once, when it is stored or lost: a platform's retry of a delivery
    # already stored (its event id) is a duplicate, and one kept in the outbox is received on replay.
    try:
        record, created = add_report(snag, replace(message, text=text), event_id=message.event_id)
    except StoreUnavailable:
        return Capture(reply=_keep_for_later(snag, replace(message, text=text)))
    except Exception:
        snag.metrics.count("snag_reports_received_total", platform=platform)
        raise
    snag.filed(message)
    if created:
        snag.metrics.count("snag_reports_received_total", platform=platform)
        snag.metrics.count("snag_reports_stored_total", platform=platform)
    else:
        snag.metrics.count("snag_reports_duplicate_total", platform=platform)
    notices = cut_notice(cleaned, snag.options.max_report_chars) + cards.shared_notice(message.shared)
    notices += cards.files_notice(message.files)
    return Capture(record=record, created=created, notices=notices)


def _screened(snag: Snag, cleaned: CleanText) -> tuple[str, Reply | None]:
    """The redacted text to store, or the answer to a message that is not a report."""
    if cleaned.empty:
        return "", cards.prompt_for_sentence()
    if too_short(cleaned.text):  # "ok", "n", "thanks": nothing anyone could act on, so ask
        said = f"“{cleaned.text}” is a bit short to file; a few words on what got in the way are enough."
        return "", replace(cards.prompt_for_sentence(), notices=(said,))
    text = snag.redactor.redact(cleaned.text)
    if text != cleaned.text and only_placeholders(text):
        return "", replace(cards.prompt_for_sentence(), notices=(_ONLY_PERSONAL_DETAILS,))
    return text, None


def screen(snag: Snag, text: str) -> tuple[str, tuple[str, ...], Reply | None]:
    """New words for a stored report (an edit, a reply under it), read as a report's are: the
    redacted text and what was cut, or the answer when they are no report at all."""
    cleaned = clean_report_text(text, limit=snag.options.max_report_chars)
    words, answer = _screened(snag, cleaned)
    return words, cut_notice(cleaned, snag.options.max_report_chars), answer


GIVEN_BACK = 1_500  # characters of a cut report's rest shown back to the person


def cut_notice(cleaned: CleanText, limit: int) -> tuple[str, ...]:
    """Say what was cut, and give the rest back: a slash command or a form keeps no copy of what
    was typed, so without it the words past the limit were lost."""
    if not cleaned.truncated_from:
        return ()
    rest = cleaned.rest.strip()
    shown = rest[:GIVEN_BACK]
    what = "The part I did not keep" if shown == rest else f"The part I did not keep begins ({len(rest):,} characters)"
    return (
        f"Your report was {cleaned.truncated_from:,} characters; I kept the first "
        f"{limit:,}. Send the rest as another report if it matters. {what}: “{shown}”",
    )


def add_report(snag: Snag, message: IncomingMessage, *, event_id: str | None) -> tuple[ReportRecord, bool]:
    """Commit the message's text as a report; a delivery seen before finds the first row."""
    person = message.person
    return snag.repository.add_report(
        person=person,
        reporter_key=snag.key_of(person),
        text=message.text,
        channel=message.channel,
        created_at=message.received_at or snag.clock(),
        event_id=event_id,
        frequency=message.frequency,
        customer_facing=message.customer_facing,
        shared=message.shared,
        message_id=message.message_id,
    )


def _keep_for_later(snag: Snag, message: IncomingMessage) -> Reply:
    """The database is down: keep the report in the outbox (replayed later), else apologise."""
    platform = message.person.platform
    if snag.outbox is None:
        snag.metrics.count("snag_reports_received_total", platform=platform)
        snag.metrics.count("snag_reports_failed_total", platform=platform, reason="error")
        error_id = uuid.uuid4().hex[:8]
        log.error("database unavailable and no outbox; error id %s", error_id)
        return cards.apology(error_id)
    if snag.outbox.put(replace(message, received_at=message.received_at or snag.clock())):
        snag.metrics.count("snag_reports_deferred_total", platform=platform)  # kept, not lost: received on replay
    else:  # that delivery waits there already: a platform's retry, or a write that ended past its deadline
        snag.metrics.count("snag_reports_duplicate_total", platform=platform)
    snag.metrics.set("snag_outbox_depth", snag.outbox.depth())
    snag.filed(message)
    return replace(cards.saved_for_later(), notices=cards.files_notice(message.files))


def keep_change(snag: Snag, message: IncomingMessage, change: Change) -> bool:
    """Keep a change to a report (its words in `message.text`, redacted) in the outbox, applied
    when it is replayed; False when there is no outbox to keep it in."""
    if snag.outbox is None:
        return False
    snag.outbox.put(replace(message, mentions=(), received_at=message.received_at or snag.clock()), change)
    snag.metrics.set("snag_outbox_depth", snag.outbox.depth())
    return True


def touched(message: IncomingMessage, change: Change | None) -> set[str]:
    """The person's messages (in `message.channel`) whose report an outbox entry files or changes."""
    ids = {message.message_id} if change is None or change.kind == "edit" else set()
    if change is not None:
        ids.add(change.under)
    return {i for i in ids if i}


def waits_in_outbox(snag: Snag, person: Person, channel: str, message_ids: set[str]) -> bool:
    """Whether the outbox holds, still to be filed or applied, this person's report from one of
    these messages of theirs, or a change to it: a change that comes after must wait behind it."""
    outbox = snag.outbox
    if outbox is None or not message_ids or outbox.depth() == 0:
        return False
    key = snag.key_of(person)
    for entry in outbox.pending():
        kept = entry.message
        if kept.channel == channel and touched(kept, entry.change) & message_ids and snag.key_of(kept.person) == key:
            return True
    return False


def keep_in_outbox(snag: Snag, message: IncomingMessage) -> Capture:
    """The report kept in the outbox as when the database refuses (an adapter's write that did not
    answer in time): read, redacted and answered alike; an apology with an id when the outbox's disk
    fails too."""
    try:
        text, _, answer = screen(snag, message.text)
        return Capture(reply=answer or _keep_for_later(snag, replace(message, text=text, mentions=())))
    except Exception as exc:
        error_id = uuid.uuid4().hex[:8]
        log.error(
            "a %s report could not be kept in the outbox (error id %s): %s",
            message.person.platform,
            error_id,
            where(exc),
        )
        return Capture(reply=cards.apology(error_id))


def receipt_for(snag: Snag, capture: Capture, record: ReportRecord) -> Reply:
    """Tag a newly stored (or still untagged) report and show what was understood. The report is
    stored whatever tagging meets: a failure (the database gone since the commit) still says its
    number, with the tags to follow (the recovery sweep tags it), so nobody sends it again."""
    notices = capture.notices
    try:
        tagged = snag.tag(record) if capture.created or record.tags is None else record
    except Exception as exc:
        log.warning("report %s is stored, tagging it failed (the sweep tags it later): %s", record.id, where(exc))
        tagged, notices = record, (*notices, cards.TAGS_TO_FOLLOW)
    return cards.receipt(tagged, snag.taxonomy, notices=notices, duplicate=not capture.created)


def tag(snag: Snag, record: ReportRecord) -> ReportRecord:
    """Classify and group a stored report; a failure leaves it stored and untagged.

    The first tags are claimed for the words they were worked out from: when an edit changed the
    words meanwhile, the new words are tagged instead (a few tries), so a report never keeps the
    tags and pattern of words it no longer has."""
    for _ in range(_TAG_TRIES):
        started = time.perf_counter()
        try:
            tags = honest(snag.classifier.classify(record.text), snag.options.confidence_threshold)
            snag.metrics.observe("snag_classify_seconds", time.perf_counter() - started)
        except Exception as exc:
            log.error("classifier failed on report %s, it stays untagged: %s", record.id, where(exc))
            return record
        stored, first = snag.repository.tag_new(report_id=record.id, tags=tags, text=record.text)
        if stored is None:  # taken back (erased) while it was being tagged
            return record
        if first:
            return _group(snag, stored)
        if stored.tags is not None:  # tagged meanwhile (a retry, another process): that tagger groups it
            return stored
        record = stored  # its words changed while they were classified: tag the new ones
    return record


_TAG_TRIES = 3


def _group(snag: Snag, record: ReportRecord) -> ReportRecord:
    if snag.grouper is not None:
        try:
            pattern_id = snag.grouper.assign(record)
            record = replace(record, pattern_id=pattern_id)
        except Exception as exc:
            log.error("grouping failed on report %s: %s", record.id, where(exc))
    return record


def honest(tags: Tags, threshold: float) -> Tags:
    """No stage below the confidence threshold: the reporter is asked instead."""
    score = tags.confidence.get(tags.stage, 1.0) if tags.stage is not None else 1.0
    if tags.stage_uncertain or score < threshold:
        return replace(tags, stage=None, stage_uncertain=True)
    return tags


def suggest(snag: Snag, text: str) -> Tags | None:
    """The tags a text would get, stored nowhere (to pre-fill a report form)."""
    cleaned = clean_report_text(text, limit=snag.options.max_report_chars)
    if cleaned.empty:
        return None
    try:
        tags = snag.classifier.classify(snag.redactor.redact(cleaned.text))
        return honest(tags, snag.options.confidence_threshold)
    except Exception as exc:
        log.error("classifier failed on a suggestion: %s", where(exc))
        return None


def tag_backlog(snag: Snag, *, settled: timedelta = timedelta(0)) -> int:
    """Tag reports stored but never tagged (a crash between store and classify, a classifier
    failure). With `settled`, only those stored at least that long ago: a report stored just now
    is being tagged by the process that stored it (under a burst, seconds later)."""
    done = 0
    before = snag.clock() - settled if settled else None
    for record in snag.repository.untagged_reports(before=before):
        if snag.tag(record).tags is not None:
            done += 1
    return done
