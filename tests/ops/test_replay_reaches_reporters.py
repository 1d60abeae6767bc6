"""A Slack report the outbox files can be answered later, whichever process files it."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import build, recover
from bot.config import Settings
from bot.domain import IncomingMessage, Person, Platform, Role
from store.models import ConversationRef
from tests.conftest import FixedClassifier


def test_a_slack_report_filed_from_the_outbox_by_a_process_without_slack_keeps_its_reporter(
    settings: Settings, fixed_classifier: FixedClassifier
) -> None:
    # `snag serve` replays the outbox before it mounts Slack, and `snag scheduler` never mounts
    # it: the reporter's DM used to be remembered only by a mounted Slack adapter.
    person = Person(platform=Platform.SLACK, tenant="T1", user="U42", role=Role.STAFF)
    first = build(settings, classifier=fixed_classifier, migrate=True)
    assert first.snag.outbox is not None
    message = IncomingMessage(person=person, text="the courier portal logs us out hourly", channel="D42", via="dm")
    first.snag.outbox.put(message)

    services = build(settings, classifier=fixed_classifier)  # a new process, nothing mounted
    assert recover(services)[0] == 1  # filed from the outbox
    with Session(services.engine) as session:
        refs = session.exec(select(ConversationRef)).all()
    assert [(r.platform, r.conversation_id) for r in refs] == [("slack", "D42")]
    assert refs[0].reporter_key == services.snag.key_of(person)
