"""Core replies as Block Kit: escaping, Slack's limits, and valid blocks for every card."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import render, views
from adapters.slack.text import ELLIPSIS, escape, split, truncate
from bot import cards
from bot.commands import USAGE, QueryFilters
from bot.domain import Handoff, PatternSummary, Reply, ReportRecord, Section, Tags
from bot.errors import NotFound, UsageError
from bot.taxonomy import load_taxonomy
from tests.slack.validate import (
    answer_text,
    assert_valid_blocks,
    assert_valid_message,
    assert_valid_view,
)

TAXONOMY = load_taxonomy()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> <!here> <@U0123ABCD> <https://evil.example|click me> & @everyone <#C123> &amp;"


def record(text: str = "refunds wait a week", tags: Tags | None = None, **kw: object) -> ReportRecord:
    tags = tags or Tags("billing", ("waiting",), ("finance",), Handoff("support", "finance"))
    return ReportRecord(
        id=7,
        tenant="T1",
        platform="slack",
        channel="C1",
        reporter_key="k",
        text=text,
        created_at=NOW,
        tags=tags,
        status="tagged",
        **kw,
    )  # type: ignore[arg-type]


def pattern(i: int, title: str = "Refunds wait in finance") -> PatternSummary:
    return PatternSummary(
        id=i,
        title=title,
        stage="billing",
        kinds=("waiting",),
        teams=("finance",),
        status="new",
        owner=None,
        report_count=5,
        reporter_count=4,
        first_seen=NOW,
        last_seen=NOW,
        recent_count=5,
    )


def every_card() -> list[Reply]:
    filters = QueryFilters(since=NOW, days=30, team="finance")
    stats = {
        "reports": 9,
        "stage": {"billing": (6, 4), "support": (3, 1)},
        "kind": {"waiting": (9, 5)},
        "team": {},
    }
    return [
        cards.receipt(record(HOSTILE), TAXONOMY),
        cards.receipt(
            record(tags=Tags(None, ("workaround",), ())),
            TAXONOMY,
            notices=("Your report was long.",),
        ),
        cards.receipt(record(), TAXONOMY, corrected=True),
        cards.receipt(record(tags=None), TAXONOMY, duplicate=True),  # type: ignore[arg-type]
        cards.fix_form(record(), TAXONOMY),
        cards.thanks(7, "Noted: this happens daily."),
        cards.usage(USAGE),
        cards.problem(UsageError("`x` is not a team.")),
        cards.problem(NotFound("I can't find report #9.")),
        cards.apology("abc123"),
        cards.prompt_for_sentence(),
        cards.saved_for_later(),
        cards.top([pattern(i, f"{HOSTILE} {i}") for i in range(1, 12)], filters, TAXONOMY, k=3, other=(0, 0)),
        cards.mine([record(HOSTILE)] * 15, TAXONOMY),
        cards.search([record("x" * 5000)], ("<!here>",), TAXONOMY, now=NOW),
        cards.search([record("x" * 5000)] * 10, ("<!here>",), TAXONOMY, now=NOW, matched=2500, capped=True),
        cards.pattern(pattern(3), TAXONOMY, quotes=(HOSTILE, "y" * 400), k=3),
        cards.stats(stats, TAXONOMY, k=3),
    ]


@pytest.mark.parametrize("reply", every_card(), ids=lambda r: f"{r.kind}:{r.title[:20]}")
def test_every_card_renders_to_valid_blocks_as_message_and_modal(reply: Reply) -> None:
    assert_valid_message(render.message(reply))
    assert_valid_view(views.reply_view(reply))
    if reply.form is not None:
        assert_valid_view(views.form_view(reply, metadata={"u": "https://hooks.slack.com/x"}))


def test_hostile_text_shows_literally_and_notifies_no_one() -> None:
    shown = answer_text(render.message(cards.receipt(record(HOSTILE), TAXONOMY)))
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U0123ABCD&gt; &lt;https://evil.example|click me&gt; &amp; " in shown
    assert "@\u2060everyone" in shown and "&amp;amp;" in shown
    assert not re.search(r"<[!@#]|<https?:", shown)
    assert all(t["verbatim"] for t in _mrkdwn_objects(render.blocks(cards.receipt(record(HOSTILE), TAXONOMY))))


def _mrkdwn_objects(value: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            found.append(value)
        for v in value.values():
            found += _mrkdwn_objects(v)
    elif isinstance(value, list):
        for v in value:
            found += _mrkdwn_objects(v)
    return found


def test_escape_and_the_fallback_text() -> None:
    assert escape("a & b <c> @here") == "a &amp; b &lt;c&gt; @\u2060here"
    reply = Reply(kind="list", title="Reports matching “<!here>”")
    assert render.fallback_text(reply) == "Reports matching “&lt;!here&gt;”"


def test_truncation_never_splits_an_entity_and_shows_an_ellipsis() -> None:
    escaped = escape("a" * 2996 + "<<<<")
    cut = truncate(escaped, 3000)
    assert len(cut) <= 3000 and cut.endswith(ELLIPSIS)
    assert not re.search(r"&[a-z]*" + ELLIPSIS, cut)
    assert truncate("short", 3000) == "short"


def test_long_text_is_split_into_sections_of_at_most_3000() -> None:
    words = escape(" ".join(["friction&co"] * 2000))
    pieces = split(words, 3000)
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == words.replace(" ", "")
    blocks = render.section_blocks(Section(text=" ".join(["friction"] * 2000), heading="Long"))
    assert len(blocks) > 1 and all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_too_many_sections_keep_title_and_buttons_and_say_how_many_more() -> None:
    sections = tuple(Section(text=f"line {i}") for i in range(120))
    reply = Reply(
        kind="list",
        title="Many",
        sections=sections,
        buttons=cards.receipt(record(), TAXONOMY).buttons,
    )
    blocks = render.blocks(reply)
    assert_valid_blocks(blocks, max_blocks=50)
    assert len(blocks) == 50
    assert blocks[0]["text"]["text"] == "*Many*" and blocks[-1]["type"] == "actions"
    assert blocks[-2]["elements"][0]["text"] == "… 73 more not shown."  # 120 - (50 - title - note - buttons)
    assert blocks[47]["text"]["text"] == "line 46"


def test_a_huge_reply_stays_under_40000_characters() -> None:
    sections = tuple(Section(text="z" * 2900) for _ in range(40))
    blocks = render.blocks(Reply(kind="digest", title="Digest", sections=sections))
    assert render.text_chars(blocks) <= render.MAX_TOTAL_CHARS
    assert "more not shown" in blocks[-1]["elements"][0]["text"]


def test_a_long_digest_is_split_over_several_valid_messages() -> None:
    sections = tuple(Section(heading=f"#{i}", text="w " * 1000) for i in range(90))
    pages = render.pages(Reply(kind="digest", title="Weekly digest", sections=sections))
    assert len(pages) > 1
    for page in pages:
        assert_valid_message(page)
    shown = sum(1 for p in pages for b in p["blocks"] if b["type"] == "section" and b["text"]["text"].startswith("*#"))
    assert shown == 90 or "more not shown" in answer_text(pages[-1])


def test_answered_replaces_only_the_answered_question() -> None:
    blocks = render.blocks(cards.receipt(record(), TAXONOMY))
    out = render.answered(blocks, "snag:7:1", "Noted, thanks.")
    ids = [b.get("block_id") for b in out]
    assert "snag:7:1" not in ids and "snag:7:1:label" not in ids and "snag:7:0" in ids
    assert "✓ Noted, thanks." in answer_text({"blocks": out})


def test_report_view_prefills_and_keeps_own_picks() -> None:
    tags = Tags("billing", ("waiting",), ("finance",))
    view = views.report_view(TAXONOMY, text="x", tags=tags, picks={"stage": "delivery"}, version=2)
    assert_valid_view(view)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["stage@2"]["element"]["initial_option"]["value"] == "delivery"
    assert [o["value"] for o in blocks["teams@2"]["element"]["initial_options"]] == ["finance"]


def test_home_view_fits_within_100_blocks() -> None:
    mine = cards.mine([record(HOSTILE)] * 15, TAXONOMY)
    top = cards.top([pattern(i) for i in range(1, 60)], QueryFilters(since=NOW), TAXONOMY, k=3, other=(0, 0))
    assert_valid_view(views.home_view(mine, top))
    assert_valid_view(views.home_view(mine))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=7000))
def test_any_text_renders_valid_and_never_raw_markup(text: str) -> None:
    reply = cards.receipt(record(text), TAXONOMY)
    message = render.message(reply)
    assert_valid_message(message)
    for obj in _mrkdwn_objects(message["blocks"]):
        assert "<" not in obj["text"] and ">" not in obj["text"]
    long = Reply(kind="list", title=text[:200], sections=(Section(text=text, heading=text[:50]),))
    assert_valid_message(render.message(long))
