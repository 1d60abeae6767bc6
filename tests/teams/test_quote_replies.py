"""A bot's 1:1 chat has no threads: to say more about a report, people quote-reply to its receipt.
Teams sends a message whose `replyToId` is the receipt's id, with a text/html copy holding the quote
(a schema.skype.com/Reply blockquote) and, in `text`, the new words. Snag keeps the id of each
receipt it sends (receipt_messages), and a quote-reply to a receipt of the sender's own report is
added to it as a reply in a Slack report's thread is ("…; also: <reply>", tagged again, "Added to
report #N."); a command there is answered as one; anything else is filed as any message is."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import Session, select

from store.models import ReceiptMessage
from tests.teams.connector import OPS, FakeConnector, fixture, in_thread, reports, titles
from tests.teams.test_owed_receipts import die, post_only, serving, stuck_tagging

SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}
LEE = {"id": "29:1user-two", "name": "Lee Manager", "aadObjectId": "aad-user-2"}
CHAT = "a:1personal-chat-1"  # message_personal's 1:1 chat
REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"
NIGHTS = "wrong, it's nights not days"


def _quote(receipt_id: str, words: str) -> str:
    """The HTML copy Teams attaches to a quote-reply: the quote of Snag's receipt, then the new words."""
    return (
        f'<blockquote itemscope="" itemtype="http://schema.skype.com/Reply" itemid="{receipt_id}">'
        f'<strong itemprop="mri" itemid="28:bot-app-id">Snag</strong>'
        f'<span itemprop="time" itemid="{receipt_id}"></span>'
        f'<p itemprop="preview">Thanks, saved as report #1. Stage: billing…</p></blockquote>'
        f"<p>{words.replace(chr(39), '&#39;')}</p>"
    )


def _quote_reply(
    url: str, receipt_id: str, words: str, *, text: str | None = None, sender: dict = SAM, chat: str = CHAT
) -> dict:
    """A quote-reply in a 1:1 chat, as Teams sends it; `text` is what its text field holds (the new words)."""
    return fixture(
        "message_personal",
        url,
        id="1700000000005",
        text=words if text is None else text,
        replyToId=receipt_id,
        attachments=[{"contentType": "text/html", "content": _quote(receipt_id, words)}],
        conversation={"conversationType": "personal", "tenantId": "tenant-a", "id": chat},
        **{"from": sender},
    )


async def _file(client, connector: FakeConnector, **changes: object) -> str:  # type: ignore[no-untyped-def]
    """File a report in a 1:1 chat; the id the fake Bot Connector gave its receipt."""
    await client.post("/api/messages", json=fixture("message_personal", connector.url, **changes))
    path, body = connector.calls[-1]
    assert "saved as report #" in json.dumps(body)
    return f"act-{len(connector.calls)}"


def _kept(services) -> list[ReceiptMessage]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(ReceiptMessage).order_by(ReceiptMessage.id)).all())


@pytest.mark.parametrize(
    "text",
    [
        NIGHTS,  # what Teams sends: the quote only in the HTML copy
        f"Snag\r\nThanks, saved as report #1. Stage: billing…\r\n{NIGHTS}",  # flattened into the text too
        _quote("RECEIPT", NIGHTS),  # the HTML in the text
    ],
    ids=["new-words", "flattened-quote", "html-quote"],
)
async def test_a_quote_reply_to_a_receipt_is_added_to_its_report(teams, text: str) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    seen, sent = len(services.snag.classifier.seen), len(connector.calls)
    response = await client.post(
        "/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS, text=text.replace("RECEIPT", receipt))
    )
    assert response.status == 201
    [row] = reports(services)
    assert row.text == f"{REFUNDS}; also: {NIGHTS}"
    assert services.snag.classifier.seen[seen:] == [row.text]  # tagged again
    [(path, body)] = connector.calls[sent:]
    assert path.startswith(f"/v3/conversations/{CHAT}/activities")
    assert titles(connector)[-1] == f"Added to report #{row.id}."


async def test_the_same_quote_reply_again_is_added_and_answered_once(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    reply = _quote_reply(connector.url, await _file(client, connector), NIGHTS)
    await client.post("/api/messages", json=reply)
    sent = len(connector.calls)
    await client.post("/api/messages", json=reply)
    assert connector.calls[sent:] == []
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}"]


async def test_a_quote_reply_to_an_added_to_answer_adds_to_the_same_report(teams) -> None:  # type: ignore[no-untyped-def]
    """People quote the newest message about their report, which after one addition is "Added to report #N."."""
    services, client, connector = teams
    await client.post("/api/messages", json=_quote_reply(connector.url, await _file(client, connector), NIGHTS))
    assert titles(connector)[-1].startswith("Added to report #")
    added = f"act-{len(connector.calls)}"
    later = _quote_reply(connector.url, added, "and the night manager can't see the inbox")
    await client.post("/api/messages", json=dict(later, id="1700000000009"))
    [row] = reports(services)
    assert row.text == f"{REFUNDS}; also: {NIGHTS}; also: and the night manager can't see the inbox"
    assert titles(connector)[-1] == f"Added to report #{row.id}."


