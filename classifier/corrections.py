"""Training data = the shipped labelled reports + every correction people made in the bot."""

from __future__ import annotations

import logging
from typing import Any

from bot.config import Settings
from bot.errors import InputError
from bot.taxonomy import Taxonomy
from classifier.dataset import LabelledReport, load_reports, parse_report

__all__ = ["correction_reports", "training_reports"]

log = logging.getLogger("snag.classifier")


def correction_reports(engine: Any, taxonomy: Taxonomy) -> list[LabelledReport]:
    """The latest correction of each corrected report, as labelled reports."""
    from store.db import session_scope
    from store.privacy import RETAINED_TEXT
    from store.reports import latest_corrections

    with session_scope(engine) as session:
        rows = latest_corrections(session=session)
    out = []
    for report_id, text, after in rows:
        if not text.strip() or text == RETAINED_TEXT:
            continue
        row = {**after, "id": f"correction-{report_id}", "text": text}
        try:
            out.append(parse_report(row, taxonomy))
        except InputError as exc:  # the taxonomy changed since; skip what no longer fits
            log.info("correction of report %s skipped: %s", report_id, exc.message)
    return out


def training_reports(settings: Settings, taxonomy: Taxonomy) -> list[LabelledReport]:
    """Shipped data plus the database's corrections (none when the database is unreachable)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.errors import StoreUnavailable
    from store.db import make_engine, upgrade

    reports = load_reports(taxonomy)
    engine = make_engine(settings.resolved_database_url)
    try:
        if settings.is_embedded_db:
            upgrade(engine)
        reports += correction_reports(engine, taxonomy)
    except (StoreUnavailable, SQLAlchemyError) as exc:
        log.warning("no corrections read (%s); training on the shipped data only", exc)
    finally:
        engine.dispose()
    return reports
