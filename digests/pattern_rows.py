"""Between stored rows and the grouping engine: a report's grouping features, a pattern's row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.domain import ReportRecord
from bot.listings import quoted
from bot.taxonomy import Taxonomy
from digests.engine import TITLED, PatternState, ReportFeatures, features_of, said_in
from digests.titles import redacted_again, title_for
from store.models import Pattern, Report, team_counts_of
from store.privacy import RETAINED_TEXT

__all__ = [
    "Tables",
    "TITLED",
    "aware",
    "features_of_record",
    "features_of_report",
    "readable",
    "redact_titles",
    "write_pattern",
]

Tables = tuple[Callable[[str], float], Callable[[str], float]]  # the word and character idf a report is weighed by
# TITLED, in Pattern.terms: its title was made of words two or more people wrote (titles.title_words);
# a title made before may hold one person's sign-off, and is kept only where the texts that could
# tell are gone (see _previous_title).


def aware(dt: datetime) -> datetime:
    """A stored moment, aware: a naive one is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def readable(text: str, taxonomy: Taxonomy) -> str:
    """A report's words as a pattern's title may take them: as leaders read them quoted, a
    sign-off or "I'm <name>" as [name] (read with the running taxonomy), which no title shows."""
    return quoted(text, taxonomy) if text else text


def features_of_record(record: ReportRecord, idf: Tables, taxonomy: Taxonomy) -> ReportFeatures:
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
        reporter=record.reporter_key,
        read=readable(record.text, taxonomy),
    )


def features_of_report(report: Report, idf: Tables, taxonomy: Taxonomy) -> ReportFeatures:
    """Grouping features of a report row; one the retention policy reduced to its tags brings its
    tags and date, and no words (the placeholder left for its text is nobody's words)."""
    handoff = (report.handoff_from, report.handoff_to) if report.handoff_from or report.handoff_to else None
    text = "" if report.text == RETAINED_TEXT else report.text
    return features_of(
        text,
        stage=report.stage,
        kinds=report.kinds or (),
        teams=report.teams or (),
        handoff=handoff,
        created_at=aware(report.created_at),
        idf=idf,
        reporter=report.reporter_key,
        read=readable(text, taxonomy),
    )


def _previous_title(row: Pattern, state: PatternState) -> str | None:
    """The row's title, if a title with no word to show may keep it: made for the same stage, and
    under the rule that shows only words two people wrote (TITLED). One made before may show a
    word one person alone wrote, their sign-off too: it gives way to the words shared now, unless
    retention removed texts of the pattern (wordless), whose writers can no longer be told. Then
    it stays as before the upgrade (leaders saw it then), not "reports" for good."""
    if not row.title or row.stage != state.stage:
        return None
    terms = row.terms or {}
    return row.title if terms.get(TITLED) or (terms and state.wordless) else None


def _add_stored_writers(row: Pattern, state: PatternState, taxonomy: Taxonomy) -> None:
    """A pattern grouped before writers were noted learns them from its stored members once, the
    first time it is written since: their texts read as leaders may read them, and who wrote each.
    A report whose text retention removed tells nobody's words (its pattern's title: _previous_title).
    Read in the row's own session; a row apart from one (an erasure's, worked out again from its
    members later) waits for that."""
    session = Session.object_session(row)
    if row.id is None or not isinstance(session, Session):
        return
    members = session.exec(
        select(Report.text, Report.reporter_key).where(
            col(Report.pattern_id) == row.id, col(Report.text) != RETAINED_TEXT
        )
    ).all()
    state.add_writers((reporter, said_in(readable(text, taxonomy))) for text, reporter in members)


def write_pattern(row: Pattern, state: PatternState, taxonomy: Taxonomy, *, keep_title: bool = True) -> None:
    """Copy a pattern's grouping state onto its row (title, tags, counts, centroid terms).

    A pattern most of whose reports lost their texts to retention, or whose words left have none
    to show, keeps the row's title (see titles.title_for), unless keep_title is False: after an
    erasure, whose words the old title holds cannot be told."""
    if state.legacy:
        _add_stored_writers(row, state, taxonomy)
    stage = state.stage
    previous = _previous_title(row, state) if keep_title else None
    row.title = title_for(state, taxonomy.title(stage) if stage else None, previous=previous, redact=taxonomy.redact)
    row.stage, row.kinds, row.teams = stage, list(state.kinds), list(state.teams)
    row.report_count = state.n
    row.terms = state.to_terms() | {TITLED: 1.0}
    row.team_counts = team_counts_of(row.terms)
    if state.first_seen:
        row.first_seen = state.first_seen
    if state.last_seen:
        row.last_seen = state.last_seen


def redact_titles(*, session: Session, taxonomy: Taxonomy) -> int:
    """Redact every stored pattern title again with the taxonomy's patterns; how many changed.

    A title is redacted when it is written: one written before a pattern was added to the
    taxonomy still showed what it names, wherever titles are read (`pattern`, `top`, digests,
    alerts, the export). A title changed meanwhile by another process is left to it."""
    if not taxonomy.redact:  # what Snag hides of itself, it hid when the title was written
        return 0
    changed = 0
    for pid, title in session.exec(select(Pattern.id, Pattern.title)).all():
        hidden = redacted_again(title, taxonomy.redact)
        if hidden != title:
            same = (col(Pattern.id) == pid, col(Pattern.title) == title)
            session.execute(update(Pattern).where(*same).values(title=hidden))
            changed += 1
    return changed
