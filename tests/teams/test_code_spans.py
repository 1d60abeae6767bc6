"""What to type, written `erase <number>` as Slack shows it, is a monospace run in a Teams card
(TextRuns are not markdown: the backticks showed as typed); what people wrote keeps its backticks."""

from __future__ import annotations

import json

from bot.domain import Reply, Section
from tests.teams.cards import assert_valid_card
from tests.teams.connector import fixture

PRINTER = "the `print` button in the WMS greys out so we hand-write every label"
MONO = "Monospace"


def runs(card: dict) -> list[dict]:
    """Every TextRun of a card, in order."""
    return [run for block in card["body"] if block["type"] == "RichTextBlock" for run in block["inlines"]]


async def say(client, connector, text: str, n: int) -> dict:  # type: ignore[no-untyped-def]
    """Type in the 1:1 chat; the card Snag answered with."""
    await client.post("/api/messages", json=fixture("message_personal", connector.url, id=f"m-{n}", text=text))
    card = connector.cards()[-1]
    assert_valid_card(card)
    return card


async def test_what_to_type_is_monospace_without_backticks(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    await say(client, connector, PRINTER, 1)
    card = await say(client, connector, "mine", 2)
    [notice] = [b for b in card["body"] if b["inlines"][0].get("color") == "Warning"]
    assert "".join(r["text"] for r in notice["inlines"]) == (
        "To take one back, type erase <number>; erase mine takes back all of them."
    )
    coded = [r["text"] for r in notice["inlines"] if r.get("fontType") == MONO]
    assert coded == ["erase <number>", "erase mine"]
    assert all(r.get("color") == "Warning" for r in notice["inlines"])  # the notice's style, every run
    card = await say(client, connector, "mien", 3)
    title = card["body"][0]["inlines"]
    assert "Did you mean mine?" in "".join(r["text"] for r in title)
    assert {"type": "TextRun", "text": "mine", "weight": "Bolder", "size": "Medium", "fontType": MONO} in title


async def test_a_report_with_backticks_is_shown_as_typed(teams) -> None:  # type: ignore[no-untyped-def]
    _services, client, connector = teams
    receipt = await say(client, connector, PRINTER, 1)
    listed = await say(client, connector, "mine", 2)
    for card in (receipt, listed):
        assert PRINTER in [r["text"] for r in runs(card)]
        assert not any(r.get("fontType") and "print" in r["text"] for r in runs(card))
    last = await say(client, connector, "erase last", 3)  # Snag's sentence quoting the report
    said = "".join(r["text"] for r in last["body"][0]["inlines"])
    assert said.startswith(f"Your last report is #1: “{PRINTER}”. To erase it, type erase 1.")
    assert [r["text"] for r in last["body"][0]["inlines"] if r.get("fontType") == MONO] == ["erase 1", "erase mine"]


async def test_snags_own_sections_show_code_spans_a_digests_do_not(teams) -> None:  # type: ignore[no-untyped-def]
    """A subscription's failure reads "`snag scheduler` tries again"; a digest's lines come from reports."""
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("installation_update_add", connector.url))
    messenger = services.extras["messengers"]["teams"]
    channel = "19:channel-leads@thread.tacv2"
    for kind in ("text", "digest"):
        reply = Reply(kind=kind, title="t", sections=(Section(text="x; `snag scheduler` tries again"),))
        await messenger.send(platform="teams", tenant="tenant-a", destination=channel, reply=reply)
    own, digest = (runs(card)[1:] for card in connector.cards()[-2:])
    assert [r["text"] for r in own] == ["x; ", "snag scheduler", " tries again"] and own[1]["fontType"] == MONO
    assert digest == [{"type": "TextRun", "text": "x; `snag scheduler` tries again"}]
    assert json.dumps(connector.cards()[-2]).count("`") == 0
