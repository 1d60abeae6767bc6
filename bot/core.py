"""The capture flow and the commands, independent of any platform.

A report is stored first, then tagged, then grouped; the reply shows what was
understood and asks two optional questions.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot import cards
from bot.commands import ROLE_COMMANDS, Command, parse_command
from bot.domain import (
    ActionEvent,
    IncomingMessage,
    Person,
    Reply,
    ReportRecord,
    Role,
    Tags,
)
from bot.errors import SnagError, StoreUnavailable, UsageError
from bot.metrics import Metrics, NullMetrics
from bot.ports import Classifier, Clock, DigestService, Grouper, Outbox, OutboxItem, ReportRepository
from bot.queries import run_command
from bot.receipts import act
from bot.redact import Redactor, only_placeholders
from bot.roles import RolePolicy, reporter_key
from bot.taxonomy import Taxonomy
from bot.text import clean_report_text

__all__ = ["Snag", "CoreOptions", "Capture", "where"]

log = logging.getLogger("snag.core")


_ONLY_PERSONAL_DETAILS = (
    "That message held only personal details (an email address, a number, a link), which I never keep, "
    "so nothing was saved."
)


SHORTEST_REPORT = 12  # characters of a one-word message; the shortest shipped report has two words


def too_short(text: str) -> bool:
    """One word of a few Latin letters or symbols ("ok", "n", "!!!"). Other scripts are left alone:
    Chinese or Japanese write a whole sentence without spaces in a few characters."""
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in text):
        return False
    return len(text.split()) < 2 and len(text) < SHORTEST_REPORT


def not_theirs(message: IncomingMessage) -> bool:
    """A sentence starting with a command this person may not use: a report, not a slip."""
    words = message.text.split()
    needs = ROLE_COMMANDS.get(words[0].lower()) if len(words) > 1 else None
    if needs is None:
        return False
    role = message.person.role
    return role is Role.STAFF or (needs is Role.ADMIN and role is not Role.ADMIN)


def where(exc: BaseException) -> str:
    """The exception's type and the code locations it passed, never its message.

    Messages can quote what a person wrote; logs must not.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    trail = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    return f"{exc.__class__.__name__} at {trail or '?'}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True)
