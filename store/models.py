"""SQLModel tables. Every schema change goes through a migration in store/migrations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, event, inspect
from sqlmodel import Field, SQLModel

__all__ = [
    "Tenant",
    "ReportBase",
    "Report",
    "Correction",
    "Pattern",
    "DigestRun",
    "Subscription",
    "ConversationRef",
    "ProcessedEvent",
    "SlackInstallation",
    "Alert",
    "OutboxReplay",
    "PatternWeek",
    "TermCount",
    "OwedUpdate",
    "ReceiptMessage",
    "team_counts_of",
]


def utcnow() -> datetime:
    """Aware UTC; sqlmodel's UTCDateTime columns keep it aware on SQLite and PostgreSQL."""
    return datetime.now(UTC)


class Tenant(SQLModel, table=True):
    """A Slack workspace, a Teams tenant, or the local console."""

    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_tenant_platform_external"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow)


class ReportBase(SQLModel):
    platform: str = Field(max_length=16)
    channel: str = Field(default="", max_length=256)
    shared: bool = False  # filed where others see who wrote it (a channel @mention, reaction, shortcut)
    reporter_key: str = Field(max_length=64, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    stage: str | None = Field(default=None, max_length=40)
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    teams: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    handoff_from: str | None = Field(default=None, max_length=40)
    handoff_to: str | None = Field(default=None, max_length=40)
    confidence: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tag_source: str | None = Field(default=None, max_length=40)  # model | rule | person | person:<axes>
    model_version: str | None = Field(default=None, max_length=64)
    status: str = Field(default="new", max_length=16)  # new | tagged | confirmed | corrected
    frequency: str | None = Field(default=None, max_length=16)  # daily | weekly | monthly | rarely
    customer_facing: bool | None = None


class Report(ReportBase, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_key", name="uq_report_event"),
        Index("ix_reports_tenant_created_pattern", "tenant_id", "created_at", "pattern_id"),
        # By pattern, each with the third column a pattern's distinct reporters need (migration 0019).
        Index("ix_reports_pattern_reporter_created", "pattern_id", "reporter_key", "created_at"),
        Index("ix_reports_pattern_created_reporter", "pattern_id", "created_at", "reporter_key"),
        Index("ix_reports_tenant_message", "tenant_id", "message_id"),
        # SQLite: an erased report's number is never given to the next one (receipts carry it)
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    pattern_id: int | None = Field(default=None, foreign_key="patterns.id", index=True)
    event_key: str | None = Field(default=None, max_length=200)
    # The person's own message the report was filed from (Slack ts, Teams activity id, within
    # `channel`): editing or deleting it, or replying under it, finds the report.
    message_id: str | None = Field(default=None, max_length=200)
    tagged_at: datetime | None = None


class Correction(SQLModel, table=True):
    __tablename__ = "corrections"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    corrector_key: str = Field(max_length=64)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Pattern(SQLModel, table=True):
    """A recurring problem: reports about the same underlying cause."""

    __tablename__ = "patterns"
    __table_args__ = (
        Index("ix_patterns_tenant_status_changed", "tenant_id", "status_changed_at"),
        Index("ix_patterns_tenant_first_seen", "tenant_id", "first_seen"),
        Index("ix_patterns_tenant_owner", "tenant_id", "owner"),  # a team's digest reads the owners named
        # SQLite: a pattern a rebuild dropped never gives its number to a new one (`status <id>`, alerts)
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    title: str = Field(max_length=200)
    stage: str | None = Field(default=None, max_length=40)
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    teams: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="new", max_length=16)  # new | acknowledged | in_progress | resolved | wont_fix
    owner: str | None = Field(default=None, max_length=120)
    owner_set_at: datetime | None = None
    status_changed_at: datetime | None = None
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow, index=True)
    report_count: int = 0
    centroid: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    terms: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Of `terms`, how many reports each team is tagged on and how many grouping counted (team_counts_of):
    # a team's digest reads these few numbers where `terms` (a few kilobytes a pattern) cost a pass.
    team_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    # A manager merged this pattern into that one (digests.merging): its reports are all there, and
    # it is kept only so that its number, typed or in an old message, leads to where they went.
    merged_into: int | None = Field(default=None)


def team_counts_of(terms: Mapping[str, float] | None) -> dict[str, int] | None:
    """Pattern.team_counts as `terms` give it: team -> reports tagged with it ("xt:<team>"), and "_n"
    the reports grouping counted; None when no report of it names a team."""
    tagged = {key[3:]: int(n) for key, n in (terms or {}).items() if key.startswith("xt:")}
    return tagged | {"_n": int((terms or {}).get("_n", 0))} if tagged else None


@event.listens_for(Pattern, "before_insert")
def _count_teams(mapper: Any, connection: Any, target: Pattern) -> None:
    """A pattern row written through the ORM carries the team counts of the terms it is written with
    (a statement that writes `terms` itself writes team_counts too: digests.forgetting, digests.relabel)."""
    target.team_counts = team_counts_of(target.terms)


@event.listens_for(Pattern, "before_update")
def _count_teams_again(mapper: Any, connection: Any, target: Pattern) -> None:
    if inspect(target).attrs.terms.history.has_changes():
        target.team_counts = team_counts_of(target.terms)


class DigestRun(SQLModel, table=True):
    """One send of one audience's digest for one period; the unique key makes it exactly-once."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("tenant_id", "audience", "period", name="uq_digest_run"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    audience: str = Field(max_length=120)
    period: str = Field(max_length=32)  # e.g. 2026-W47
    status: str = Field(default="running", max_length=16)  # running | sent | failed | gave_up
    attempts: int = 1  # sends tried for this (audience, period); the claim counts them
    started_at: datetime = Field(default_factory=utcnow)  # of the latest attempt: its lease runs from here
    finished_at: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    pages_sent: int = 0  # messages of a long digest already posted: a retry posts only the rest


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "audience", "platform", "destination", name="uq_subscription"),
        # SQLite: a removed subscription's id is never given to the next one, which would take over its
        # digest runs and alerts (keyed by audience#id: digests.subscriptions.run_key)
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    audience: str = Field(default="all", max_length=120)  # all | team:X | stage:Y
    platform: str = Field(max_length=16)
    destination: str = Field(max_length=256)  # Slack channel id / Teams conversation id
    cron: str = Field(default="0 9 * * mon", max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    alerts: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ConversationRef(SQLModel, table=True):
    """Where to send proactive messages (Teams conversation references, Slack DM channels).

    A Teams `reference` holds only what sending needs (adapters/teams/references.py), and with
    SNAG_ENCRYPTION_KEY it is `{"sealed": <Fernet token>}` instead of the plain JSON.
    """

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("platform", "conversation_id", name="uq_conversation"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    platform: str = Field(max_length=16)
    conversation_id: str = Field(max_length=256)
    reporter_key: str | None = Field(default=None, max_length=64, index=True)
    reference: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    blocked: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(SQLModel, table=True):
    """Platform deliveries already handled (Slack event_id, Teams activity id)."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow)


class SlackInstallation(SQLModel, table=True):
    """A workspace's OAuth install; the bot token is stored encrypted, never in plain text."""

    __tablename__ = "slack_installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_slack_installation"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str = Field(default="", max_length=64)
    team_id: str = Field(default="", max_length=64)
    team_name: str | None = Field(default=None, max_length=256)
    bot_user_id: str | None = Field(default=None, max_length=64)
    bot_id: str | None = Field(default=None, max_length=64)
    bot_scopes: str = Field(default="", sa_column=Column(Text, nullable=False))
    bot_token_encrypted: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    installer_user_id: str | None = Field(default=None, max_length=64)
    is_enterprise_install: bool = False
    installed_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """One alert per pattern per audience per day: the unique key is the rate limit."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("pattern_id", "audience", "day", name="uq_alert_pattern_audience_day"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    pattern_id: int = Field(foreign_key="patterns.id")
    audience: str = Field(default="", max_length=120)  # the subscription's run key, as for digest runs
    day: str = Field(max_length=10)
    reason: str = Field(max_length=200)
    reports: int = 0  # the pattern's reports this week that the alert tells of: a later one is due only for more
    status: str = Field(default="sending", max_length=16)  # sending | sent | failed | gave_up
    sent_at: datetime = Field(default_factory=utcnow)  # when claimed, then when sent
    attempts: int = 1  # sends tried; the claim counts them
    last_try_at: datetime | None = None  # when the latest try began: the back-off runs from here


class OutboxReplay(SQLModel, table=True):
    """Outbox entries already filed, so a replay after a crash never files one twice."""

    __tablename__ = "outbox_replays"

    entry_id: str = Field(primary_key=True, max_length=64)
    report_id: int | None = Field(default=None, foreign_key="reports.id")
    replayed_at: datetime = Field(default_factory=utcnow)


class PatternWeek(SQLModel, table=True):
    """Reports per pattern per ISO week (Monday, UTC): the digest's history without rescanning reports."""

    __tablename__ = "pattern_weeks"
    __table_args__ = (
        UniqueConstraint("pattern_id", "week", name="uq_pattern_week"),
        Index("ix_pattern_weeks_tenant_week", "tenant_id", "week"),
        Index("ix_pattern_weeks_tenant_week_counts", "tenant_id", "week", "pattern_id", "reports"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    pattern_id: int = Field(foreign_key="patterns.id")
    week: str = Field(max_length=10)  # date of the Monday, e.g. 2026-11-16
    reports: int = 0


class TermCount(SQLModel, table=True):
    """How many of a tenant's reports hold each word ("w:...") and character gram ("c:..."), and
    how many reports were counted ("#"): grouping's weights for the organisation's own vocabulary."""

    __tablename__ = "term_counts"

    tenant_id: int = Field(foreign_key="tenants.id", primary_key=True)
    term: str = Field(primary_key=True, max_length=80)
    docs: int = 0


class OwedUpdate(SQLModel, table=True):
    """A reporter's update about a pattern's change that their platform did not take: tried again
    (digests.owed_updates) until it is. One per person and pattern: a later change replaces it, so
    they hear the pattern's newest state once. No foreign key to the pattern or the report: a
    rebuild drops patterns and erasure deletes reports, and a row whose either is gone is dropped."""

    __tablename__ = "owed_updates"
    __table_args__ = (
        UniqueConstraint("pattern_id", "platform", "reporter_key", name="uq_owed_update"),
        Index("ix_owed_updates_next_try", "next_try_at"),
        Index("ix_owed_updates_tenant_reporter", "tenant_id", "reporter_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    pattern_id: int
    platform: str = Field(max_length=16)
    reporter_key: str = Field(max_length=64)  # the keyed hash their reports carry
    report_id: int  # their newest report in the pattern when it changed: the update is about it
    reopened: bool = False  # the change was the pattern reported again after it was resolved
    attempts: int = 1  # sends tried; the first was the one that failed when the pattern changed
    next_try_at: datetime  # a retry claims the row by moving this on (from the value it read)
    created_at: datetime = Field(default_factory=utcnow)  # of the change owed: given up a day after
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReceiptMessage(SQLModel, table=True):
    """A report's receipt as Snag sent it to a Teams 1:1 chat, by the activity id the Bot Connector
    gave it: a quote-reply to that message (its replyToId) is added to the report, as a reply in a
    Slack report's thread is. Erased with the report."""

    __tablename__ = "receipt_messages"
    __table_args__ = (UniqueConstraint("tenant_id", "conversation_id", "activity_id", name="uq_receipt_message"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    conversation_id: str = Field(max_length=256)  # the 1:1 chat the receipt went to
    activity_id: str = Field(max_length=200)  # the receipt's id in that chat
    report_id: int = Field(foreign_key="reports.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
