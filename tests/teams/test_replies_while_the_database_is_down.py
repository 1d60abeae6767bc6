"""Replies to a report (a quote-reply in the 1:1 chat, a reply in a channel thread) and edits while
the database is down: Teams gets its 201, never a 500, the person gets a kind answer, and the words
they wrote are kept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.teams.bot import UNQUOTED
from store.db import make_engine
from store.repository import SqlRepository
from tests.teams.connector import OPS, fixture, in_thread, reports, titles
from tests.teams.test_edits import SAM, _edit
from tests.teams.test_outbox_replay import DOWN_URL, SAVED
from tests.teams.test_quote_replies import CHAT, NIGHTS, REFUNDS, _file, _quote_reply
from tests.teams.test_thread_replies import ROOT, ROTA, _reply

Down = Callable[..., Callable[[], None]]


@pytest.fixture
def down(teams: Any) -> Iterator[Down]:
    """`down(core=, references=, receipts=)` makes those unreachable (all by default) and returns
    what brings them back: the core's reports, Teams' references and delivery keys, kept receipts."""
    services, client, _connector = teams
    endpoint = client.server.app["teams"]
    working = (services.snag.repository, endpoint.references.engine, endpoint.bot.receipts.engine)
    gone = make_engine(DOWN_URL)

    def restore() -> None:
        services.snag.repository, endpoint.references.engine, endpoint.bot.receipts.engine = working

    def take_down(*, core: bool = True, references: bool = True, receipts: bool = True) -> Callable[[], None]:
        if core:
            services.snag.repository = SqlRepository(gone)
        if references:
            endpoint.references.engine = gone
        if receipts:
            endpoint.bot.receipts.engine = gone
        return restore

    yield take_down
    restore()
    gone.dispose()


async def test_a_quote_reply_is_kept_as_a_report_of_its_own_and_said_so(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    """Which report its receipt was cannot be read: its words wait in the outbox as a report."""
    services, client, connector = teams
    receipt = await _file(client, connector)
    restore = down()
    sent = len(connector.calls)
    assert (await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))).status == 201
    [(path, body)] = connector.calls[sent:]
    assert path.startswith(f"/v3/conversations/{CHAT}/activities")
    assert titles(connector)[-1].startswith(SAVED) and UNQUOTED in json.dumps(body)
    restore()
    assert services.snag.replay_outbox() == 1
    assert [r.text for r in reports(services)] == [REFUNDS, NIGHTS]


async def test_a_quote_reply_is_added_and_answered_when_repeats_cannot_be_checked(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    down(core=False, receipts=False)  # Teams' delivery keys (references) unreachable
    assert (await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))).status == 201
    [row] = reports(services)
    assert row.text == f"{REFUNDS}; also: {NIGHTS}"
    assert titles(connector)[-1] == f"Added to report #{row.id}."


async def test_a_thread_reply_is_added_and_answered_when_repeats_cannot_be_checked(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, ROOT, ROTA, SAM))
    down(core=False, receipts=False)
    sent = len(connector.calls)
    reply = _reply(connector.url, "1700000000009", "wrong, it's nights", SAM)
    assert (await client.post("/api/messages", json=reply)).status == 201
    [row] = reports(services)
    assert row.text == f"{ROTA}; also: wrong, it's nights"
    assert connector.calls[sent:] and all(
        "report #" not in json.dumps(b) for p, b in connector.calls[sent:] if OPS in p
    )


async def test_an_edited_quote_reply_whose_receipt_cannot_be_read_is_filed(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    """A quote-reply answered as small talk, edited into a report: whether its words went into the
    quoted report cannot be read, so it is filed (a report twice can be erased, lost words not)."""
    services, client, connector = teams
    thanks = _quote_reply(connector.url, await _file(client, connector), "thanks!")
    await client.post("/api/messages", json=thanks)
    down(core=False, references=False)  # the kept receipts unreachable
    edit = dict(thanks, type="messageUpdate", text="the label printer jams every morning")
    edit["channelData"] = {"tenant": {"id": "tenant-a"}, "eventType": "editMessage"}
    assert (await client.post("/api/messages", json=edit)).status == 201
    assert [r.text for r in reports(services)] == [REFUNDS, "the label printer jams every morning"]
    assert titles(connector)[-1].startswith("Thanks, saved as report #2.")


EDIT_SAVED = "Your edit is saved."


async def test_an_edit_is_kept_and_applied_when_the_database_is_back_keeping_what_was_added(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=_quote_reply(connector.url, await _file(client, connector), NIGHTS))
    restore = down()
    assert (await client.post("/api/messages", json=_edit(connector.url, REFUNDS + " or two"))).status == 201
    assert titles(connector)[-1].startswith(EDIT_SAVED)
    restore()
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}"], "not applied until replayed"
    assert services.snag.replay_outbox() == 1
    [row] = reports(services)
    assert row.text == f"{REFUNDS} or two; also: {NIGHTS}", "the message's own words change, the addition stays"


async def test_an_edit_of_a_report_still_in_the_outbox_is_applied_after_it(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    restore = down()
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    assert titles(connector)[-1].startswith(SAVED)
    assert (await client.post("/api/messages", json=_edit(connector.url, REFUNDS + " or two"))).status == 201
    assert titles(connector)[-1].startswith(EDIT_SAVED)
    restore()
    assert services.snag.replay_outbox() == 2
    assert [r.text for r in reports(services)] == [REFUNDS + " or two"]


async def test_an_edited_thread_reply_is_not_promised_to_change_a_report(teams, down: Down) -> None:  # type: ignore[no-untyped-def]
    """Its words may have been added to a report, which a Teams edit of a reply never changes."""
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, ROOT, ROTA, SAM))
    reply = _reply(connector.url, "1700000000009", "wrong, it's nights", SAM)
    await client.post("/api/messages", json=reply)
    restore = down()
    edited = dict(reply, type="messageUpdate", text="<at>Snag</at> wrong, it's nights and weekends")
    edited["channelData"] = {**reply.get("channelData", {}), "eventType": "editMessage"}
    assert (await client.post("/api/messages", json=edited)).status == 201
    assert not any(EDIT_SAVED in json.dumps(b) for _, b in connector.calls)
    restore()
    assert services.snag.outbox.depth() == 0
