"""A database that hangs instead of refusing: `/snag <sentence>` is still answered within Slack's
3 seconds, with the report kept in the outbox; a commit that ends after its deadline files it once.

Before, the answer waited on the commit for as long as the database hung (891 s once), and the
report was only in memory meanwhile."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from store.db import make_engine
from store.models import ConversationRef
from store.repository import SqlRepository
from tests.slack.conftest import SlackDriver, fixture
from tests.store.hanging import Slow, silent_server, until

SAVED = "Your report is saved."
TEXT = fixture("slash_command")["text"]
FEW_SECONDS = 10  # a connection's timeout (5 s), and some to spare


def command(slack: SlackDriver) -> dict[str, Any]:
    """`/snag <sentence>`, its later answer going to the fake Slack."""
    return fixture("slash_command") | {"response_url": slack.fake.hook()}


def said(slack: SlackDriver, body: str) -> list[str]:
    """What the person was told: the answer to the command, and what came later by its response_url."""
    first = json.loads(body).get("text", "") if body else ""
    return [first, *(str(c.params.get("text", "")) for c in slack.fake.called("response_url"))]


@pytest.fixture
def hanging(slack: SlackDriver) -> Iterator[Callable[[], None]]:
    """Point the app at a PostgreSQL server that accepts and never answers, with no connect_timeout
    in the URL; calling the result brings the working database back."""
    rt, snag = slack.runtime, slack.services.snag
    working = (rt.engine, snag.repository)
    with silent_server() as port:
        down = make_engine(f"postgresql+psycopg://snag:pw@127.0.0.1:{port}/snag")
        rt.engine, snag.repository = down, SqlRepository(down)

        def restore() -> None:
            rt.engine, snag.repository = working

        yield restore
        restore()
        down.dispose()


async def test_a_sentence_is_answered_in_seconds_and_kept_while_the_database_hangs(
    slack: SlackDriver, hanging: Callable[[], None]
) -> None:
    started = time.monotonic()
    status, body = await slack.post_only(command(slack))
    assert status == 200 and time.monotonic() - started < 3  # Slack's deadline
    await slack.runtime.drain()
    assert any(text.startswith(SAVED) for text in said(slack, body))
    outbox = slack.services.snag.outbox
    assert outbox.depth() >= 1  # on disk before the answer
    # The commit given up on fails once its connection times out: the same delivery waits in the
    # outbox already, so it is not kept (nor counted as deferred) a second time.
    registry = slack.services.extras["metrics"].registry
    await until(lambda: registry.get_sample_value("snag_reports_duplicate_total", {"platform": "slack"}), FEW_SECONDS)
    assert outbox.depth() == 1
    assert registry.get_sample_value("snag_reports_deferred_total", {"platform": "slack"}) == 1
    hanging()
    slack.services.snag.replay_outbox()
    assert [r.text for r in slack.reports()] == [TEXT]  # filed once


async def test_a_commit_that_ends_after_the_answer_files_the_report_once(slack: SlackDriver) -> None:
    snag, rt = slack.services.snag, slack.runtime
    real = snag.repository
    slow = snag.repository = Slow(real)
    rt.store_within = 0.5
    try:
        started = time.monotonic()
        status, body = await slack.post_only(command(slack))
        assert status == 200 and time.monotonic() - started < 3
        await rt.drain()
        assert any(text.startswith(SAVED) for text in said(slack, body))
        assert snag.outbox.depth() == 1
        slow.go.set()  # the database answers at last: the late commit stores the report, and tags it
        await until(lambda: [r.stage for r in slack.reports()] == ["billing"], 5)
    finally:
        snag.repository = real
    assert snag.replay_outbox() == 1  # the same event key: found filed, not filed again
    assert [r.text for r in slack.reports()] == [TEXT] and snag.outbox.depth() == 0
    with Session(slack.services.engine) as session:  # its reporter hears when the pattern changes
        assert [ref.reporter_key for ref in session.exec(select(ConversationRef)).all()] == [
            slack.reports()[0].reporter_key
        ]


async def test_a_direct_message_is_acknowledged_within_slacks_three_seconds_while_the_database_hangs(
    slack: SlackDriver, hanging: Callable[[], None]
) -> None:
    # The retry check (the database's claim on the event) waited for the hanging database too:
    # about 7 s, so Slack retried a delivery it had given up on.
    started = time.monotonic()
    status, _ = await slack.event(fixture("event_message_im"), drain=False)
    assert status == 200 and time.monotonic() - started < 3
    await slack.runtime.drain()
    assert slack.services.snag.outbox.depth() == 1
    assert any(str(call.params.get("text", "")).startswith(SAVED) for call in slack.fake.called("chat.postMessage"))
    assert (await slack.event(fixture("event_message_im"), retry=1, drain=False))[0] == 200  # answered once
    await slack.runtime.drain()
    assert len(slack.fake.called("chat.postMessage")) == 1