async def test_a_quote_of_someone_elses_receipt_is_a_report_of_its_own(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    lees = await _file(client, connector, **{"from": LEE})  # Lee's report, its receipt in the same chat
    await client.post("/api/messages", json=_quote_reply(connector.url, lees, "it's on nights as well", sender=LEE))
    [lee_row] = reports(services)
    assert lee_row.text == f"{REFUNDS}; also: it's on nights as well"  # Lee's own quote-reply adds
    sams = _quote_reply(connector.url, lees, "the label printer jams every morning", sender=SAM)
    await client.post("/api/messages", json=dict(sams, id="1700000000006"))
    assert [r.text for r in reports(services)] == [lee_row.text, "the label printer jams every morning"]
    assert titles(connector)[-1].startswith("Thanks, saved as report #")


async def test_a_quote_of_a_message_that_is_no_receipt_is_a_report_of_its_own(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id="1700000000007", text="help"))
    unknown = _quote_reply(connector.url, f"act-{len(connector.calls)}", "the label printer jams every morning")
    await client.post("/api/messages", json=dict(unknown, id="1700000000008"))  # quoting the help answer
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}", "the label printer jams every morning"]


async def test_a_command_in_a_quote_reply_is_answered_as_one(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, "help"))
    assert titles(connector)[-1] == "Snag commands"
    assert [r.text for r in reports(services)] == [REFUNDS]
    [row] = reports(services)
    flattened = f"Snag Thanks, saved as report #{row.id}. erase {row.id}"  # the quote in its text too
    await client.post(
        "/api/messages",
        json=dict(_quote_reply(connector.url, receipt, f"erase {row.id}", text=flattened), id="1700000000009"),
    )
    assert reports(services) == [] and _kept(services) == []


async def test_erasing_a_report_deletes_its_receipts_ids(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    first = await _file(client, connector)
    await _file(client, connector, id="1700000000002", text="the label printer jams every single morning")
    [kept_first, kept_second] = _kept(services)
    assert (kept_first.conversation_id, kept_first.activity_id) == (CHAT, first)
    [row, other] = reports(services)
    await client.post(
        "/api/messages", json=fixture("message_personal", connector.url, id="1700000000003", text=f"erase {row.id}")
    )
    assert [k.report_id for k in _kept(services)] == [other.id]
    await client.post("/api/messages", json=_quote_reply(connector.url, first, NIGHTS))  # its receipt: gone
    assert [r.text for r in reports(services)] == [other.text, NIGHTS]


async def test_a_channel_reports_receipt_in_the_1_1_chat_takes_quote_replies(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post(
        "/api/messages", json=in_thread(connector.url, "1700000000010", "the rota lives in a whatsapp group", SAM)
    )
    [opened] = [i for i, (path, _) in enumerate(connector.calls) if path == "/v3/conversations"]
    receipt = f"act-{opened + 2}"  # the receipt, sent in the 1:1 chat Teams opened (a:1created-1)
    assert "saved as report #" in json.dumps(connector.calls[opened + 1][1])
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS, chat="a:1created-1"))
    [row] = reports(services)
    assert (row.channel, row.text) == (OPS, f"the rota lives in a whatsapp group; also: {NIGHTS}")
    assert titles(connector)[-1] == f"Added to report #{row.id}."


async def test_a_receipt_owed_and_sent_by_the_next_process_is_kept_for_quote_replies(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    stuck = stuck_tagging(services, then_fail=True)  # the process dies while tagging
    assert await post_only(client, fixture("message_personal", connector.url)) == 201
    assert await asyncio.to_thread(stuck.entered.wait, 5)
    await die(client)
    stuck.resume.set()
    async with serving(services) as restarted:
        await restarted.drain()
        [receipt] = connector.sent_to(CHAT)
        assert "saved as report #" in json.dumps(receipt)
        [kept] = _kept(services)
        assert (kept.conversation_id, kept.activity_id) == (CHAT, "act-1")


async def test_an_edited_quote_reply_that_was_added_is_not_filed_too(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    reply = _quote_reply(connector.url, await _file(client, connector), NIGHTS)
    await client.post("/api/messages", json=reply)
    sent = len(connector.calls)
    edit = dict(reply, type="messageUpdate", text="wrong, it's nights and weekends")
    edit["channelData"] = {"tenant": {"id": "tenant-a"}, "eventType": "editMessage"}
    assert (await client.post("/api/messages", json=edit)).status in (200, 201)
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}"]
    assert connector.calls[sent:] == []


async def test_a_reply_to_id_without_a_quote_is_no_quote_reply(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    receipt = await _file(client, connector)
    await client.post("/api/messages", json=_quote_reply(connector.url, receipt, NIGHTS))
    plain = fixture(
        "message_personal",
        connector.url,
        id="1700000000006",
        text="the label printer jams every morning",
        replyToId=receipt,
    )
    await client.post("/api/messages", json=plain)
    assert [r.text for r in reports(services)] == [f"{REFUNDS}; also: {NIGHTS}", "the label printer jams every morning"]
