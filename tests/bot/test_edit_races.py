"""An edit or a reply under a report races the report's first tagging, another edit, another
reply or the person's own answer: the platform has its answer before the slow half runs, so the
slow half reads the report again and the newest words win, each counted once."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.domain import ActionEvent, IncomingMessage, Tags
from store.models import PatternWeek, Report, TermCount
from tests.conftest import FixedClassifier

VAN = Tags(stage="delivery", kinds=("waiting",), teams=("operations",), source="model", model_version="fixed-1")


def _said(services, text: str, message_id: str = "17.1") -> IncomingMessage:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return IncomingMessage(person=person, text=text, channel="D1", via="dm", message_id=message_id)


def _row(services) -> Report:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return s.exec(select(Report)).one()


def _weeks(services) -> list[int]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [w.reports for w in s.exec(select(PatternWeek)).all()]


def _by_text(classifier: FixedClassifier) -> None:
    first = classifier.tags

    def classify(text: str) -> Tags:
        classifier.seen.append(text)
        return VAN if "van" in text else first

    classifier.classify = classify  # type: ignore[method-assign]


def test_an_edit_stored_before_the_first_tagging_is_what_gets_tagged(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    """The first tagger classified the words as first sent; the edit came meanwhile: the report
    kept the first words' tags and pattern for good."""
    _by_text(fixed_classifier)
    snag = services.snag
    capture = snag.store_report(_said(services, "the label printer jams"))
    done = snag.store_edit(_said(services, "the courier van leaves before the dock closes"))
    assert done is not None and done.changed is not None
    snag.finish_report(capture)  # its own tagging, queued before the edit
    snag.finish_edit(done)
    row = _row(services)
    assert row.text == "the courier van leaves before the dock closes"
    assert (row.stage, row.kinds) == ("delivery", ["waiting"])
    assert _weeks(services) == [1]


def test_an_answer_given_after_an_edit_is_kept_by_its_retagging(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    said = _said(services, "the label printer jams")
    rid = snag.handle_message(said).report_id
    done = snag.store_edit(_said(services, "the label printer on dock 3 jams every morning"))
    assert done is not None
    snag.handle_action(ActionEvent(said.person, rid, "pick_stage", "delivery"))  # on the receipt, meanwhile
    snag.finish_edit(done)
    row = _row(services)
    assert (row.stage, row.tag_source) == ("delivery", "person:stage")


def test_two_quick_edits_finishing_out_of_order_end_with_the_newest_words_tags(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    _by_text(fixed_classifier)
    snag = services.snag
    snag.handle_message(_said(services, "the label printer jams"))
    first = snag.store_edit(_said(services, "the label printer on dock 3 jams every morning"))
    second = snag.store_edit(_said(services, "the courier van leaves before the dock closes"))
    assert first is not None and second is not None
    snag.finish_edit(second)
    snag.finish_edit(first)  # slower: it must not put its words' tags on the newest words
    row = _row(services)
    assert row.text == "the courier van leaves before the dock closes" and row.stage == "delivery"
    assert _weeks(services) == [1]


def test_two_quick_edits_finishing_in_order_leave_grouping_with_the_newest_words(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    snag.handle_message(_said(services, "the label printer jams"))
    first = snag.store_edit(_said(services, "the label printer on dock 3 jams every morning"))
    second = snag.store_edit(_said(services, "the courier van leaves before the dock closes"))
    assert first is not None and second is not None
    snag.finish_edit(first)  # superseded by the time it runs: its words still move in grouping
    snag.finish_edit(second)
    with Session(services.engine) as s:
        terms = dict(s.exec(select(TermCount.term, TermCount.docs)).all())
    assert "w:print" not in terms and terms["w:couri"] == 1 and terms["#"] == 1


def test_two_replies_racing_for_a_reports_words_both_stay(services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Both read the report's words and wrote them back with their own added: one was lost, and
    the person was told both were added."""
    snag = services.snag
    snag.handle_message(_said(services, "the label printer jams"))
    repository = snag.repository
    real = repository.set_text
    raced = []

    def set_text(**kw):  # type: ignore[no-untyped-def]
        if not raced:  # the other reply lands between this one's read and its write
            raced.append(None)
            raced[0] = snag.add_to_report(_said(services, "it is dock 3", "17.2"), "17.1")
        return real(**kw)

    monkeypatch.setattr(repository, "set_text", set_text)
    done = snag.add_to_report(_said(services, "since monday", "17.3"), "17.1")
    assert done is not None and raced[0] is not None
    assert done.reply.title == "Added to report #1." and raced[0].reply.title == "Added to report #1."
    assert _row(services).text == "the label printer jams; also: it is dock 3; also: since monday"