class CoreOptions:
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
        grouper: Grouper | None = None,
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
        self.extra_commands: dict[str, object] = {}
        # called with each message the outbox replay files (adapters keep how to reach its reporter)
        self.on_replayed: list[Callable[[IncomingMessage], None]] = []

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
        from bot.domain import Platform

        return Person(
            platform=Platform(platform),
            tenant=tenant,
            user=user,
            role=self.roles.role_of(platform, user, groups),
            tenant_name=tenant_name,
        )

    def key_of(self, person: Person) -> str:
        return reporter_key(self.options.reporter_secret, person.platform, person.tenant, person.user)

    # ---- entry points ----

    def handle_message(self, message: IncomingMessage) -> Reply:
        """A typed line: a command, or else a report. Never raises."""
        return self._guard(lambda: self._dispatch(message), message.person.platform)

    def file_report(self, message: IncomingMessage) -> Reply:
        """File the message's text as a report, whatever it says (shortcuts, reactions, modals)."""
        return self._guard(lambda: self._capture(message), message.person.platform)

    def handle_action(self, event: ActionEvent) -> Reply:
        """A button press or a submitted form on a receipt."""
        return self._guard(lambda: self._act(event), event.person.platform)

    def _guard(self, work, platform: str, what: str = "request") -> Reply:  # type: ignore[no-untyped-def]
        """Known errors as a kind reply, unknown ones as a logged id and an apology."""
        try:
            return work()
        except SnagError as exc:
            return cards.problem(exc)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:8]
            log.error("unexpected error %s for a %s %s: %s", error_id, platform, what, where(exc))
            return cards.apology(error_id)

    @staticmethod
    def read(message: IncomingMessage) -> Command:
        """What the message asks for: a command, or a report (raises UsageError for a slip)."""
        try:
            return parse_command(message.text)
        except UsageError:
            if not not_theirs(message):
                raise
            return Command("report", text=message.text)  # "status page down", from someone without `status`

    def _dispatch(self, message: IncomingMessage) -> Reply:
        command = self.read(message)
        if command.name == "report":
            return self._capture(replace(message, text=command.text))
        return self.run_command(message.person, replace(command, channel=message.channel))

    # ---- capture ----

    # The capture is split so an adapter can acknowledge the platform as soon as the
    # report is committed (store_report), and tag and reply afterwards (finish_report).

    def as_report(self, message: IncomingMessage) -> IncomingMessage | None:
        """The message as a report (without an explicit `report` word), or None for a command."""
        try:
            command = self.read(message)
        except SnagError:
            return None
        return replace(message, text=command.text) if command.name == "report" else None

    def store_report(self, message: IncomingMessage) -> Capture:
        """The fast half: clean, redact and commit (or keep in the outbox). Never raises."""
        stored: list[Capture] = []

        def work() -> Reply:
            stored.append(self._store(message))
            return stored[0].reply or cards.prompt_for_sentence()

        reply = self._guard(work, message.person.platform)
        return stored[0] if stored else Capture(reply=reply)

    def finish_report(self, capture: Capture) -> Reply:
        """The slow half: tag and group a stored report and build the receipt. Never raises."""
        if capture.reply is not None or capture.record is None:
            return capture.reply or cards.prompt_for_sentence()
        record = capture.record

        def work() -> Reply:
            tagged = self.tag(record) if capture.created or record.tags is None else record
            return cards.receipt(tagged, self.taxonomy, notices=capture.notices, duplicate=not capture.created)

        return self._guard(work, record.platform, "report")

    def _capture(self, message: IncomingMessage) -> Reply:
        return self.finish_report(self._store(message))

    def _store(self, message: IncomingMessage) -> Capture:
        cleaned = clean_report_text(message.text, limit=self.options.max_report_chars)
        if cleaned.empty:
            return Capture(reply=cards.prompt_for_sentence())
        if too_short(cleaned.text):  # "ok", "n", "thanks": nothing anyone could act on, so ask
            said = f"“{cleaned.text}” is a bit short to file; a few words on what got in the way are enough."
            return Capture(reply=replace(cards.prompt_for_sentence(), notices=(said,)))
        text = self.redactor.redact(cleaned.text)
        if text != cleaned.text and only_placeholders(text):
            return Capture(reply=replace(cards.prompt_for_sentence(), notices=(_ONLY_PERSONAL_DETAILS,)))
        person = message.person
        self.metrics.count("snag_reports_received_total", platform=person.platform)
        try:
            record, created = self.repository.add_report(
                person=person,
                reporter_key=self.key_of(person),
                text=text,
                channel=message.channel,
                created_at=message.received_at or self.clock(),
                event_id=message.event_id,
                frequency=message.frequency,
                customer_facing=message.customer_facing,
            )
        except StoreUnavailable:
            return Capture(reply=self._to_outbox(replace(message, text=text)))
        if created:
            self.metrics.count("snag_reports_stored_total", platform=person.platform)
        notices = ()
        if cleaned.truncated_from:
            notices = (
                f"Your report was {cleaned.truncated_from:,} characters; I kept the first "
                f"{self.options.max_report_chars:,}. Send the rest as another report if it matters.",
            )
        return Capture(record=record, created=created, notices=notices)

    def _to_outbox(self, message: IncomingMessage) -> Reply:
        platform = message.person.platform
        if self.outbox is None:
            self.metrics.count("snag_reports_failed_total", platform=platform, reason="error")
            error_id = uuid.uuid4().hex[:8]
            log.error("database unavailable and no outbox; error id %s", error_id)
            return cards.apology(error_id)
        self.outbox.put(replace(message, received_at=message.received_at or self.clock()))
        self.metrics.count("snag_reports_failed_total", platform=platform, reason="outbox")
        self.metrics.set("snag_outbox_depth", self.outbox.depth())
        return cards.saved_for_later()

    def tag(self, record: ReportRecord) -> ReportRecord:
        """Classify and group a stored report; a failure leaves it stored and untagged."""
        started = time.perf_counter()
        try:
            tags = self._honest(self.classifier.classify(record.text))
            self.metrics.observe("snag_classify_seconds", time.perf_counter() - started)
        except Exception as exc:
            log.error("classifier failed on report %s, it stays untagged: %s", record.id, where(exc))
            return record
        record = self.repository.set_tags(report_id=record.id, tags=tags)
        if self.grouper is not None:
            try:
                pattern_id = self.grouper.assign(record)
                record = replace(record, pattern_id=pattern_id)
            except Exception as exc:
                log.error("grouping failed on report %s: %s", record.id, where(exc))
        return record

    def replay_outbox(self) -> int:
        """File reports kept in the outbox, in order, exactly once; stop at the first outage."""
        if self.outbox is None:
            return 0
        filed = 0
        for entry in self.outbox.pending():
            try:
                with self.outbox.exclusive():  # an erasure waits, or has taken the entry already
                    if not self.outbox.still_pending(entry):
                        continue
                    record, created = self._file_kept(entry)
                    self.outbox.done(entry)
            except StoreUnavailable:
                break
            filed += 1
            if created:
                self._after_replay(record, entry.message)
        return filed

    def _after_replay(self, record: ReportRecord, message: IncomingMessage) -> None:
        """Tag a report filed from the outbox and run the hooks; a failure (an erasure meanwhile,
        say) is logged and never stops the rest of the outbox (the next sweep tags what is untagged)."""
        steps = [lambda: self.tag(record), *(lambda h=hook: h(message) for hook in self.on_replayed)]
        for step in steps:
            try:
                step()
            except Exception as exc:
                log.warning("after filing an outbox report: %s", where(exc))

    def _file_kept(self, entry: OutboxItem) -> tuple[ReportRecord, bool]:
        m = entry.message
        return self.repository.add_report(
            person=m.person,
            reporter_key=self.key_of(m.person),
            text=m.text,
            channel=m.channel,
            created_at=m.received_at or self.clock(),
            event_id=m.event_id or f"outbox:{entry.entry_id}",
            frequency=m.frequency,
            customer_facing=m.customer_facing,
        )

    def suggest(self, text: str) -> Tags | None:
        """The tags a text would get, stored nowhere (to pre-fill a report form)."""
        cleaned = clean_report_text(text, limit=self.options.max_report_chars)
        if cleaned.empty:
            return None
        try:
            return self._honest(self.classifier.classify(self.redactor.redact(cleaned.text)))
        except Exception as exc:
            log.error("classifier failed on a suggestion: %s", where(exc))
            return None

    def _honest(self, tags: Tags) -> Tags:
        """No stage below the confidence threshold: the reporter is asked instead."""
        score = tags.confidence.get(tags.stage, 1.0) if tags.stage is not None else 1.0
        if tags.stage_uncertain or score < self.options.confidence_threshold:
            return replace(tags, stage=None, stage_uncertain=True)
        return tags

    def tag_backlog(self) -> int:
        """Tag reports stored but never tagged (a crash between store and classify)."""
        done = 0
        for record in self.repository.untagged_reports():
            if self.tag(record).tags is not None:
                done += 1
        return done

    # ---- actions on a receipt ----

    def _act(self, event: ActionEvent) -> Reply:
        return act(self, event)

    # ---- commands ----

    def run_command(self, person: Person, command: Command) -> Reply:
        """Answer a query command (help, top, search, mine, pattern, stats, digest...)."""
        return run_command(self, person, command)

    # ---- privacy ----

    def erase(self, subject: Person) -> int:
        """Delete every report a person filed in their tenant (right to erasure)."""
        key = self.key_of(subject)
        grouper = self.grouper
        learnt = (
            grouper.words_of(platform=subject.platform, tenant=subject.tenant, reporter_key=key) if grouper else None
        )
        with self.outbox.exclusive() if self.outbox is not None else contextlib.nullcontext():
            # the outbox first: no replay can file one of these after the database is erased
            erased = self._erase_from_outbox(key)
            erased += self.repository.erase_reporter(person=subject, reporter_key=key)
        if grouper is not None and learnt is not None:  # only once the reports are gone, so never twice
            try:
                grouper.forget(learnt)
            except Exception as exc:
                log.error(
                    "erased %d report(s), but grouping still holds their words until a rebuild: %s", erased, where(exc)
                )
        return erased

    def _erase_from_outbox(self, key: str) -> int:
        """Drop the person's reports still waiting in the outbox, so no replay brings them back."""
        if self.outbox is None:
            return 0
        theirs = [entry for entry in self.outbox.pending() if self.key_of(entry.message.person) == key]
        for entry in theirs:
            self.outbox.done(entry)
        if theirs:
            self.metrics.set("snag_outbox_depth", self.outbox.depth())
        return len(theirs)

    def apply_retention(self, days: int) -> int:
        """Reduce reports older than `days` to their tags."""
        from datetime import timedelta

        return self.repository.apply_retention(older_than=self.clock() - timedelta(days=days))

    # ---- history ----

    def import_history(self, person: Person, rows, *, progress=None) -> list[ReportRecord]:  # type: ignore[no-untyped-def]
        """Tag and store history rows in one transaction, then group them into patterns."""
        texts = [self.redactor.redact(r.text) for r in rows]
        classify_many = getattr(self.classifier, "classify_many", None)
        tags = list(classify_many(texts)) if classify_many else [self.classifier.classify(t) for t in texts]
        now = self.clock()
        items = [
            (
                text,
                row.created_at or now,
                reporter_key(
                    self.options.reporter_secret, "import", person.tenant, row.reporter or f"row:{row.event_key}"
                ),
                row.event_key,
                tag,
            )
            for row, text, tag in zip(rows, texts, tags, strict=True)
        ]
        records = self.repository.import_reports(person=person, items=items)
        for record in records:
            if self.grouper is not None:
                try:
                    self.grouper.assign(record)
                except Exception as exc:
                    log.error("grouping failed on imported report %s: %s", record.id, where(exc))
            if progress:
                progress()
        return records
