"""Ports: the capabilities the core needs, named for what they do.

Implementations live outside bot/: store/ (repository), classifier/ (classifier),
digests/ (grouping, digests), adapters/ (messengers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, TypeVar

from bot.domain import (
    Change,
    IncomingMessage,
    PatternSummary,
    Person,
    Reply,
    ReportRecord,
    Tags,
)

__all__ = [
    "Clock",
    "Classifier",
    "Grouper",
    "ReportRepository",
    "DigestService",
    "Outbox",
    "OutboxItem",
    "Messenger",
    "Filters",
]

Clock = Callable[[], datetime]
Learnt = TypeVar("Learnt")  # what a grouper learnt from someone's reports; only the grouper reads it


class Classifier(Protocol):
    def classify(self, text: str) -> Tags:
        """Tag one report's text."""


class Grouper(Protocol[Learnt]):
    def assign(self, report: ReportRecord) -> int | None:
        """Put a tagged report into an existing pattern or a new one; return its id."""

    def words_of(
        self, *, platform: str, tenant: str, reporter_key: str, report_ids: Sequence[int] | None = None
    ) -> Learnt | None:
        """What grouping learnt from one person's reports (only `report_ids`, when given), read
        before they are erased."""

    def forget(self, learnt: Learnt) -> None:
        """Once those reports are erased, drop what words_of read from grouping."""

    def reword(self, report: ReportRecord, old_text: str) -> None:
        """A report in a pattern now has other words (its reporter edited it): count its new words
        instead of `old_text`'s, and work its pattern's centroid and title out again."""


class Filters(Protocol):
    """What `top` asks for: a window and at most one team, stage and kind (read only)."""

    @property
    def since(self) -> datetime: ...

    @property
    def before(self) -> datetime | None:
        """The window's end, the cut (reports filed before it); None: up to now."""

    @property
    def team(self) -> str | None: ...

    @property
    def stage(self) -> str | None: ...

    @property
    def kind(self) -> str | None: ...


