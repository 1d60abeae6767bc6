"""An edit of the message a report was filed from replaces that message's words only: what a reply
in its channel thread, or a quote-reply to its receipt in the 1:1 chat, added ("…; also: <reply>")
stays, as on Slack. Teams never says what an edited message said before; its report does."""

from __future__ import annotations

import json

from botbuilder.core.adapters import TestAdapter

from adapters.teams.bot import SnagTeamsBot
from adapters.teams.references import References
from bot.own_words import own_part
from tests.teams.connector import OPS, in_thread, reports, titles
from tests.teams.test_dialogue import _assert_card_title, message
from tests.teams.test_dialogue_edits import _edited
from tests.teams.test_edits import SAM, _edit
from tests.teams.test_edits_that_file import _channel_edit
from tests.teams.test_quote_replies import NIGHTS, REFUNDS, _file, _quote_reply
from tests.teams.test_thread_replies import ROOT, ROTA, _reply

SHIFT = "and the night shift never sees the updates"


async def test_an_edited_channel_post_keeps_what_a_reply_in_its_thread_added(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    said = in_thread(connector.url, ROOT, ROTA, SAM)
    await client.post("/api/messages", json=said)
    await client.post("/api/messages", json=_reply(connector.url, "1700000000009", SHIFT, SAM))
    seen, sent = len(services.snag.classifier.seen), len(connector.calls)
    response = await client.post("/api/messages", json=_channel_edit(said, f"<at>Snag</at> {ROTA} at all"))
    assert response.status == 201
    [row] = reports(services)
    assert row.text == f"{ROTA} at all; also: {SHIFT}"
    assert services.snag.classifier.seen[seen:] == [row.text]  # tagged again, the addition included
    assert f"Updated report #{row.id}." in json.dumps(
        [body for path, body in connector.calls[sent:] if OPS not in path]
    )


async def test_an_edited_1_1_report_keeps_its_quote_replies(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))
    later = _quote_reply(connector.url, f"act-{len(connector.calls)}", SHIFT)  # quoting "Added to report #1."
    await client.post("/api/messages", json=dict(later, id="1700000000009"))
    await client.post("/api/messages", json=_edit(connector.url, REFUNDS.replace("a week", "two weeks")))
    [row] = reports(services)
    assert row.text == f"{REFUNDS.replace('a week', 'two weeks')}; also: {NIGHTS}; also: {SHIFT}"
    assert titles(connector)[-1] == f"Updated report #{row.id}."


async def test_the_same_words_again_after_an_addition_change_nothing(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=_quote_reply(connector.url, await _file(client, connector), NIGHTS))
    sent = len(connector.calls)
    await client.post("/api/messages", json=_edit(connector.url, REFUNDS))  # Teams says "edited", words unchanged
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}"]
    assert connector.calls[sent:] == []


async def test_a_report_that_says_also_itself_takes_its_edit_once(teams) -> None:  # type: ignore[no-untyped-def]
    """The person's own "; also: …", kept in the edit, is theirs: replaced, not kept twice; the
    quote-reply added after it stays."""
    services, client, connector = teams
    own = "the rota lives in a spreadsheet; also: nobody updates it"
    receipt = await _file(client, connector, text=own)
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))
    await client.post("/api/messages", json=_edit(connector.url, own.replace("a spreadsheet", "a shared spreadsheet")))
    assert [r.text for r in reports(services)] == [
        f"the rota lives in a shared spreadsheet; also: nobody updates it; also: {NIGHTS}"
    ]


def test_the_messages_own_part_ends_at_the_first_addition_its_new_words_do_not_repeat() -> None:
    stored = "rota in a sheet; also: nobody updates it; also: nights too"
    assert own_part(stored, "rota in a shared sheet") == "rota in a sheet"
    assert (
        own_part(stored, "rota in a shared sheet; also: nobody updates it")
        == "rota in a sheet; also: nobody updates it"
    )
    assert own_part(stored, "rota in a shared sheet; also: nights too") == "rota in a sheet"  # never skips one
    assert own_part(stored, "rota; also: nobody updates it today") == "rota in a sheet"  # reworded: kept, not lost
    assert own_part("rota in a sheet", "rota") == "rota in a sheet"


async def test_the_bot_without_the_endpoint_keeps_additions_through_an_edit(services) -> None:  # type: ignore[no-untyped-def]
    bot = SnagTeamsBot(services, References(services.engine))
    adapter = TestAdapter(bot.on_turn)
    step = await adapter.send(message(REFUNDS, mid="m1"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Thanks, saved as report #1."))
    added = bot.snag.add_to_report(bot.incoming(message(NIGHTS, mid="m2")), "m1")
    assert added is not None and added.changed is not None
    step = await adapter.send(_edited(REFUNDS + " or two", "m1"))
    await step.assert_reply(lambda activity, _desc: _assert_card_title(activity, "Updated report #1."))
    row = services.snag.repository.get_report(person=bot.incoming(message()).person, report_id=1)
    assert row is not None and row.text == f"{REFUNDS} or two; also: {NIGHTS}"


async def test_an_edited_report_with_personal_details_keeps_its_additions(teams) -> None:  # type: ignore[no-untyped-def]
    """Stored words are redacted: the message's part is found in them all the same."""
    services, client, connector = teams
    said = "refunds sit in the finance inbox, ask jo.bloggs@example.com or call +44 20 7946 0958 for a week"
    await client.post(
        "/api/messages", json=_quote_reply(connector.url, await _file(client, connector, text=said), NIGHTS)
    )
    [before] = reports(services)
    assert "example.com" not in before.text and before.text.endswith(f"; also: {NIGHTS}")
    await client.post("/api/messages", json=_edit(connector.url, said.replace("a week", "two weeks")))
    [row] = reports(services)
    assert row.text == before.text.replace("a week", "two weeks")
