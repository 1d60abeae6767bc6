"""Which words the digest quotes: never a report filed where others saw who wrote it, a text that
names nobody before one that needs [name], and the Markdown shows them exactly as typed."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlmodel import Session

from bot import listings
from bot.domain import PatternSummary, Person, Platform, Role
from bot.taxonomy import load_taxonomy
from digests.digest import MAX_QUOTES, Audience, build_digest
from digests.quotes import POOL, load_quotes
from digests.render import _md_escape, to_markdown
from digests.snapshot import WeekReport, digest_week
from store.models import Pattern, Report, Tenant
from store.privacy import RETAINED_TEXT
from store.repository import SqlRepository
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot

HOSTILE = (
    "refunds sit in the finance inbox, see [Reset your SSO password here](https://evil.example/login) "
    "![x](https://evil.example/pixel.png) <b>x</b> &lt;i&gt; *loud* `code` a|b"
)


def _week_reports(engine: sa.Engine, rows: list[tuple[str, str, int, bool]]) -> tuple[int, list[int]]:
    """Tenant and patterns by title; each row: (pattern title, text, day of the digest week, shared)."""
    start, _ = digest_week(NOW)
    with Session(engine) as s:
        tenant = Tenant(platform="console", external_id="t")
        s.add(tenant)
        s.commit()
        titles = list(dict.fromkeys(title for title, *_ in rows))
        patterns = {title: Pattern(tenant_id=tenant.id, title=title) for title in titles}
        s.add_all(patterns.values())
        s.commit()
        for n, (title, text, day, shared) in enumerate(rows):
            when = start + timedelta(days=day, minutes=n)
            s.add(
                Report(
                    tenant_id=tenant.id,
                    pattern_id=patterns[title].id,
                    platform="console",
                    reporter_key=f"k{n}",
                    text=text,
                    created_at=when,
                    shared=shared,
                )
            )
        s.commit()
        return tenant.id, [patterns[t].id for t in titles]  # type: ignore[misc, return-value]


def test_a_shared_report_is_never_the_quote_and_a_plain_one_comes_first(engine) -> None:  # type: ignore[no-untyped-def]
    _, (channel, signed, only_signed, only_shared, removed) = _week_reports(
        engine,
        [
            ("channel", "the van is late every friday", 1, False),
            ("channel", "the van is late every friday and the manifest is wrong", 3, True),  # latest, in a channel
            ("signed", "the rota reaches us on sunday night", 1, False),
            ("signed", "the rota reaches us on sunday night. Thanks, Priya (night sister)", 2, False),
            ("only signed", "I'm Sam and the hoist has been broken for a week", 1, False),
            ("only shared", "the intake form asks for the address twice", 1, True),
            ("removed", RETAINED_TEXT, 1, False),
        ],
    )
    start, end = digest_week(NOW)
    assert load_quotes(engine, [channel, signed, only_signed, only_shared, removed], start, end, load_taxonomy()) == {
        channel: "the van is late every friday",
        signed: "the rota reaches us on sunday night",  # older, but it names nobody
        only_signed: "I'm Sam and the hoist has been broken for a week",  # the digest scrubs it
    }


def test_only_the_latest_few_texts_of_a_pattern_are_read(engine) -> None:  # type: ignore[no-untyped-def]
    rows = [("p", "the van is late every friday", 0, False)]
    rows += [("p", f"the van is late again, week {n}. Thanks, Sam", 1 + n % 5, False) for n in range(POOL)]
    _, [pid] = _week_reports(engine, rows)
    start, end = digest_week(NOW)
    assert load_quotes(engine, [pid], start, end, load_taxonomy()) == {
        pid: f"the van is late again, week {POOL - 1}. Thanks, Sam"
    }


def test_the_digest_scrubs_names_and_prefers_quotes_that_need_no_scrubbing(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = digest_services.taxonomy
    snap = _snapshot()
    for pid in (3, 4):  # three people's reports this week, so that they are listed as most reported, and quoted
        snap.history[pid] = dict(zip(snap.weeks, (0, 0, 0, 0, 2, 2, 3, 3), strict=True))
        snap.reports += [WeekReport(pid, f"q{i}", "billing", ("waiting",), ("finance",), None, None) for i in range(3)]
    signed = "refunds wait a week. Thanks, Priya (night sister, ward 4)"
    snap.quotes = {1: signed, 2: "the refund sheet goes back and forth", 3: "the refund form asks twice"}
    d = build_digest(snap, Audience("all"), tx, k=3)
    assert MAX_QUOTES == 3 and len(d.quotes) == 3
    assert dict(d.quotes)[1] == "refunds wait a week. Thanks, [name]"  # all fit: in rank order, scrubbed
    snap.quotes[4] = "the refund list is kept in a spreadsheet"
    d = build_digest(snap, Audience("all"), tx, k=3)
    assert [pid for pid, _ in d.quotes] == [2, 3, 4]  # four to choose from: the three that name nobody
    assert "Priya" not in to_markdown(d, tx) and "night sister" not in to_markdown(d, tx)


def test_the_pattern_card_scrubs_names_and_shows_three_plain_quotes_first(digest_services) -> None:  # type: ignore[no-untyped-def]
    p = PatternSummary(1, "Billing: refund", "billing", ("waiting",), ("finance",), "new", None, 5, 4, NOW, NOW)
    latest = [
        "refunds wait a week. Thanks, Priya (night sister)",
        "refunds wait a week again",
        RETAINED_TEXT,
        "refunds wait for a week or more",
        "I'm Sam and refunds wait",
        "refunds wait, nobody owns them",
    ]
    reply = listings.pattern(p, digest_services.taxonomy, quotes=latest, k=3)
    quotes = [s.text for s in reply.sections if s.text and s.text.startswith("“")]
    assert quotes == [
        "“refunds wait a week again”",
        "“refunds wait for a week or more”",
        "“refunds wait, nobody owns them”",
    ]
    reply = listings.pattern(p, digest_services.taxonomy, quotes=latest[:1], k=3)
    assert [s.text for s in reply.sections if s.text] == ["“refunds wait a week. Thanks, [name]”"]


def test_the_pattern_command_never_quotes_a_report_filed_in_a_channel(engine) -> None:  # type: ignore[no-untyped-def]
    from bot.queries import _pattern

    repo = SqlRepository(engine)
    manager = Person(Platform.CONSOLE, "t", "boss", role=Role.MANAGER)
    for n, (text, shared) in enumerate(
        [("the van is late every friday", False), ("the van is late, said in #dock-3", True), ("van late again", False)]
    ):
        who = Person(Platform.CONSOLE, "t", f"u{n}")
        record, _ = repo.add_report(
            person=who,
            reporter_key=f"k{n}",
            text=text,
            channel="c",
            created_at=NOW + timedelta(minutes=n),
            shared=shared,
        )
        assert record.shared is shared
    with Session(engine) as s:
        tenant_id = s.exec(sa.select(Tenant.id)).scalar_one()  # type: ignore[call-overload]
        pattern = Pattern(tenant_id=tenant_id, title="van")
        s.add(pattern)
        s.commit()
        s.execute(sa.update(Report).values(pattern_id=pattern.id))  # type: ignore[arg-type]
        s.commit()
        pid = pattern.id

    class Snag:  # the part of the core `_pattern` reads
        repository = repo
        taxonomy = load_taxonomy()

    reply = _pattern(Snag(), manager, pid, 3, NOW + timedelta(days=1))  # type: ignore[arg-type]  # asked the next day
    quotes = [s.text for s in reply.sections if s.text and s.text.startswith("“")]
    assert quotes == ["“van late again”", "“the van is late every friday”"]


def test_reports_stored_before_the_column_stay_quotable(db_url: str) -> None:
    from store.db import make_engine, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0010_reports_created_pattern")
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO tenants (platform, external_id, created_at) VALUES ('console', 't', :now)"),
                {"now": datetime(2026, 1, 1)},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO reports (tenant_id, platform, channel, reporter_key, text, created_at, kinds, "
                    "teams, confidence, status) "
                    "VALUES (1, 'console', 'c', 'k', 'the van is late', :now, '[]', '[]', '{}', 'new')"
                ),
                {"now": datetime(2026, 1, 1)},
            )
        upgrade(engine, "head")
        with engine.connect() as conn:
            assert conn.execute(sa.select(Report.shared)).scalar_one() is False  # type: ignore[call-overload]
    finally:
        engine.dispose()


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_markdown_shows_report_text_exactly_as_typed(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = digest_services.taxonomy
    snap = _snapshot()
    snap.quotes = {1: HOSTILE}
    md = to_markdown(build_digest(snap, Audience("all"), tx, k=3), tx)
    html = _rendered(md)
    assert "<a " not in html and "<img" not in html and "<b>" not in html and "<code>" not in html
    [quote] = [part.split("</blockquote>")[0] for part in html.split("<blockquote>")[1:]]
    assert "<em>" not in quote and "<strong>" not in quote
    assert "[Reset your SSO password here](https://evil.example/login)" in html  # the words, as typed
    assert "&lt;b&gt;x&lt;/b&gt; &amp;lt;i&amp;gt; *loud* `code` a|b" in html
    assert "&lt;b&gt;" not in md and "\\<b>x\\</b>" in md  # read in a terminal, still what was typed


def test_markdown_escapes_what_starts_a_block_and_leaves_plain_punctuation_alone() -> None:
    for typed in ["# not a heading", "> not a quote", "- not a list", "+ nor this", "1. nor this", "---", "=="]:
        html = _rendered("- " + _md_escape(typed))
        assert html == f"<ul>\n<li>{typed.replace('>', '&gt;')}</li>\n</ul>\n", typed
    plain = "#12 pattern · 5 (+2, +67% vs last week): 3-4 days! really?"
    assert _md_escape(plain) == plain
