"""The digest after retention and under k: no placeholder quoted, no small "other" count shown."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.taxonomy import load_taxonomy
from digests.digest import Audience, build_digest
from digests.quotes import load_quotes
from digests.render import to_markdown, to_reply
from store.privacy import RETAINED_TEXT
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot


def _not_listed(texts: list[str]) -> list[str]:
    return [t for t in texts if "Not listed" in t]


def test_a_small_other_slice_shows_no_count_in_any_rendering(digest_services) -> None:  # type: ignore[no-untyped-def]
    from adapters.slack.render import blocks
    from adapters.teams.render import card_for
    from digests.html import to_html

    tx = digest_services.taxonomy
    d = build_digest(_snapshot(), Audience("all"), tx, k=3)
    assert d.other_reports == 1 + 3  # pattern 5: one reporter, one report; patterns 3 and 4's, from under 3 people
    reply = to_reply(d, tx)
    (line,) = _not_listed([s.text for s in reply.sections])
    assert line.startswith("Not listed: more report(s) this week from fewer than 3 people")
    renderings = {
        "markdown": to_markdown(d, tx),
        "html": to_html(d, tx, charts=False),
        "block kit": str(blocks(reply)),
        "adaptive card": str(card_for(reply)),
    }
    for name, text in renderings.items():
        assert "Not listed: more report(s) this week from fewer than 3 people" in text, name
        assert "Not listed: 1 " not in text, name
    one_person = to_reply(replace(d, other_reports=7), tx)  # many reports, still under k people: no count
    assert [t[:50] for t in _not_listed([s.text for s in one_person.sections])] == [line[:50]]
    many = to_reply(replace(d, other_reports=7, other_countable=True), tx)
    assert _not_listed([s.text for s in many.sections]) == [
        "Not listed: 7 more report(s) this week in other patterns and in the lines above that give no count, "
        "among them every pattern with fewer than 3 reporters."
    ]


def test_quotes_skip_texts_removed_by_retention(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = digest_services.taxonomy
    snap = _snapshot()
    snap.quotes = {1: RETAINED_TEXT, 2: "the refund sheet is emailed back and forth", 3: "  "}
    d = build_digest(snap, Audience("all"), tx, k=3)
    assert [pid for pid, _ in d.quotes] == [2]
    assert "retention" not in to_markdown(d, tx)


def test_the_digest_quotes_no_placeholder_after_retention(demo_services) -> None:  # type: ignore[no-untyped-def]
    service = demo_services.extras["digests"]
    before = service.build(platform="console", tenant="local", audience="all", now=NOW)
    assert before.quotes
    cut = before.week_end - timedelta(days=2)  # the week's texts up to two days before its end go
    assert demo_services.repository.apply_retention(older_than=cut) > 0
    d = service.build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.quotes and all(RETAINED_TEXT not in quote for _, quote in d.quotes)
    everything = demo_services.repository.apply_retention(older_than=NOW)
    assert everything > 0
    ids = [pid for pid, _ in before.quotes]
    assert (
        load_quotes(demo_services.engine, ids, before.week_start, before.week_end, demo_services.taxonomy) == {}
    )  # not the placeholder
    d = service.build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.quotes == () and "In their words" not in to_markdown(d, demo_services.taxonomy)


def test_load_quotes_takes_the_latest_text_still_there(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from digests.snapshot import digest_week
    from store.models import Pattern, Report, Tenant

    start, end = digest_week(NOW)
    with Session(engine) as s:
        tenant = Tenant(platform="console", external_id="t")
        s.add(tenant)
        s.commit()
        mixed, removed = Pattern(tenant_id=tenant.id, title="mixed"), Pattern(tenant_id=tenant.id, title="removed")
        s.add_all([mixed, removed])
        s.commit()
        for pattern, text, day in [
            (mixed, "the refund sheet is emailed back and forth", 1),
            (mixed, RETAINED_TEXT, 3),  # the latest of the week, reduced to its tags
            (removed, RETAINED_TEXT, 2),
        ]:
            s.add(
                Report(
                    tenant_id=tenant.id,
                    pattern_id=pattern.id,
                    platform="console",
                    reporter_key="k",
                    text=text,
                    created_at=start + timedelta(days=day),
                )
            )
        s.commit()
        ids = [mixed.id, removed.id]
    quotes = load_quotes(engine, ids, start, end, load_taxonomy())
    assert quotes == {ids[0]: "the refund sheet is emailed back and forth"}
