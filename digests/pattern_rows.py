"""Between stored rows and the grouping engine: a report's grouping features, a pattern's row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.domain import ReportRecord
from bot.taxonomy import Taxonomy
from digests.engine import PatternState, ReportFeatures, features_of
from digests.titles import title_for
from store.models import Pattern, Report

__all__ = ["Tables", "aware", "features_of_record", "features_of_report", "write_pattern"]

Tables = tuple[Callable[[str], float], Callable[[str], float]]  # the word and character idf a report is weighed by


def aware(dt: datetime) -> datetime:
    """A stored moment, aware: a naive one is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def features_of_record(record: ReportRecord, idf: Tables) -> ReportFeatures:
    """Grouping features of a stored report as the core sees it."""
    tags = record.tags
    handoff = (tags.handoff.from_team, tags.handoff.to_team) if tags and tags.handoff else None
    return features_of(
        record.text,
        stage=tags.stage if tags else None,
        kinds=tags.kinds if tags else (),
        teams=tags.teams if tags else (),
        handoff=handoff,
        created_at=record.created_at,
        idf=idf,
    )


def features_of_report(report: Report, idf: Tables) -> ReportFeatures:
    """Grouping features of a report row."""
    handoff = (report.handoff_from, report.handoff_to) if report.handoff_from or report.handoff_to else None
    return features_of(
        report.text,
        stage=report.stage,
        kinds=report.kinds or (),
        teams=report.teams or (),
        handoff=handoff,
        created_at=aware(report.created_at),
        idf=idf,
    )


def write_pattern(row: Pattern, state: PatternState, taxonomy: Taxonomy) -> None:
    """Copy a pattern's grouping state onto its row (title, tags, counts, centroid terms)."""
    stage = state.stage
    row.title = title_for(state, taxonomy.title(stage) if stage else None)
    row.stage, row.kinds, row.teams = stage, list(state.kinds), list(state.teams)
    row.report_count = state.n
    row.terms = state.to_terms()
    if state.first_seen:
        row.first_seen = state.first_seen
    if state.last_seen:
        row.last_seen = state.last_seen
