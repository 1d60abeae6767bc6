"""What the buttons and forms on a receipt do: confirm, fix, the two questions, pick a stage."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot import cards
from bot.corrections import AXES, PERSON, answered_axes, corrected_tags, person_source
from bot.domain import FREQUENCIES, ActionEvent, Person, Reply, ReportRecord, Role, Tags
from bot.errors import InputError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["act"]


def own_report(snag: Snag, person: Person, report_id: int) -> ReportRecord:
    """The report, if this person may change it: its reporter; or a manager or admin, on a report
    filed where others saw it (a channel's receipt carries its buttons for everyone there). Never
    someone else's private report by its number: a forged button (Teams card data comes from the
    client) would show its words as stored, unscrubbed, and change its tags."""
    record = snag.repository.get_report(person=person, report_id=report_id)
    if record is None:  # erasure leaves no trace, so an erased report reads like an id never used
        raise NotFound(
            f"Report #{report_id} is no longer stored (it may have been erased), so there is nothing to change."
        )
    if record.reporter_key != snag.key_of(person) and (person.role is Role.STAFF or not record.shared):
        raise PermissionDenied("Only the person who filed a report can change it.")
    return record


def act(snag: Snag, event: ActionEvent) -> Reply:
    """Carry out one button press or form on a receipt."""
    record = own_report(snag, event.person, event.report_id)
    name, value = event.name, event.value
    if name == "confirm":
        learnt = " This helps Snag learn." if confirm(snag, event.person, record) else ""
        return cards.thanks(record.id, f"Thanks, tags confirmed.{learnt}")
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
    if name == "pick_stage":  # one question answered: the rest of the receipt stays as it was
        updated = store_correction(snag, event.person, record, {"stage": value}, partial=True)
        stage = updated.tags.stage if updated.tags else None
        return cards.thanks(record.id, f"Stage: {snag.taxonomy.title(stage) if stage else 'not sure'}.")
    if name == "correct":
        return correct(snag, event.person, record, dict(event.values), partial=False)
    if name == "answer":  # some questions answered (e.g. a form's stage and teams): those axes only
        return correct(snag, event.person, record, dict(event.values), partial=True)
    raise InputError(f"I don't know the action '{name}'.")


def confirm(snag: Snag, person: Person, record: ReportRecord) -> bool:
    """A person agreeing with the tags shown: stored like a correction, so training uses it."""
    snag.repository.set_answers(report_id=record.id, status="confirmed")
    tags = record.tags
    if tags is None:
        return False
    # An empty stage on a receipt is a question left open, not an answer, unless a person chose it.
    axes = AXES if tags.stage is not None or tags.source == PERSON else AXES[1:]
    agreed = replace(tags, confidence={}, source=person_source(axes))
    snag.repository.add_correction(report_id=record.id, corrector_key=snag.key_of(person), before=tags, after=agreed)
    return True


_AXIS_OF = {"stage": "stage", "kinds": "kinds", "teams": "teams", "handoff_from": "handoff", "handoff_to": "handoff"}


def correct(snag: Snag, person: Person, record: ReportRecord, values: dict[str, object], *, partial: bool) -> Reply:
    """Store a correction (the answer is training data) and show the corrected receipt."""
    updated = store_correction(snag, person, record, values, partial=partial)
    return cards.receipt(updated, snag.taxonomy, corrected=True)


def store_correction(
    snag: Snag, person: Person, record: ReportRecord, values: dict[str, object], *, partial: bool
) -> ReportRecord:
    """Store a correction and the tags it sets; returns the report as it is now.

    A partial answer (one question) records only the axes the person set, now or in an earlier
    answer, unless they had already confirmed or fully corrected the rest: the model's other tags
    are not theirs.
    """
    before = record.tags
    tags = corrected_tags(snag.taxonomy, before or Tags(stage=None, kinds=(), teams=()), values, partial=partial)
    reviewed = before is not None and (record.status == "confirmed" or before.source == PERSON)
    chosen = {_AXIS_OF[k] for k in values if k in _AXIS_OF} | set(answered_axes(before.source if before else None))
    axes = AXES if not partial or reviewed else tuple(a for a in AXES if a in chosen)  # with earlier answers
    after = _only(tags, axes)
    snag.repository.add_correction(report_id=record.id, corrector_key=snag.key_of(person), before=before, after=after)
    # The report keeps every tag it shows; its source says which a person set ("person:stage").
    updated = snag.repository.set_tags(report_id=record.id, tags=replace(tags, source=after.source))
    snag.repository.set_answers(report_id=record.id, status="corrected")
    return replace(updated, status="corrected")


def _only(tags: Tags, axes: tuple[str, ...]) -> Tags:
    """The tags on the given axes; the others left empty, and the source naming the axes."""
    return Tags(
        stage=tags.stage if "stage" in axes else None,
        kinds=tags.kinds if "kinds" in axes else (),
        teams=tags.teams if "teams" in axes else (),
        handoff=tags.handoff if "handoff" in axes else None,
        confidence={},
        source=person_source(axes),
    )
