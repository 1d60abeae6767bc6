"""What the buttons and forms on a receipt do: confirm, fix, the two questions, pick a stage."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot import cards
from bot.corrections import corrected_tags
from bot.domain import FREQUENCIES, ActionEvent, Person, Reply, ReportRecord, Role, Tags
from bot.errors import InputError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["act"]


def own_report(snag: Snag, person: Person, report_id: int) -> ReportRecord:
    """The report, if this person may change it (its reporter, or a manager or admin)."""
    record = snag.repository.get_report(person=person, report_id=report_id)
    if record is None:
        raise NotFound(f"I can't find report #{report_id}.")
    if record.reporter_key != snag.key_of(person) and person.role is Role.STAFF:
        raise PermissionDenied("Only the person who filed a report can change it.")
    return record


def act(snag: Snag, event: ActionEvent) -> Reply:
    """Carry out one button press or form on a receipt."""
    record = own_report(snag, event.person, event.report_id)
    name, value = event.name, event.value
    if name == "confirm":
        snag.repository.set_answers(report_id=record.id, status="confirmed")
        return cards.thanks(record.id, "Thanks, tags confirmed. This helps Snag learn.")
    if name == "fix":
        return cards.fix_form(record, snag.taxonomy)
    if name == "frequency":
        if value not in FREQUENCIES:
            raise InputError(f"How often should be one of: {', '.join(FREQUENCIES)}.")
        snag.repository.set_answers(report_id=record.id, frequency=value)
        return cards.thanks(record.id, f"Noted: this happens {value}.")
    if name == "customer_facing":
        if value not in ("yes", "no"):
            raise InputError("Does the customer notice? Answer yes or no.")
        snag.repository.set_answers(report_id=record.id, customer_facing=value == "yes")
        return cards.thanks(record.id, "Noted, thanks.")
    if name == "pick_stage":
        return correct(snag, event.person, record, {"stage": value}, partial=True)
    if name == "correct":
        return correct(snag, event.person, record, dict(event.values), partial=False)
    raise InputError(f"I don't know the action '{name}'.")


def correct(snag: Snag, person: Person, record: ReportRecord, values: dict[str, object], *, partial: bool) -> Reply:
    """Store a correction (the answer is training data) and show the corrected receipt."""
    before = record.tags
    after = corrected_tags(snag.taxonomy, before or Tags(stage=None, kinds=(), teams=()), values, partial=partial)
    snag.repository.add_correction(report_id=record.id, corrector_key=snag.key_of(person), before=before, after=after)
    updated = snag.repository.set_tags(report_id=record.id, tags=after)
    snag.repository.set_answers(report_id=record.id, status="corrected")
    return cards.receipt(replace(updated, status="corrected"), snag.taxonomy, corrected=True)
