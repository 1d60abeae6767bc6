"""People's answers on a receipt become training data: exactly what they chose, confirmations too."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.domain import ActionEvent, Handoff, IncomingMessage, Tags
from bot.taxonomy import load_taxonomy
from store.models import Correction, Report

UNSURE = Tags(
    stage="billing",
    kinds=("waiting",),
    teams=("finance",),
    handoff=Handoff("support", "finance"),
    confidence={"billing": 0.1, "waiting": 0.6, "finance": 0.7},
)


def _file(services, text: str = "refund stuck for weeks") -> int:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1")).report_id


def _act(services, report_id: int, name: str, value: str = ""):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return services.snag.handle_action(ActionEvent(person, report_id, name, value))


def _latest(services) -> tuple[Report, dict]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        report = s.exec(select(Report)).one()
        correction = s.exec(select(Correction).order_by(Correction.id.desc())).first()  # type: ignore[union-attr]
        assert correction is not None
        return report, correction.after


def _training(services):  # type: ignore[no-untyped-def]
    from classifier.corrections import correction_reports

    return correction_reports(services.engine, load_taxonomy())


def test_picking_only_the_stage_records_and_teaches_only_the_stage(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    from classifier.corrections import axes_of
    from classifier.train import cats_of

    fixed_classifier.tags = UNSURE
    rid = _file(services)
    _act(services, rid, "pick_stage", "support")
    report, after = _latest(services)
    assert (report.stage, report.kinds, report.teams) == ("support", ["waiting"], ["finance"])  # still shown
    assert after["source"] == "person:stage"
    assert (after["stage"], after["kinds"], after["teams"], after["handoff"]) == ("support", [], [], None)
    [learnt] = _training(services)
    assert axes_of(learnt) == ("stage",) and learnt.stage == "support"
    cats = cats_of(learnt, load_taxonomy())
    assert cats["stage:support"] == 1.0 and all(key.startswith("stage:") for key in cats)


def test_looks_right_is_a_person_agreeing_with_every_tag(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    from classifier.corrections import axes_of

    rid = _file(services)
    reply = _act(services, rid, "confirm")
    assert "This helps Snag learn" in reply.title
    report, after = _latest(services)
    assert report.status == "confirmed" and after["source"] == "person"
    [learnt] = _training(services)
    tags = fixed_classifier.tags
    assert axes_of(learnt) == ("stage", "kinds", "teams", "handoff")
    assert (learnt.stage, learnt.kinds, learnt.teams) == (tags.stage, tags.kinds, tags.teams)
    assert learnt.handoff == (tags.handoff.from_team, tags.handoff.to_team)


def test_an_open_stage_confirmed_is_no_answer_until_it_is_picked(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    from classifier.corrections import axes_of

    fixed_classifier.tags = UNSURE
    rid = _file(services)
    _act(services, rid, "confirm")
    [learnt] = _training(services)
    assert axes_of(learnt) == ("kinds", "teams", "handoff") and learnt.stage is None
    _act(services, rid, "pick_stage", "support")  # the rest was confirmed already: all of it is theirs
    report, after = _latest(services)
    assert after["source"] == "person" and after["kinds"] == ["waiting"] and report.tag_source == "person"
    [learnt] = _training(services)
    assert axes_of(learnt) == ("stage", "kinds", "teams", "handoff") and learnt.stage == "support"


def test_a_second_partial_answer_keeps_the_first(services) -> None:  # type: ignore[no-untyped-def]
    services.classifier.tags = UNSURE
    report_id = _file(services)
    person = services.snag.person("slack", "T1", "U1")
    services.snag.handle_action(ActionEvent(person, report_id, "answer", values={"teams": ["support"]}))
    _act(services, report_id, "pick_stage", "enquiry")
    report, after = _latest(services)
    assert report.tag_source == "person:stage,teams"
    assert (after["stage"], after["teams"], after["kinds"]) == ("enquiry", ["support"], [])
