"""Training data = the shipped labelled reports + every answer people gave in the bot.

Both are labelled per axis (stage, kinds, teams, handoff), and an axis is only learnt from a
report that says something true about it in the current taxonomy:

- a person's correction or confirmation teaches the axes they set (`bot.corrections`);
- a shipped report (labelled in the shipped taxonomy) teaches an axis when its labels there
  exist in the current taxonomy; "no stage", "no team" only where that axis has no label the
  shipped data lacks, since "none of the shipped labels" may well be one of the new ones.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from bot.config import Settings
from bot.corrections import AXES, answered_axes
from bot.errors import InputError
from bot.taxonomy import Taxonomy, load_taxonomy
from classifier.dataset import LabelledReport, load_reports, parse_report

__all__ = ["HANDOFF_ONLY", "PartlyLabelled", "axes_of", "correction_reports", "shipped_reports", "training_reports"]

log = logging.getLogger("snag.classifier")
HANDOFF_ONLY = "handoff_presence"  # an axis of its own: whether there was a handoff, sides unknown


@dataclass(frozen=True)
class PartlyLabelled(LabelledReport):
    """A report labelled on some axes only; the others are unknown and are not trained on."""

    axes: tuple[str, ...] = AXES


def axes_of(report: LabelledReport) -> tuple[str, ...]:
    """The axes a report teaches."""
    return report.axes if isinstance(report, PartlyLabelled) else AXES


def _fitting_axes(row: dict, taxonomy: Taxonomy, nones: tuple[str, ...]) -> tuple[str, ...]:
    """The axes whose labels in `row` exist in the taxonomy; an empty one only on `nones`.

    A handoff between teams the taxonomy lacks still says there was a handoff: HANDOFF_ONLY.
    """
    stage, kinds, teams = row.get("stage"), list(row.get("kinds") or ()), list(row.get("teams") or ())
    sides = [s for s in (row.get("handoff") or {}).values() if s is not None]
    fits = {
        "stage": stage in taxonomy.stage_labels if stage is not None else "stage" in nones,
        "kinds": set(kinds) <= set(taxonomy.kind_labels) and (bool(kinds) or "kinds" in nones),
        "teams": set(teams) <= set(taxonomy.team_labels) and (bool(teams) or "teams" in nones),
        "handoff": set(sides) <= set(taxonomy.team_labels),  # "no handoff" is true in any taxonomy
    }
    axes = [axis for axis in AXES if fits[axis]]
    return (*axes, HANDOFF_ONLY) if not fits["handoff"] else tuple(axes)


def _fitted(row: dict, taxonomy: Taxonomy, axes: tuple[str, ...]) -> LabelledReport | None:
    """The report labelled on `axes` only (the others emptied), or None when no axis is left."""
    if not axes:
        return None
    empty: dict[str, Any] = {"stage": None, "kinds": [], "teams": [], "handoff": None}
    report = parse_report({**row, **{k: v for k, v in empty.items() if k not in axes}}, taxonomy)
    if axes == AXES:
        return report
    fields = asdict(report)
    if HANDOFF_ONLY in axes:
        fields["handoff"] = (None, None)  # a handoff, between teams this taxonomy does not name
    return PartlyLabelled(**fields, axes=axes)


def shipped_reports(taxonomy: Taxonomy) -> list[LabelledReport]:
    """The shipped reports, each labelled on the axes whose labels fit the taxonomy."""
    shipped = load_taxonomy()
    if _label_sets(shipped) == _label_sets(taxonomy):
        return load_reports(taxonomy)
    nones = tuple(
        axis
        for axis, ours, theirs in zip(
            ("stage", "kinds", "teams"), _label_sets(taxonomy), _label_sets(shipped), strict=True
        )
        if ours <= theirs
    )
    out = []
    for report in load_reports(shipped):
        row = {**asdict(report), "kinds": list(report.kinds), "teams": list(report.teams)}
        row["handoff"] = dict(zip(("from", "to"), report.handoff, strict=True)) if report.handoff else None
        fitted = _fitted(row, taxonomy, _fitting_axes(row, taxonomy, nones))
        if fitted is not None:
            out.append(fitted)
    return out


def _label_sets(taxonomy: Taxonomy) -> tuple[frozenset[str], ...]:
    return frozenset(taxonomy.stage_labels), frozenset(taxonomy.kind_labels), frozenset(taxonomy.team_labels)


def correction_reports(engine: Any, taxonomy: Taxonomy) -> list[LabelledReport]:
    """The latest answer (correction or confirmation) on each report, on the axes a person set."""
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
        answered = answered_axes(after.get("source"))
        fitting = _fitting_axes(after, taxonomy, AXES)
        axes = tuple(a for a in fitting if (a if a != HANDOFF_ONLY else "handoff") in answered)
        try:
            fitted = _fitted(row, taxonomy, axes)
        except InputError as exc:
            log.info("correction of report %s skipped: %s", report_id, exc.message)
            continue
        if fitted is None:  # the taxonomy changed since, and nothing the person set still fits
            log.info("correction of report %s skipped: its labels are not in this taxonomy", report_id)
            continue
        out.append(fitted)
    return out


LABELLED = "labelled"  # <data dir>/labelled/*.jsonl: an organisation's own labelled reports (snag train --labelled)


def own_labelled(settings: Settings, taxonomy: Taxonomy) -> list[LabelledReport]:
    """The organisation's own labelled reports kept under the data directory, those that fit the
    taxonomy (a file added with `snag train --labelled` was checked line by line then)."""
    from dataclasses import replace

    from classifier import dataset  # its reader, whatever `load_reports` (the shipped data) is here

    folder = settings.data_dir / LABELLED
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    # Each file's ids are its own (two exports both numbered from 1 are two sets of reports).
    return [
        replace(report, id=f"{path.name}:{report.id}")
        for path in files
        for report in dataset.load_reports(taxonomy, [path])
    ]


def training_reports(settings: Settings, taxonomy: Taxonomy) -> list[LabelledReport]:
    """Shipped data, the organisation's own labelled files (own_labelled) and the database's
    corrections (none when the database is unreachable)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.errors import StoreUnavailable
    from store.db import make_engine, upgrade

    reports = shipped_reports(taxonomy) + own_labelled(settings, taxonomy)
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
