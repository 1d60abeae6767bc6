"""The capture flow: store first, then tag, then a reply with actions and questions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.domain import ActionEvent, IncomingMessage, Tags
from bot.errors import StoreUnavailable
from store.models import Correction, Report
from tests.conftest import FixedClassifier


def say(services, text: str, user: str = "U1", **kw):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", user)
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1", **kw))


def act(services, report_id: int, name: str, value: str = "", user: str = "U1", **values):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", user)
    return services.snag.handle_action(ActionEvent(person, report_id, name, value, values))


def rows(services) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Report)).all())


def test_report_is_stored_before_it_is_classified(services, fixed_classifier: FixedClassifier) -> None:  # type: ignore[no-untyped-def]
    seen_in_db: list[int] = []
    fixed_classifier.on_classify = lambda text: seen_in_db.append(len(rows(services)))
    reply = say(services, "refunds sit in the finance inbox for a week")
    assert seen_in_db == [1]
    assert reply.kind == "receipt" and reply.report_id == rows(services)[0].id
    fields = dict(reply.sections[1].fields)
    assert fields == {
        "Stage": "Billing",
        "Kinds": "Handoff, Waiting",
        "Teams": "Finance, Support",
        "Handoff": "Support → Finance",
    }
    assert [b.action for b in reply.buttons] == ["confirm", "fix"]
    assert [c.action for c in reply.choices] == ["frequency", "customer_facing"]
    assert [o.value for o in reply.choices[0].options] == ["daily", "weekly", "monthly", "rarely"]


def test_answers_and_confirmation_are_stored(services) -> None:  # type: ignore[no-untyped-def]
    rid = say(services, "we retype every order into SAP").report_id
    assert act(services, rid, "frequency", "daily").kind == "saved"
    act(services, rid, "customer_facing", "yes")
    act(services, rid, "confirm")
    row = rows(services)[0]
    assert (row.frequency, row.customer_facing, row.status) == ("daily", True, "confirmed")


def test_bad_answer_is_refused_kindly(services) -> None:  # type: ignore[no-untyped-def]
    rid = say(services, "we retype every order into SAP").report_id
    reply = act(services, rid, "frequency", "hourly")
    assert reply.kind == "error" and "daily" in reply.title
    assert rows(services)[0].frequency is None


def test_fix_tags_shows_a_prefilled_form_and_stores_a_correction(services) -> None:  # type: ignore[no-untyped-def]
    rid = say(services, "returns labels never reach the warehouse").report_id
    form = act(services, rid, "fix").form
    assert form is not None
    by_action = {c.action: c for c in form.choices}
    assert by_action["stage"].selected == ("billing",)
    assert len(by_action["teams"].options) == 9
    reply = act(
        services,
        rid,
        "correct",
        stage="support",
        kinds=["handoff"],
        teams=["warehouse", "support"],
        handoff_from="support",
        handoff_to="warehouse",
    )
    assert reply.kind == "receipt" and "corrected" in reply.title
    row = rows(services)[0]
    assert (row.stage, row.kinds, row.tag_source, row.status) == ("support", ["handoff"], "person", "corrected")
    with Session(services.engine) as s:
        correction = s.exec(select(Correction)).one()
    assert correction.before["stage"] == "billing" and correction.after["handoff"] == {
        "from": "support",
        "to": "warehouse",
    }


def test_a_correction_with_an_unknown_label_changes_nothing(services) -> None:  # type: ignore[no-untyped-def]
    rid = say(services, "returns labels never reach the warehouse").report_id
    reply = act(services, rid, "correct", stage="nonsense", kinds=["handoff"])
    assert reply.kind == "error" and "nonsense" in reply.title
    assert rows(services)[0].stage == "billing"


def test_someone_else_cannot_change_my_report(services) -> None:  # type: ignore[no-untyped-def]
    rid = say(services, "stock counts are on a whiteboard").report_id
    reply = act(services, rid, "confirm", user="U2")
    assert reply.kind == "error" and rows(services)[0].status == "tagged"


def test_low_confidence_leaves_the_stage_empty_and_asks(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    fixed_classifier.tags = Tags(stage="billing", kinds=("waiting",), teams=(), confidence={"billing": 0.2})
    reply = say(services, "it is slow")
    assert reply.choices[0].action == "pick_stage"
    assert rows(services)[0].stage is None
    act(services, reply.report_id, "pick_stage", "support")
    row = rows(services)[0]
    assert (row.stage, row.kinds, row.tag_source) == ("support", ["waiting"], "person:stage")  # the stage is theirs


def test_empty_text_gets_a_prompt_and_stores_nothing(services) -> None:  # type: ignore[no-untyped-def]
    for text in ("", "   ", "\u200b\u200b", "report"):
        reply = say(services, text)
        assert reply.kind in ("usage",) and rows(services) == []


def test_long_text_keeps_the_first_40000_characters_and_says_so(services) -> None:  # type: ignore[no-untyped-def]
    reply = say(services, "a" * 40_001)
    assert len(rows(services)[0].text) == 40_000
    assert "40,001" in reply.notices[0]
    say(services, "b" * 40_000)
    assert len(rows(services)[1].text) == 40_000 and len(rows(services)) == 2


def test_pii_is_redacted_before_storing(services) -> None:  # type: ignore[no-untyped-def]
    say(services, "customer jo@example.com rang 07700 900123 about card 4111 1111 1111 1111")
    assert rows(services)[0].text == "customer [email] rang [phone] about card [card]"


def test_classifier_failure_keeps_the_report_and_the_backlog_tags_it_later(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    def boom(_text: str) -> None:
        raise RuntimeError("model exploded")

    fixed_classifier.on_classify = boom
    reply = say(services, "forms printed and scanned back in")
    assert reply.kind == "receipt" and rows(services)[0].tag_source is None
    fixed_classifier.on_classify = None
    assert services.snag.tag_backlog() == 1
    assert rows(services)[0].stage == "billing"


def test_a_store_outage_gives_an_apology_not_a_crash(services) -> None:  # type: ignore[no-untyped-def]
    class DownRepository:
        def add_report(self, **_kw):  # type: ignore[no-untyped-def]
            raise StoreUnavailable("down")

    services.snag.repository, services.snag.outbox = DownRepository(), None
    reply = say(services, "portal down again")
    assert reply.kind == "error" and "error id" in reply.title


def test_an_outbox_takes_the_report_when_the_store_is_down(services) -> None:  # type: ignore[no-untyped-def]
    class DownRepository:
        def add_report(self, **_kw):  # type: ignore[no-untyped-def]
            raise StoreUnavailable("down")

    kept: list[IncomingMessage] = []

    class ListOutbox:
        def put(self, message: IncomingMessage) -> None:
            kept.append(message)

        def depth(self) -> int:
            return len(kept)

    services.snag.repository, services.snag.outbox = DownRepository(), ListOutbox()
    reply = say(services, "portal down again, mail me at a@b.co")
    assert reply.kind == "saved" and "saved" in reply.title
    assert [m.text for m in kept] == ["portal down again, mail me at [email]"]


def test_duplicate_delivery_gives_the_same_receipt(services) -> None:  # type: ignore[no-untyped-def]
    first = say(services, "van left without the parcels", event_id="Ev9")
    second = say(services, "van left without the parcels", event_id="Ev9")
    assert first.report_id == second.report_id and "Already saved" in second.title
    assert len(rows(services)) == 1


def test_received_at_is_kept(services) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    say(services, "quotes take three days", received_at=when)
    assert rows(services)[0].created_at == when


def test_store_report_turns_an_unexpected_failure_into_an_apology(services) -> None:  # type: ignore[no-untyped-def]
    class BrokenRepository:
        def add_report(self, **_kw):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk on fire")

    services.snag.repository = BrokenRepository()
    person = services.snag.person("slack", "T1", "U1")
    capture = services.snag.store_report(IncomingMessage(person, "the scanner drops half the barcodes", "C1"))
    assert not capture.stored and capture.reply is not None and "error id" in capture.reply.title


def test_store_then_finish_is_the_same_as_one_capture(services) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    capture = services.snag.store_report(IncomingMessage(person, "stock moves are typed into two systems", "C1"))
    assert capture.stored and capture.created and rows(services)[0].tag_source is None
    reply = services.snag.finish_report(capture)
    assert reply.kind == "receipt" and rows(services)[0].stage == "billing"


def test_a_report_tagged_twice_keeps_its_first_tags_and_is_grouped_and_counted_once(  # type: ignore[no-untyped-def]
    services, fixed_classifier: FixedClassifier
) -> None:
    """Two taggers of one report (another process's backlog and the process that stored it, or a
    retry and its original) used to both tag and group it: counted twice in its pattern's week."""
    from dataclasses import replace

    from store.models import PatternWeek

    person = services.snag.person("slack", "T1", "U1")
    capture = services.snag.store_report(
        IncomingMessage(person=person, text="refunds sit in the finance inbox for a week", channel="C1")
    )
    assert capture.record is not None and capture.record.tags is None
    first = services.snag.tag(capture.record)
    fixed_classifier.tags = replace(fixed_classifier.tags, stage="delivery", kinds=("workaround",))
    second = services.snag.tag(capture.record)
    assert first.tags is not None and second.tags is not None
    assert second.tags.stage == first.tags.stage == "billing" and second.pattern_id == first.pattern_id
    [row] = rows(services)
    assert (row.stage, row.kinds) == ("billing", ["handoff", "waiting"])
    with Session(services.engine) as s:
        weeks = s.exec(select(PatternWeek)).all()
    assert [w.reports for w in weeks] == [1]


