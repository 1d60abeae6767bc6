"""A filed report follows the message it came from: the person edits it, deletes it, or replies
under it (a Slack thread).

A report is what the person said, so when they fix a typo or add the dock number, the stored
report takes the new words (redacted and tagged as any report is) and they are told so. Tags the
person set or confirmed are theirs and stay; the model's are worked out again. Deleting the
message does not erase the report by itself (a deletion may be tidying up, and erasing cannot be
undone): the person is told it is still stored and how to erase it.

An edit of a message that filed nothing (too short, not understood) whose new words are a report
files it, as if sent now: the person fixed what they were told was wrong, and must not believe
it filed when it did not. So is one answered "Did you mean `status`?" edited into the command: it
runs, once. Any other edit into a command or small talk is left alone (they were answered when
they sent it; Teams never says what a message said before, so neither platform answers again).
The platform says where that may happen (`Edit.report`): Snag must have been addressed, and a
reply under another message may have been added to a report already.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot import cards
from bot.capture import cut_notice, honest, keep_change, screen, touched, waits_in_outbox
from bot.commands import Command, asks_to_file
from bot.corrections import AXES, answered_axes, person_source
from bot.domain import RETAINED_TEXT, Change, IncomingMessage, Person, Reply, ReportRecord, Tags, report_under
from bot.errors import SnagError, StoreUnavailable
from bot.logs import where
from bot.own_words import ALSO, own_before
from bot.text import clean_report_text, snippet

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = [
    "Edit",
    "edit",
    "deleted",
    "add_to",
    "edit_added",
    "added_deleted",
    "apply_kept",
    "finish",
    "follow",
    "ALSO",
]

log = logging.getLogger("snag.core")


@dataclass(frozen=True)
class Edit:
    """What an edit, or a reply under a report, did at once, and the slow rest for `finish`.

    The new words are stored at once (fast, like a new report's commit); tagging them again and
    regrouping (`changed`), or answering a reply that reads as a command or running the command a
    did-you-mean was edited into (`query`), can wait until the platform has its answer.
    """

    reply: Reply
    changed: ReportRecord | None = None  # the report as stored with its new words
    old_text: str = ""
    query: IncomingMessage | None = None
    person: Person | None = None  # whose report it is (to read it again)
    # An edit of a message that filed nothing, its words now a report: file this as if sent now
    # (its event id keeps a platform's retry to one report). `query` answers it when finished as is;
    # a platform that does not file it there (Snag not addressed) says nothing at all.
    report: IncomingMessage | None = None


def finish(snag: Snag, done: Edit) -> Reply:
    """The slow half: tag and regroup the report whose words changed, or answer the command."""
    if done.query is not None:
        return snag.handle_message(done.query)
    if done.changed is not None and done.person is not None:
        follow(snag, done.person, done.changed, done.old_text)
    return done.reply


def follow(snag: Snag, person: Person, changed: ReportRecord, old_text: str) -> None:
    """Bring tags and pattern up to the words `changed` has, read again first: other edits, a
    reply or the person's own answer may have come since (the platform had its answer already).

    - never tagged when its words changed: its first tagging claims the words as they are then,
      so only a report still untagged is tagged here;
    - tagged: grouping learnt the words before, so it takes these words instead (term counts
      move by +1/-1, in any order, so edits finishing out of order add up); the tags are worked
      out again only from the newest words, keeping the axes the person set as they are now.
    """
    fresh = snag.repository.get_report(person=person, report_id=changed.id)
    if fresh is None:  # taken back meanwhile
        return
    if changed.tags is None:
        if fresh.tags is None:
            snag.tag(fresh)
        return
    newest = fresh.text == changed.text
    if newest:
        fresh = _retag(snag, fresh)
    _regroup(snag, replace(fresh, text=changed.text), old_text, assign=newest)


def _filed(snag: Snag, person: Person, channel: str, message_id: str | None) -> ReportRecord | None:
    """The report this person filed from that message of theirs; None for anything else (a
    command, small talk, someone else's message, a text the retention policy already removed)."""
    record = _from_message(snag, person, channel, message_id)
    return None if record is None or record.text == RETAINED_TEXT else record


def _from_message(snag: Snag, person: Person, channel: str, message_id: str | None) -> ReportRecord | None:
    """The report this person filed from that message of theirs, its text removed or not; or the
    report itself, named by `under_report` (filed from no message of theirs), when it is theirs."""
    if not message_id:
        return None
    if (report_id := report_under(message_id)) is not None:
        record = snag.repository.get_report(person=person, report_id=report_id)
        ours = record is not None and record.reporter_key == snag.key_of(person) and record.channel == channel
        return record if ours else None
    return snag.repository.find_by_message(
        person=person, reporter_key=snag.key_of(person), channel=channel, message_id=message_id
    )


def _read(snag: Snag, message: IncomingMessage) -> Command | None:
    """What the message asks for now, or None for a slip of a command ("top blah")."""
    try:
        return snag.read(message)
    except SnagError:
        return None


def _as_report(command: Command | None) -> str | None:
    """The words the message files, or None when it reads as a command, an aside or a slip."""
    return command.text if command is not None and command.name == "report" else None


@dataclass(frozen=True)
class _Words:
    """A message's words read as new words for a stored report: `text` redacted when they are a
    report's, else the `answer` they get (too short, only personal details), or neither (a command,
    an aside)."""

    said: str
    text: str | None = None
    notices: tuple[str, ...] = ()
    answer: Reply | None = None


def _words(snag: Snag, said: str, command: Command | None) -> _Words:
    """What a message (`said`, read as `command`) gives a stored report. Reads no database."""
    report = _as_report(command)
    if report is None:
        return _Words(said)
    text, notices, answer = screen(snag, report)
    return _Words(said, None if answer is not None else text, notices, answer)


def edit(snag: Snag, message: IncomingMessage, *, before: str | None = None, under: str | None = None) -> Edit | None:
    """The person edited the message (`message.message_id`) a report was filed from: its new words
    are stored; `finish` tags them. A message that filed no report, whose new words are one: an
    Edit whose `report` the platform files as a new message (where Snag was addressed).

    `before` is the message's previous text when the platform says it (Slack): what a reply
    under the report added after it stays. None when the message filed no report of theirs and
    its words are no report (a command, small talk), when a report it filed no longer has its
    words (retention), or when its words did not change (Slack says "changed" for a link preview
    or a thread reply too).

    New words that are a report's, with the database down or the report (or a change to it) still
    waiting in the outbox, are kept there, after it, and applied when it is replayed (`apply_kept`).
    """
    command = _read(snag, message)
    words = _words(snag, message.text, command)
    was = screen(snag, before)[0] if before is not None else None
    change = Change("edit", under=under, before=was)
    differs = words.text is not None and words.text != was  # Slack says "changed" for a link preview too
    if differs and _behind(snag, message, change):
        return _keep(snag, message, words.text or "", change)
    try:
        return _edit_stored(snag, message, words, was, command=command)
    except StoreUnavailable:
        if snag.was_unfiled(message):  # it filed nothing: read as when the database answers
            return _anew(snag, message, command)
        if words.text is not None and not differs:
            return None
        if words.text is None or (kept := _keep(snag, message, words.text, change)) is None:
            raise
        return kept


def _edit_stored(
    snag: Snag, message: IncomingMessage, words: _Words, was: str | None, *, command: Command | None, anew: bool = True
) -> Edit | None:
    """`edit` in the database: the report the message filed takes its new words; without one, a
    message that filed nothing files them (`_anew`, unless `anew` is False)."""
    for attempt in range(_TRIES):
        found = _from_message(snag, message.person, message.channel, message.message_id)
        if found is None:  # on a retry: taken back while the edit was saved, and not filed again
            return _anew(snag, message, command) if anew and attempt == 0 else None
        if found.text == RETAINED_TEXT:
            return None
        record = found
        if words.text is None:
            return Edit(_kept(record, words.said, words.answer))
        new = words.text + _added_under(record, was)
        if new == record.text:
            return None
        changed = snag.repository.set_text(report_id=record.id, text=new, was=record.text)
        if changed is not None:  # else a reply under it came meanwhile: read it again
            updated = replace(cards.thanks(record.id, f"Updated report #{record.id}."), notices=words.notices)
            return Edit(updated, changed, record.text, person=message.person)
    raise SnagError("That report kept changing while I saved your edit. Please edit it again.")


def _anew(snag: Snag, message: IncomingMessage, command: Command | None) -> Edit | None:
    """An edit of a message that filed nothing: its new words to file, as if sent now, or the
    command they are to run when Snag answered the message with a did-you-mean (Snag.take_slip);
    None for small talk and any other command (answered when sent, left alone now), and when this
    process did not answer the message without filing it (Snag.was_unfiled): the report of an
    erased message is not filed again by an edit of it, nor is a message Snag never read.

    Words too short, or only personal details, are a report's words still: filing them answers
    as it did when the message was sent."""
    if command is None or command.name == "not_report" or not message.message_id:
        return None
    slip = snag.take_slip(message)  # its first edit into a command or a report takes the did-you-mean
    if command.name != "report":
        return Edit(cards.prompt_for_sentence(), query=message) if slip else None
    if not snag.was_unfiled(message):
        return None
    return Edit(cards.prompt_for_sentence(), query=message, report=replace(message, text=command.text))


def _added_under(record: ReportRecord, was: str | None) -> str:
    """What replies under the report added to its words after the message's own (`was`, as
    stored), kept through an edit of the message."""
    if was is None:
        return ""
    rest = record.text[len(was) :] if was and record.text.startswith(was) else ""
    return rest if rest.startswith(ALSO) else ""


def _behind(snag: Snag, message: IncomingMessage, change: Change) -> bool:
    """Whether the report this change is to, or an earlier change to it, waits in the outbox: the
    change waits behind it, so that they are applied in order."""
    return waits_in_outbox(snag, message.person, message.channel, touched(message, change))


def _keep(snag: Snag, message: IncomingMessage, words: str, change: Change) -> Edit | None:
    """Keep the change (its redacted `words`) in the outbox and say so; None without an outbox."""
    if not keep_change(snag, replace(message, text=words), change):
        return None
    return Edit(cards.reply_saved_for_later() if change.kind == "add" else cards.edit_saved_for_later())


def apply_kept(snag: Snag, message: IncomingMessage, change: Change) -> Edit | None:
    """A change kept in the outbox (`message.text`: its words, redacted), applied now that the
    database answers, as it would have been then: an Edit whose `changed` report `finish` tags; for
    an addition whose message filed no report (erased, or never one), an Edit whose `report` to
    file as a report of its own, as the reply would have been; None when there is nothing left
    to change (a report erased or reduced by retention, an edit applied already)."""
    words = _Words(message.text, message.text)
    if change.kind == "add" and change.under:
        record = _filed(snag, message.person, message.channel, change.under)
        done = _add(snag, message, change.under, record, words) if record is not None else None
        return done or Edit(cards.saved_for_later(), report=message)
    if change.kind == "edit":  # Teams never says what a message said: its part of the report as it is now
        was = change.before if change.before is not None else own_before(snag, message)
        done = _edit_stored(snag, message, words, was, command=None, anew=False)
        if done is not None or not change.under or change.before is None:
            return done
        change = Change("edit_added", under=change.under, before=change.before)  # a reply's: its part
    if change.kind == "edit_added" and change.under and change.before is not None:
        return _edit_added_stored(snag, message, change.under, change.before, words)
    return None


def _kept(record: ReportRecord, said: str, answer: Reply | None) -> Reply:
    """The new words are no report (too short, a command, only personal details): nothing changes."""
    shown = snippet(said, 80)
    why: tuple[str, ...] = (f"“{shown}” doesn't read as a report.",) if shown else ("The message has no words now.",)
    if answer is not None and answer.notices:
        why = answer.notices
    return Reply(
        kind="text",
        title=f"Report #{record.id} keeps your earlier words.",
        notices=(*why, f"To remove the report, type `erase {record.id}`."),
        report_id=record.id,
    )


def deleted(snag: Snag, person: Person, channel: str, message_id: str) -> Reply | None:
    """The person deleted the message a report was filed from: say it is still stored, and how to
    erase it. None when the message filed no report of theirs."""
    record = _filed(snag, person, channel, message_id)
    if record is None:
        return None
    return Reply(
        kind="text",
        title=f"You deleted the message I filed as report #{record.id}. It is still stored: "
        f"type `erase {record.id}` to remove it too.",
        report_id=record.id,
    )


def add_to(snag: Snag, message: IncomingMessage, under: str) -> Edit | None:
    """A reply under the message a report was filed from (`under`): its words are added to that
    report (stored at once; `finish` tags them), unless it reads as a command or an aside, which
    `finish` answers as one. None when `under` filed no report of theirs, or the reply asks to file
    a report of its own (`report <text>`).

    Words that are a report's, with the database down or the report (or a change to it) still
    waiting in the outbox, are kept there and added when it is replayed (`apply_kept`)."""
    if asks_to_file(message.text):
        return None
    words = _words(snag, message.text, _read(snag, message))
    change = Change("add", under=under)
    if words.text is not None and _behind(snag, message, change):
        return _keep(snag, message, words.text, change)
    try:
        record = _filed(snag, message.person, message.channel, under)
        if record is None:
            return None
        if words.text is None:
            return Edit(words.answer) if words.answer is not None else Edit(cards.prompt_for_sentence(), query=message)
        return _add(snag, message, under, record, words)
    except StoreUnavailable:
        if words.answer is not None:  # too short to add, whichever report it is under
            return Edit(words.answer)
        if words.text is None or (kept := _keep(snag, message, words.text, change)) is None:
            raise
        return kept


def _add(snag: Snag, message: IncomingMessage, under: str, record: ReportRecord, words: _Words) -> Edit | None:
    """`add_to` in the database: the report filed from `under` (`record`) takes the reply's words
    after its own; None when it is gone meanwhile."""
    text = words.text or ""
    added = cards.thanks(record.id, f"Added to report #{record.id}.")
    for _ in range(_TRIES):
        if record.text.endswith(ALSO + text):  # Slack delivered the reply again: added already
            return Edit(added)
        joined = clean_report_text(record.text + ALSO + text, limit=snag.options.max_report_chars)
        new, cut = joined.text, cut_notice(joined, snag.options.max_report_chars)  # both parts redacted already
        changed = snag.repository.set_text(report_id=record.id, text=new, was=record.text)
        if changed is not None:
            return Edit(replace(added, notices=words.notices + cut), changed, record.text, person=message.person)
        again = _filed(snag, message.person, message.channel, under)  # another reply came meanwhile
        if again is None:
            return None
        record = again
    raise SnagError("That report kept changing while I added your reply. Please send it again.")


def edit_added(snag: Snag, message: IncomingMessage, under: str, *, before: str) -> Edit | None:
    """The person edited a reply (`message`, its words `before` the edit) that `add_to` added to
    the report filed from `under`: its part of the report's words takes the new ones, and `finish`
    tags them, as for an edit of the report's own message. New words that are no report keep the
    old ones. None when the reply added nothing to that report (a command, a report of its own).
    With the database down, or the report waiting in the outbox, new words that are a report's
    are kept there and applied when it is replayed."""
    old = _added_words(snag, replace(message, text=before))
    if old is None:
        return None
    words = _words(snag, message.text, _read(snag, message))
    change = Change("edit_added", under=under, before=old)
    if words.text == old:  # the same words: nothing to change
        return None
    if words.text is not None and _behind(snag, message, change):
        return _keep(snag, message, words.text, change)
    try:
        return _edit_added_stored(snag, message, under, old, words)
    except StoreUnavailable:
        if words.text is None or (kept := _keep(snag, message, words.text, change)) is None:
            raise
        return kept


def _edit_added_stored(snag: Snag, message: IncomingMessage, under: str, old: str, words: _Words) -> Edit | None:
    """`edit_added` in the database: the reply's part (`old`) of the report filed from `under`
    takes its new words."""
    record = _filed(snag, message.person, message.channel, under)
    if record is None or _added_at(record.text, old) is None:
        return None
    if words.text is None:
        return Edit(_kept(record, words.said, words.answer))
    for _ in range(_TRIES):
        at = _added_at(record.text, old)
        if at is None:  # another edit of it came meanwhile
            return None
        joined = clean_report_text(
            record.text[:at] + ALSO + words.text + record.text[at + len(ALSO + old) :],
            limit=snag.options.max_report_chars,
        )
        if joined.text == record.text:
            return None
        changed = snag.repository.set_text(report_id=record.id, text=joined.text, was=record.text)
        if changed is not None:
            updated = cards.thanks(record.id, f"Updated report #{record.id}.")
            cut = cut_notice(joined, snag.options.max_report_chars)
            return Edit(replace(updated, notices=words.notices + cut), changed, record.text, person=message.person)
        again = _filed(snag, message.person, message.channel, under)  # another reply came meanwhile
        if again is None:
            return None
        record = again
    raise SnagError("That report kept changing while I saved your edit. Please edit it again.")


def added_deleted(snag: Snag, message: IncomingMessage, under: str) -> Reply | None:
    """The person deleted a reply (`message`, as it was) that `add_to` added to the report filed
    from `under`: as for the report's own message (`deleted`), its words stay, and the person is
    told so and how to erase the report. None when the reply added nothing to that report."""
    record = _filed(snag, message.person, message.channel, under)
    old = _added_words(snag, message)
    if record is None or old is None or _added_at(record.text, old) is None:
        return None
    return Reply(
        kind="text",
        title=f"You deleted a reply I added to report #{record.id}. Its words are still in the report: "
        f"type `erase {record.id}` to remove the whole report.",
        report_id=record.id,
    )


def _added_words(snag: Snag, message: IncomingMessage) -> str | None:
    """The words `add_to` adds for a reply saying `message.text`; None when it adds none."""
    said = _as_report(_read(snag, message))
    if said is None or asks_to_file(message.text):
        return None
    text, _, answer = screen(snag, said)
    return None if answer is not None else text


def _added_at(text: str, added: str) -> int | None:
    """Where a reply's words were joined to a report's (`ALSO` + them, ending the text or followed
    by the next reply's); the last place, where one reply said the same as another."""
    part = ALSO + added
    at = text.rfind(part)
    while at >= 0 and not (at + len(part) == len(text) or text.startswith(ALSO, at + len(part))):
        at = text.rfind(part, 0, at)
    return at if at >= 0 else None


_TRIES = 3  # edits and replies racing for one report's words: read again and retry


def _retag(snag: Snag, record: ReportRecord) -> ReportRecord:
    """Tag a report again after its words changed, keeping the tags its reporter set or confirmed."""
    theirs = _their_axes(record)
    if set(theirs) == set(AXES) or record.tags is None:
        return record
    try:
        fresh = honest(snag.classifier.classify(record.text), snag.options.confidence_threshold)
    except Exception as exc:
        log.error("classifier failed on edited report %s, it keeps its tags: %s", record.id, where(exc))
        return record
    return snag.repository.set_tags(report_id=record.id, tags=_with_theirs(fresh, record.tags, theirs))


def _their_axes(record: ReportRecord) -> tuple[str, ...]:
    """The axes whose tags the person set (fix tags, a question) or agreed with (Looks right)."""
    tags = record.tags
    if tags is None:
        return ()
    if record.status == "confirmed":  # as bot.receipts.confirm counts it: an empty stage was a question
        return AXES if tags.stage is not None else AXES[1:]
    return answered_axes(tags.source)


def _with_theirs(fresh: Tags, old: Tags, theirs: tuple[str, ...]) -> Tags:
    """The new tags, with the person's own on the axes they set."""
    if not theirs:
        return fresh
    return replace(
        fresh,
        stage=old.stage if "stage" in theirs else fresh.stage,
        kinds=old.kinds if "kinds" in theirs else fresh.kinds,
        teams=old.teams if "teams" in theirs else fresh.teams,
        handoff=old.handoff if "handoff" in theirs else fresh.handoff,
        source=person_source(theirs),
        stage_uncertain=fresh.stage_uncertain and "stage" not in theirs,
    )


def _regroup(snag: Snag, record: ReportRecord, old_text: str, *, assign: bool) -> None:
    """A report in a pattern stays there, the pattern worked out again from its words as they are
    now (`record.text`, the edit's words, replacing `old_text` in what grouping learnt); one that
    never joined a pattern (grouping failed) joins one now, with `assign` (its newest words only)."""
    grouper = snag.grouper
    if grouper is None:
        return
    try:
        if record.pattern_id is None:
            if assign:
                grouper.assign(record)
            return
        grouper.reword(record, old_text)
    except Exception as exc:
        log.error("regrouping failed on edited report %s: %s", record.id, where(exc))
