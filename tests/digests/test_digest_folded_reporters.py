"""Folded "other" counts are shown only for slices of at least k distinct reporters.

The "Not listed" line and the "Other" cells of the handoff hotspots and the stage x kind heat map
fold small slices together; as in the export (bot/exporting.py), their number of reports is shown
only when the folded reports come from at least k people, however many reports there are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session

from bot.taxonomy import load_taxonomy
from digests.digest import Audience, build_digest
from digests.render import to_markdown, to_reply
from digests.service import Digests
from digests.week import digest_week
from tests.digests import world
from tests.digests.conftest import NOW
from tests.digests.test_digest import _snapshot

TX = load_taxonomy()
START, _ = digest_week(NOW)
DAY = START + timedelta(days=2)


def _busy(s: Session, tenant: int) -> None:
    """Two patterns everyone sees: five people each, a handoff from support to finance, while onboarding."""
    tags = {"handoff_from": "support", "handoff_to": "finance", "stage": "onboarding", "kinds": ["waiting"]}
    for title in ("refunds wait", "invoices bounce"):
        pid = world.pattern(s, tenant, title, START - timedelta(days=30))
        world.reports(s, tenant, pid, [(DAY, f"k{i}") for i in range(5)], **tags)


def _fields(reply, heading: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(next(s for s in reply.sections if (s.heading or "").startswith(heading)).fields)


def _not_listed(reply) -> str:  # type: ignore[no-untyped-def]
    return next(s.text for s in reply.sections if s.text.startswith("Not listed"))


def test_many_reports_from_one_person_show_no_count(engine) -> None:  # type: ignore[no-untyped-def]
    """One person's five reports: a small pattern, a handoff cell and a heat cell of their own."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        _busy(s, tenant)
        mine = world.pattern(s, tenant, "one person's problem", START - timedelta(days=30))
        tags = {"handoff_from": "it", "handoff_to": "sales", "stage": "delivery", "kinds": ["duplicate_entry"]}
        world.reports(s, tenant, mine, [(DAY + timedelta(hours=h), "alone") for h in range(5)], **tags)
    d = Digests(engine, TX, k=3).build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.other_reports == 5 and not d.other_countable
    assert d.hotspots_other == 5 and not d.hotspots_other_countable
    assert d.heat_other == 5 and not d.heat_other_countable
    reply = to_reply(d, TX)
    assert _not_listed(reply).startswith("Not listed: more report(s) this week from fewer than 3 people")
    assert _fields(reply, "Handoff hotspots")["Other"] == "from fewer than 3 people"
    assert _fields(reply, "Where it hurts")["Other"] == "from fewer than 3 people"
    assert to_markdown(d, TX).count("| Other | from fewer than 3 people |") == 2


def test_small_slices_of_enough_people_together_are_counted(engine) -> None:  # type: ignore[no-untyped-def]
    """Three people's small patterns and cells, each under k, together from k people: counted."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        _busy(s, tenant)
        small = (("x", "it", "sales", "handoff"), ("y", "sales", "it", "workaround"), ("z", "it", "sales", "handoff"))
        for who, a, b, kind in small:
            mine = world.pattern(s, tenant, f"{who}'s problem", START - timedelta(days=30))
            tags = {"handoff_from": a, "handoff_to": b, "stage": "delivery", "kinds": [kind]}
            world.reports(s, tenant, mine, [(DAY, who)], **tags)
    d = Digests(engine, TX, k=3).build(platform="console", tenant="local", audience="all", now=NOW)
    assert (d.other_reports, d.other_countable) == (3, True)
    assert (d.hotspots_other, d.hotspots_other_countable) == (3, True)  # it→sales (x, z) and sales→it (y)
    assert (d.heat_other, d.heat_other_countable) == (3, True)
    reply = to_reply(d, TX)
    assert _not_listed(reply).startswith("Not listed: 3 more report(s) this week")
    assert _fields(reply, "Handoff hotspots")["Other"] == "3"
    assert _fields(reply, "Where it hurts")["Other"] == "3"


def test_a_long_slice_is_read_until_k_people_or_its_end(engine) -> None:  # type: ignore[no-untyped-def]
    """600 reports outside the listed patterns from two people, then one more person's."""
    with Session(engine) as s:
        tenant = world.tenant(s)
        _busy(s, tenant)
        mine = world.pattern(s, tenant, "two people's problem", START - timedelta(days=30))
        world.reports(s, tenant, mine, [(DAY + timedelta(minutes=m), f"p{m % 2}") for m in range(600)])
    digests = Digests(engine, TX, k=3)
    d = digests.build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.other_reports == 600 and not d.other_countable
    with Session(engine) as s:
        world.reports(s, world.tenant(s), None, [(DAY, "third")])  # a report without a pattern
    d = digests.build(platform="console", tenant="local", audience="all", now=NOW)
    assert d.other_reports == 601 and d.other_countable


def test_the_python_build_folds_alike(digest_services) -> None:  # type: ignore[no-untyped-def]
    """The snapshot of tests.digests.test_digest: one lonely report outside, in a handoff cell of its
    own (and three in listed lines whose counts this week, from fewer than 3 people, are not shown)."""
    d = build_digest(_snapshot(), Audience("all"), TX, k=3)
    assert (d.other_reports, d.other_countable) == (1 + 3, False)
    assert (d.hotspots_other, d.hotspots_other_countable) == (1, False)
    counted = replace(d, hotspots_other_countable=True)
    assert _fields(to_reply(counted, TX), "Handoff hotspots")["Other"] == "1"