def test_the_backlog_of_a_running_server_leaves_reports_stored_moments_ago(services, fixed_classifier) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    def boom(_text: str) -> None:
        raise RuntimeError("model exploded")

    fixed_classifier.on_classify = boom
    say(services, "forms printed and scanned back in")
    fixed_classifier.on_classify = None
    assert services.snag.tag_backlog(settled=timedelta(minutes=1)) == 0, "its own process is tagging it"
    assert rows(services)[0].tag_source is None
    services.snag.clock = lambda: datetime.now(UTC) + timedelta(minutes=2)
    assert services.snag.tag_backlog(settled=timedelta(minutes=1)) == 1
    assert rows(services)[0].stage == "billing"


def test_the_part_of_a_report_past_the_limit_is_given_back(services) -> None:  # type: ignore[no-untyped-def]
    """A slash command or a form keeps no copy of what was typed: the words past the limit were
    said to be cut and never shown again, so they were lost."""
    from dataclasses import replace

    services.snag.options = replace(services.snag.options, max_report_chars=200)
    text = "the discharge letters wait two days for a signature " * 6 + "and then END-MARKER"
    reply = say(services, text)
    assert len(rows(services)[0].text) == 200
    [notice] = [n for n in reply.notices if "I kept the first 200" in n]
    assert notice.endswith("END-MARKER”") and text[200:].strip() in notice


def test_a_long_rest_is_given_back_in_part_and_says_how_long_it_is(services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.capture import GIVEN_BACK

    services.snag.options = replace(services.snag.options, max_report_chars=200)
    reply = say(services, "word " * 2_000)
    [notice] = [n for n in reply.notices if "I kept the first 200" in n]
    assert "begins (9,799 characters)" in notice and len(notice) < GIVEN_BACK + 300
