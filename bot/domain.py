"""Platform-neutral values that cross between the core, the adapters and the ports.

Every string here is plain text: renderers escape it for their platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Platform",
    "Role",
    "Handoff",
    "Tags",
    "Person",
    "IncomingMessage",
    "Change",
    "ActionEvent",
    "ReportRecord",
    "PatternSummary",
    "Option",
    "Button",
    "Choice",
    "Section",
    "Form",
    "Reply",
    "FREQUENCIES",
    "SHARED_VIAS",
    "CHANGE_KINDS",
    "under_report",
    "report_under",
]

FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "monthly", "rarely")
# The ways of filing a message that others in the conversation can see (IncomingMessage.via).
SHARED_VIAS = frozenset({"mention", "reaction", "shortcut"})


# What a change kept in the outbox does (Change.kind).
CHANGE_KINDS = frozenset({"add", "edit", "edit_added"})


# What the retention policy leaves of a report's text. It is never a quote: nobody said it.
RETAINED_TEXT = "[text removed by the retention policy; tags kept]"


class Platform(StrEnum):
    CONSOLE = "console"
    SLACK = "slack"
    TEAMS = "teams"


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def sees_texts(self) -> bool:
        """Managers and admins may read individual report texts."""
        return self in (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Handoff:
    from_team: str | None
    to_team: str | None


@dataclass(frozen=True)
class Tags:
    """What the classifier (or a person) understood of a report."""

    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    handoff: Handoff | None = None
    confidence: Mapping[str, float] = field(default_factory=dict)
    source: str = "model"  # model | rule | person
    model_version: str | None = None
    stage_uncertain: bool = False

    def as_dict(self) -> dict:
        """The file-contract shape used by `snag classify`."""
        return {
            "stage": self.stage,
            "kinds": list(self.kinds),
            "teams": list(self.teams),
            "handoff": ({"from": self.handoff.from_team, "to": self.handoff.to_team} if self.handoff else None),
            "confidence": {k: round(float(v), 4) for k, v in self.confidence.items()},
        }


@dataclass(frozen=True)
class Person:
    """Who is speaking: platform ids as the adapter saw them, and their role."""

    platform: Platform
    tenant: str  # Slack team id, Teams tenant id, "local" for the console
    user: str
    role: Role = Role.STAFF
    tenant_name: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    person: Person
    text: str
    channel: str
    via: str = "message"  # message | slash | shortcut | reaction | mention | dm | modal
    event_id: str | None = None  # platform delivery id, for deduplication
    frequency: str | None = None
    customer_facing: bool | None = None
    received_at: datetime | None = None
    # Platform ids of the people the text @mentions (not Snag): the text itself only says "@someone",
    # so an admin's `erase @sam` is resolved from here.
    mentions: tuple[str, ...] = ()
    # The platform's id of the person's own message (Slack ts, Teams activity id) within `channel`:
    # an edit, a deletion or a thread reply of that message finds its report by it.
    message_id: str | None = None
    # How many photos or files came with the words: Snag keeps only words, and the receipt says so.
    files: int = 0

    @property
    def shared(self) -> bool:
        """Filed where others can see who wrote it: an @mention in a channel, a reaction or a
        shortcut on someone's message. Its words are never quoted to leaders, since a search of
        the channel would find the person."""
        return self.via in SHARED_VIAS


@dataclass(frozen=True)
class Change:
    """What a message kept in the outbox does to a stored report, instead of filing one of its own
    (the database was down): its words added to the report filed from the person's message `under`
    ("add": a reply under it), or made the report's new words ("edit": the message filed it; `under`,
    when the edited message is a reply, the message whose report it may have been added to; "edit_added":
    a reply added to the report filed from `under`). `before` is what it said before, redacted."""

    kind: str  # one of CHANGE_KINDS
    under: str | None = None
    before: str | None = None


_REPORT = "report:"


def under_report(report_id: int) -> str:
    """What a reply is under when it replied to the receipt of a report filed from no message of the
    person's (a form, a slash command, a shortcut): the report itself (`Change.under`, `Snag.add_to_report`)."""
    return f"{_REPORT}{report_id}"


def report_under(under: str) -> int | None:
    """The report `under_report` named; None for a message's id."""
    number = under.removeprefix(_REPORT)
    return int(number) if under.startswith(_REPORT) and number.isdigit() else None


@dataclass(frozen=True)
class ActionEvent:
    """A button press or form submission on a reply."""

    person: Person
    report_id: int
    name: str  # confirm | fix | frequency | customer_facing | pick_stage | correct
    value: str = ""
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportRecord:
    id: int
    tenant: str
    platform: str
    channel: str
    reporter_key: str
    text: str
    created_at: datetime
    tags: Tags | None
    status: str
    pattern_id: int | None = None
    frequency: str | None = None
    customer_facing: bool | None = None
    shared: bool = False  # filed where others see who wrote it, so never quoted to leaders


@dataclass(frozen=True)
class PatternSummary:
    id: int
    title: str
    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    status: str
    owner: str | None
    report_count: int
    reporter_count: int
    first_seen: datetime
    last_seen: datetime
    recent_count: int = 0
    # new again after a status was set (reported after it was resolved, or set back): see new_again
    again: bool = False
    merged_into: int | None = None  # a manager merged it into that pattern, which holds its reports


def new_again(status: str, status_changed_at: datetime | None) -> bool:
    """Whether a pattern is new again: its status was set once (resolved, say) and it is back to new,
    reopened by a later report (digests.grouper) or set back by a manager. Digests and `pattern <id>`
    say "received again"."""
    return status == "new" and status_changed_at is not None


# ---- replies: a small card model that every adapter can render ----


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Button:
    action: str
    label: str
    value: str = ""
    style: str | None = None  # primary | danger | None


@dataclass(frozen=True)
class Choice:
    """A question with fixed answers (buttons in chat, a choice set in cards)."""

    action: str
    label: str
    options: tuple[Option, ...]
    multi: bool = False
    selected: tuple[str, ...] = ()
    optional: bool = True


@dataclass(frozen=True)
class Section:
    text: str = ""
    heading: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Form:
    """A form to fill in (a Slack modal, an Adaptive Card with inputs)."""

    action: str
    title: str
    choices: tuple[Choice, ...]
    submit_label: str = "Save"
    text_field: str | None = None  # label of a free-text input, if any
    text_value: str = ""


@dataclass(frozen=True)
class Reply:
    kind: str  # receipt | text | list | usage | error | form | digest | saved
    title: str
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    choices: tuple[Choice, ...] = ()
    form: Form | None = None
    report_id: int | None = None
    notices: tuple[str, ...] = ()
    ephemeral: bool = True

    def plain_text(self) -> str:
        """A text-only rendering, for logs-free fallbacks and notifications."""
        parts = [self.title, *self.notices]
        for s in self.sections:
            if s.heading:
                parts.append(s.heading)
            if s.text:
                parts.append(s.text)
            parts.extend(f"{k}: {v}" for k, v in s.fields)
        return "\n".join(p for p in parts if p)