class ReportRepository(Protocol):
    """What the core asks of the database. Every call is scoped to one tenant."""

    def add_report(
        self,
        *,
        person: Person,
        reporter_key: str,
        text: str,
        channel: str,
        created_at: datetime,
        event_id: str | None = None,
        frequency: str | None = None,
        customer_facing: bool | None = None,
        shared: bool = False,
        message_id: str | None = None,
    ) -> tuple[ReportRecord, bool]:
        """Store a report; return it and whether it is new (False for a duplicate delivery);
        `shared` when it was filed where others see who wrote it; `message_id` names the person's
        own message it came from."""

    def set_tags(self, *, report_id: int, tags: Tags) -> ReportRecord: ...

    def tag_new(self, *, report_id: int, tags: Tags, text: str | None = None) -> tuple[ReportRecord | None, bool]:
        """A report's first tags; False when it was tagged meanwhile (it keeps those), None when erased."""

    def set_text(self, *, report_id: int, text: str, was: str) -> ReportRecord | None:
        """Replace a report's words if they are still `was`, else None (changed meanwhile); its
        tags stay until they are set again."""

    def find_by_message(
        self, *, person: Person, reporter_key: str, channel: str, message_id: str
    ) -> ReportRecord | None:
        """The report this person filed from their own message in `channel`, else None."""

    def get_report(self, *, person: Person, report_id: int) -> ReportRecord | None: ...

    def set_answers(
        self,
        *,
        report_id: int,
        frequency: str | None = None,
        customer_facing: bool | None = None,
        status: str | None = None,
    ) -> None: ...

    def add_correction(self, *, report_id: int, corrector_key: str, before: Tags | None, after: Tags) -> None: ...

    def list_reports(
        self,
        *,
        person: Person,
        reporter_key: str | None = None,
        words: Sequence[str] = (),
        since: datetime | None = None,
        pattern_id: int | None = None,
        limit: int = 10,
        before: datetime | None = None,
    ) -> list[ReportRecord]:
        """Newest first; each of `words` must start a word of the text ("refund" finds "refunds");
        with `before`, only reports filed before then."""

    def count_reports(
        self, *, person: Person, words: Sequence[str], since: datetime | None = None, pattern_id: int | None = None
    ) -> tuple[int, bool]:
        """How many reports list_reports finds with these words, unlimited; and whether there were
        too many to check them all (the count is then a floor)."""

    def search_counted(
        self, *, person: Person, words: Sequence[str], limit: int = 10, before: datetime | None = None
    ) -> tuple[list[ReportRecord], int, bool]:
        """list_reports(words=...) and count_reports(words=...) at once, reading the reports once;
        with `before`, of the reports filed before then."""

    def untagged_reports(self, *, limit: int = 500, before: datetime | None = None) -> list[ReportRecord]:
        """Reports never tagged, oldest first; with `before`, only those stored before then."""

    def ranked_patterns(
        self, *, person: Person, filters: Filters, k: int, limit: int = 10
    ) -> tuple[list[PatternSummary], tuple[int, int]]:
        """The `limit` most reported patterns in the window among those with at least k distinct
        reporters there; then the (reports, distinct reporters) of all the others, the "other" slice."""

    def get_pattern(self, *, person: Person, pattern_id: int, before: datetime | None = None) -> PatternSummary | None:
        """A pattern as it is; with `before` (the cut), as of then: its reports, reporters and last
        seen counted from the reports filed before it, None when none was."""

    def reporter_counts(
        self, *, person: Person, pattern_ids: Sequence[int], before: datetime | None = None
    ) -> dict[int, int]:
        """Distinct reporters of each of the caller's tenant's patterns among `pattern_ids`, all
        time; with `before`, among the reports filed before then."""

    def list_patterns(self, *, person: Person) -> list[PatternSummary]: ...

    def stats(self, *, person: Person, since: datetime, k: int, before: datetime | None = None) -> dict[str, object]:
        """Reports since `since` (and before `before`) per stage, kind and team as {label:
        (reports, distinct reporters)}, and under "other" each axis's labels with fewer than k
        reporters, counted together."""

    def erase_reporter(self, *, person: Person, reporter_key: str, report_ids: Sequence[int] | None = None) -> int:
        """Delete one person's reports (only `report_ids` of them, when given); returns how many."""

    def import_reports(
        self, *, person: Person, items: Sequence[tuple[str, datetime, str, str, Tags]]
    ) -> list[ReportRecord]: ...

    def imported_already(self, *, person: Person, event_keys: Sequence[str]) -> list[ReportRecord]: ...

    def apply_retention(self, *, older_than: datetime) -> int: ...


class DigestService(Protocol):
    def preview(self, *, person: Person, audience: str | None, now: datetime) -> Reply:
        """The digest this person's tenant would get now, without sending it."""


class OutboxItem(Protocol):
    """One report waiting in the outbox, or a change to a report (an addition, an edit), named by
    an id that sorts in arrival order."""

    @property
    def entry_id(self) -> str: ...

    @property
    def message(self) -> IncomingMessage: ...

    @property
    def change(self) -> Change | None:
        """None for a report; else what the message's words do to a stored report."""


class Outbox(Protocol):
    def put(self, message: IncomingMessage, change: Change | None = None) -> bool:
        """Keep a report (or, with `change`, a change to one) durably until the database takes it;
        False when the same delivery (its event id; for a change, with the same words) waits
        already, and nothing was written."""

    def pending(self) -> Iterator[OutboxItem]:
        """Kept reports and changes, oldest first."""

    def done(self, entry: OutboxItem) -> None:
        """Forget an entry the database has taken."""

    def depth(self) -> int: ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Held while an entry is filed or erased, across threads and processes."""

    def still_pending(self, entry: OutboxItem) -> bool:
        """Whether the entry is still waiting (an erasure may have taken it meanwhile)."""


class Messenger(Protocol):
    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        """Deliver a reply to a channel, chat or person outside any request."""
