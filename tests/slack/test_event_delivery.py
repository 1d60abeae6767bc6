"""Events when things go wrong: the database is down, or Slack retries while the original runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.slack import dedupe
from store.db import make_engine
from store.models import ConversationRef
from store.repository import SqlRepository
from tests.slack.conftest import SlackDriver, fixture
from tests.slack.test_event_crash import Stuck

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
SAVED = "Your report is saved."


@pytest.fixture
def outage(slack: SlackDriver) -> Iterator[Any]:
    """Point the app at a database nobody answers; `outage()` brings the real one back."""
    rt, snag = slack.runtime, slack.services.snag
    working = (rt.engine, snag.repository)
    down = make_engine(DOWN_URL)
    rt.engine, snag.repository = down, SqlRepository(down)

    def restore() -> None:
        rt.engine, snag.repository = working

    yield restore
    restore()
    down.dispose()


def posted(slack: SlackDriver) -> list[str]:
    return [c.params["text"] for c in slack.fake.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]


async def test_dms_mentions_and_reactions_in_a_database_outage_are_kept_and_answered(
    slack: SlackDriver, outage: Any
) -> None:
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {"ts": "1700000300.000400", "text": "the van is late"}
    for name in ("event_message_im", "event_app_mention", "event_reaction_added"):
        status, _ = await slack.event(fixture(name))
        assert status == 200, name
    assert len(posted(slack)) == 3 and all(text.startswith(SAVED) for text in posted(slack))
    assert slack.services.snag.outbox.depth() == 3

    status, _ = await slack.event(fixture("event_message_im"), retry=1)  # Slack retries: still fine
    assert status == 200
    outage()
    slack.services.snag.replay_outbox()
    assert sorted(r.text for r in slack.reports()) == [
        "the intake form asks customers for their address twice",
        "the van is late",
        "we retype every order into SAP & the CRM",
    ]
    with Session(slack.services.engine) as session:  # each of them can be told when their pattern changes
        reachable = {ref.reporter_key for ref in session.exec(select(ConversationRef)).all()}
    assert {r.reporter_key for r in slack.reports()} <= reachable


async def test_a_retry_while_the_original_is_still_tagged_gets_no_second_answer(
    slack: SlackDriver, classifier: Any
) -> None:
    release = threading.Event()
    original = classifier.classify
    classifier.classify = lambda text: (release.wait(5), original(text))[1]
    payload = fixture("event_message_im")
    assert (await slack.event(payload, drain=False))[0] == 200
    assert (await slack.event(payload, retry=1, drain=False))[0] == 200
    release.set()
    await slack.runtime.drain()
    assert len(slack.reports()) == 1
    assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]


async def test_a_question_delivered_twice_at_once_is_answered_once(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    payload["event"]["text"] = "help"
    await asyncio.gather(slack.event(payload, drain=False), slack.event(payload, retry=1, drain=False))
    await slack.runtime.drain()
    assert posted(slack) == ["Snag commands"]


EVENTS = ("event_message_im", "event_app_mention", "event_reaction_added")


@pytest.mark.parametrize("name", EVENTS)
async def test_a_retry_of_a_report_kept_in_the_outbox_gets_no_second_answer(
    slack: SlackDriver, outage: Any, name: str
) -> None:
    slack.fake.messages[("C2147483705", "1700000300.000400")] = {"ts": "1700000300.000400", "text": "the van is late"}
    payload = fixture(name)
    assert (await slack.event(payload))[0] == 200
    assert (await slack.event(payload, retry=1))[0] == 200
    assert (await slack.event(payload, retry=2))[0] == 200
    assert len(posted(slack)) == 1 and posted(slack)[0].startswith(SAVED)
    outage()
    assert (await slack.event(payload, retry=3))[0] == 200  # the database is back: still answered once
    assert len(posted(slack)) == 1
    slack.services.snag.replay_outbox()
    assert len(slack.reports()) == 1  # and the report is filed, once


async def test_a_retry_during_an_outage_of_a_report_answered_before_it_gets_no_second_answer(
    slack: SlackDriver,
) -> None:
    payload = fixture("event_message_im")
    assert (await slack.event(payload))[0] == 200
    rt, snag = slack.runtime, slack.services.snag
    working = (rt.engine, snag.repository)
    down = make_engine(DOWN_URL)
    rt.engine, snag.repository = down, SqlRepository(down)
    try:
        assert (await slack.event(payload, retry=1))[0] == 200
    finally:
        rt.engine, snag.repository = working
        down.dispose()
    assert posted(slack) == [f"Thanks, saved as report #{slack.reports()[0].id}."]
    snag.replay_outbox()
    assert len(slack.reports()) == 1


async def test_a_retry_while_the_original_is_on_the_outbox_path_gets_no_second_answer(
    slack: SlackDriver, outage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = Stuck(dedupe.claim, then_fail=False)  # the original waits on the database a while
    monkeypatch.setattr(dedupe, "claim", stuck)
    payload = fixture("event_message_im")
    original = asyncio.ensure_future(slack.event(payload, drain=False))
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    assert (await slack.event(payload, retry=1))[0] == 200
    stuck.resume.set()
    assert (await original)[0] == 200
    await slack.runtime.drain()
    assert len(posted(slack)) == 1 and posted(slack)[0].startswith(SAVED)
    assert slack.services.snag.outbox.depth() == 1  # the retry of a delivery kept already is not kept again
    outage()
    slack.services.snag.replay_outbox()
    assert len(slack.reports()) == 1
