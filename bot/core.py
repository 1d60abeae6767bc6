"""The platform-neutral bot: what adapters call, whatever platform a message came from.

A report is stored first, then tagged, then grouped; the reply shows what was understood and
asks two optional questions. Each concept lives in its own module (bot.reading, bot.capture,
bot.replay, bot.receipts, bot.queries, bot.privacy, bot.history); Snag holds the collaborators
and turns every error into a reply.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot import capture as capturing
from bot import cards, editing, erasing, history, privacy, reading, replay
from bot.capture import Capture
from bot.commands import Command, Slip
from bot.domain import ActionEvent, IncomingMessage, Person, Platform, Reply, ReportRecord, Tags
from bot.errors import SnagError, UsageError
from bot.history import HistoryRow
from bot.logs import where
from bot.metrics import Metrics, NullMetrics
from bot.ports import Classifier, Clock, DigestService, Grouper, Outbox, ReportRepository
from bot.queries import CommandHandler, run_command
from bot.receipts import act
from bot.redact import Redactor
from bot.roles import RolePolicy, reporter_key
from bot.taxonomy import Taxonomy

__all__ = ["Snag", "CoreOptions", "Capture", "where"]

T = TypeVar("T")

UNFILED_KEPT = 10_000  # messages answered without a report, remembered for an edit that files them


def unfiled_key(message: IncomingMessage) -> tuple[str, str, str, str]:
    person = message.person
    return (person.platform, person.tenant, message.channel, message.message_id or "")


@dataclass(frozen=True)
class Unfiled:
    """A message answered without filing a report: when, and whether the answer was a did-you-mean."""

    at: datetime
    slip: bool = False  # "Did you mean `status`?": an edit of it into the command runs that, once


def _slipped(exc: UsageError) -> bool:
    """Whether the usage problem is a did-you-mean (reading answers it with the asker's own help,
    a TheirUsage raised from the Slip)."""
    return isinstance(exc, Slip) or isinstance(exc.__cause__, Slip)


log = logging.getLogger("snag.core")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CoreOptions:
    """The settings the core itself reads (the rest stay with the composition root)."""

    reporter_secret: str
    confidence_threshold: float = 0.3
    max_report_chars: int = 40_000
    anonymity_k: int = 3


class Snag:
    """The platform-neutral bot. Adapters translate into these calls and render the replies."""

    def __init__(
        self,
        *,
        taxonomy: Taxonomy,
        repository: ReportRepository,
        classifier: Classifier,
        options: CoreOptions,
        roles: RolePolicy | None = None,
        redactor: Redactor | None = None,
        grouper: Grouper[Any] | None = None,
        digests: DigestService | None = None,
        outbox: Outbox | None = None,
        clock: Clock = _utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.repository = repository
        self.classifier = classifier
        self.options = options
        self.roles = roles or RolePolicy()
        self._redactor = redactor  # a fixed one; else one built from the taxonomy's patterns
        self._redactor_for = None if redactor else (taxonomy, Redactor(taxonomy.redact))
        self.grouper = grouper
        self.digests = digests
        self.outbox = outbox
        self.clock = clock
        self.metrics: Metrics = metrics or NullMetrics()
        self.extra_commands: dict[str, CommandHandler] = {}
        # called with each message the outbox replay files (adapters keep how to reach its reporter)
        self.on_replayed: list[Callable[[IncomingMessage], None]] = []
        # reporter key -> (when `erase mine` asked them to confirm, their newest report's id then): bot.erasing
        self.asked_to_erase: dict[str, tuple[datetime, int]] = {}
        # Messages answered without filing a report (too short, a command): an edit of one into a
        # sentence files it, of a did-you-mean into the command runs it (bot.editing). Only these: a
        # message whose report was erased files nothing.
        self.unfiled: dict[tuple[str, str, str, str], Unfiled] = {}

    @property
    def redactor(self) -> Redactor:
        """The redactor given, else one for the current taxonomy's patterns (rebuilt after a reload)."""
        if self._redactor is not None:
            return self._redactor
        built = self._redactor_for
        if built is None or built[0] is not self.taxonomy:
            built = self._redactor_for = (self.taxonomy, Redactor(self.taxonomy.redact))
        return built[1]

    # ---- who is speaking ----

    def person(
        self, platform: str, tenant: str, user: str, groups: tuple[str, ...] = (), tenant_name: str | None = None
    ) -> Person:
        """Build a Person with the role the settings give them."""
        return Person(
            platform=Platform(platform),
            tenant=tenant,
            user=user,
            role=self.roles.role_of(platform, user, groups),
            tenant_name=tenant_name,
        )

    def key_of(self, person: Person) -> str:
        """The keyed hash a person's reports are stored under."""
        return reporter_key(self.options.reporter_secret, person.platform, person.tenant, person.user)

    # ---- entry points: each never raises ----

    def handle_message(self, message: IncomingMessage) -> Reply:
        """A typed line: a command, or else a report. Never raises."""
        slipped = False

        def answer() -> Reply:
            nonlocal slipped
            try:
                return self._dispatch(message)
            except UsageError as exc:
                slipped = _slipped(exc)
                raise

        reply = self._guard(answer, message.person.platform)
        if reply.report_id is None and reply.kind != "saved" and message.message_id:
            self._unfiled(message, slip=slipped)
        return reply

    def _unfiled(self, message: IncomingMessage, *, slip: bool = False) -> None:
        """Remember, for a week and UNFILED_KEPT messages at most, a message that filed nothing."""
        now = self.clock()
        if len(self.unfiled) >= UNFILED_KEPT:
            week_ago = now - timedelta(days=7)
            self.unfiled = {k: seen for k, seen in self.unfiled.items() if seen.at > week_ago}
            while len(self.unfiled) >= UNFILED_KEPT:
                self.unfiled.pop(next(iter(self.unfiled)))
        self.unfiled[unfiled_key(message)] = Unfiled(now, slip)

    def was_unfiled(self, message: IncomingMessage) -> bool:
        """Whether this process answered the message (`message.message_id`) without filing it."""
        return unfiled_key(message) in self.unfiled

    def filed(self, message: IncomingMessage) -> None:
        """The message filed a report now, or it waits in the outbox (an edit into a sentence filed
        it): an edit of it changes that report from now on, and never files another."""
        self.unfiled.pop(unfiled_key(message), None)

    def take_slip(self, message: IncomingMessage) -> bool:
        """Whether this process answered the message with a did-you-mean that no edit has taken yet;
        the first edit to ask takes it, so a platform's retry of that edit finds it taken."""
        key = unfiled_key(message)
        seen = self.unfiled.pop(key, None)  # one step: of two deliveries at once, only one takes it
        if seen is None:
            return False
        self.unfiled[key] = replace(seen, slip=False)  # still unfiled: an edit into a sentence files it
        return seen.slip

    def file_report(self, message: IncomingMessage) -> Reply:
        """File the message's text as a report, whatever it says (shortcuts, reactions, modals)."""
        return self._guard(lambda: self._capture(message), message.person.platform)

    def handle_action(self, event: ActionEvent) -> Reply:
        """A button press or a submitted form on a receipt."""
        return self._guard(lambda: act(self, event), event.person.platform)

    def edit_report(self, message: IncomingMessage, *, before: str | None = None) -> Reply | None:
        """The person edited the message a report was filed from (`message.message_id`): the report
        takes its new words and is tagged again. None when it filed no report of theirs or nothing
        changed. Never raises."""
        done = self.store_edit(message, before=before)
        return None if done is None else self.finish_edit(done)

    def store_edit(
        self, message: IncomingMessage, *, before: str | None = None, under: str | None = None
    ) -> editing.Edit | None:
        """edit_report's fast half: store the new words; `finish_edit` tags them. With the database
        down, new words that are a report are kept in the outbox and applied when it is replayed
        (`under`: the message the edited one replies to, whose report it may have been added to).
        Never raises."""
        return _as_edit(
            self._guard(lambda: editing.edit(self, message, before=before, under=under), message.person.platform)
        )

    def add_to_report(self, message: IncomingMessage, under: str) -> editing.Edit | None:
        """A reply under the message a report was filed from: its words added to that report at
        once, or a command for `finish_edit` to answer. None when `under` filed no report of
        theirs: file it as usual. With the database down, words that are a report's are kept in
        the outbox and added when it is replayed (filed as a report of their own if `under` filed
        none). Never raises."""
        return _as_edit(self._guard(lambda: editing.add_to(self, message, under), message.person.platform))

    def edit_added_reply(self, message: IncomingMessage, under: str, *, before: str) -> editing.Edit | None:
        """An edited reply that `add_to_report` added to the report filed from `under` (its words
        `before`): its part of the report takes the new words; `finish_edit` tags them. None when
        it added nothing there. With the database down, kept in the outbox as an edit is. Never raises."""
        return _as_edit(
            self._guard(lambda: editing.edit_added(self, message, under, before=before), message.person.platform)
        )

    def added_reply_deleted(self, message: IncomingMessage, under: str) -> Reply | None:
        """A deleted reply (`message` as it was) that `add_to_report` added to the report filed from
        `under`: what to tell them (its words stay). None when it added nothing. Never raises."""
        return self._guard(lambda: editing.added_deleted(self, message, under), message.person.platform)

    def finish_edit(self, done: editing.Edit) -> Reply:
        """The slow half of an edit or an addition: tag and regroup, or answer. Never raises; a
        failure after the words were stored still tells the person they were."""
        if done.query is not None:
            return self._guard(lambda: editing.finish(self, done), done.query.person.platform)
        try:
            editing.finish(self, done)
        except Exception as exc:
            log.error("tagging an edited report failed, it keeps its new words: %s", where(exc))
        return done.reply

    def report_deleted(self, person: Person, channel: str, message_id: str) -> Reply | None:
        """The person deleted the message a report was filed from: what to tell them. Never raises."""
        return self._guard(lambda: editing.deleted(self, person, channel, message_id), person.platform)

    def _guard(self, work: Callable[[], T], platform: str, what: str = "request") -> T | Reply:
        """The work's result; known errors as a kind reply, unknown ones as a logged id and an apology."""
        try:
            return work()
        except SnagError as exc:
            return cards.problem(exc, self.taxonomy)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:8]
            log.error("unexpected error %s for a %s %s: %s", error_id, platform, what, where(exc))
            return cards.apology(error_id)

    # ---- reading a message ----

    def read(self, message: IncomingMessage) -> Command:
        """What the message asks for (bot.reading); "yes" just after `erase mine` asked: the confirmation."""
        return erasing.confirmation(self, message, reading.read(message))

    def as_report(self, message: IncomingMessage) -> IncomingMessage | None:
        """The message as a report (without an explicit `report` word), or None for a command."""
        return reading.as_report(message)

    def _dispatch(self, message: IncomingMessage) -> Reply:
        command = self.read(message)
        if command.name == "report":
            return self._capture(replace(message, text=command.text))
        return self.run_command(message.person, replace(command, channel=message.channel))

    # ---- capture ----

    def store_report(self, message: IncomingMessage) -> Capture:
        """The fast half: clean, redact and commit (or keep in the outbox). Never raises."""
        stored = self._guard(lambda: capturing.store(self, message), message.person.platform)
        capture = Capture(reply=stored) if isinstance(stored, Reply) else stored
        if capture.record is None and capture.reply is not None and capture.reply.kind != "saved":
            if message.message_id:  # too short, or only personal details: an edit may file it
                self._unfiled(message)
        return capture

    def finish_report(self, capture: Capture) -> Reply:
        """The slow half: tag and group a stored report and build the receipt. Never raises."""
        record = capture.record
        if capture.reply is not None or record is None:
            return capture.reply or cards.prompt_for_sentence()
        return self._guard(lambda: capturing.receipt_for(self, capture, record), record.platform, "report")

    def _capture(self, message: IncomingMessage) -> Reply:
        return self.finish_report(capturing.store(self, message))

    def tag(self, record: ReportRecord) -> ReportRecord:
        """Classify and group a stored report; a failure leaves it stored and untagged."""
        return capturing.tag(self, record)

    def suggest(self, text: str) -> Tags | None:
        """The tags a text would get, stored nowhere (to pre-fill a report form)."""
        return capturing.suggest(self, text)

    def tag_backlog(self, *, settled: timedelta = timedelta(0)) -> int:
        """Tag reports stored but never tagged (a crash between store and classify); with
        `settled`, only those stored at least that long ago."""
        return capturing.tag_backlog(self, settled=settled)

    def replay_outbox(self) -> int:
        """File reports kept in the outbox, in order, exactly once; stop at the first outage."""
        return replay.replay_outbox(self)

    # ---- commands ----

    def run_command(self, person: Person, command: Command) -> Reply:
        """Answer a query command (help, top, search, mine, pattern, stats, digest...)."""
        return run_command(self, person, command)

    # ---- privacy and history ----

    def erase(self, subject: Person) -> int:
        """Delete every report a person filed in their tenant (right to erasure)."""
        return privacy.erase(self, subject)

    def apply_retention(self, days: int) -> int:
        """Reduce reports older than `days` to their tags."""
        return privacy.apply_retention(self, days)

    def import_history(
        self, person: Person, rows: Sequence[HistoryRow], *, progress: Callable[[], object] | None = None
    ) -> list[ReportRecord]:
        """Tag and store history rows in one transaction, then group them into patterns."""
        return history.import_history(self, person, rows, progress=progress)


def _as_edit(done: editing.Edit | Reply | None) -> editing.Edit | None:
    """The fast half of an edit, or the error it met as the reply to give."""
    return editing.Edit(done) if isinstance(done, Reply) else done
