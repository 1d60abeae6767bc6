"""A week's count is shown to leaders only when at least k people made it, and a spike is one rule.

The digest listed "Spiking: #15 … 3 (+2)" whose three reports that week came from two people, and
"Nobody owns this gap: #38 · 1": the anonymity threshold was checked against a pattern's reporters
of all time, while `top` checks the people of its window. And a pattern quiet for a month that
erupted again was listed as Spiking but never alerted: the alert also wanted some report in the
weeks before, its stand-in for "not new". Now the digest and the alert share signals.spikes; a
count from fewer than k people, none included, reads "from fewer than k people"; such a line is
not placed by its count, not listed as Most reported, and not quoted. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from digests.render import to_reply
from tests.digests import world
from tests.digests.conftest import NOW, RecordingMessenger, check_alerts_now, make_services, subscribe_console

START = datetime(2026, 11, 16, tzinfo=UTC)  # the digest week of NOW: 16-22 Nov
SUNDAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # an alert check inside that week (threshold 5, k 3)
LONG_AGO = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


@pytest.fixture
def services(db_url: str, tmp_path: Path) -> Iterator[object]:
    """Services on SQLite and on the real PostgreSQL."""
    made = make_services(tmp_path, db_url)
    yield made
    made.engine.dispose()


def _world(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Patterns first seen on 5 Oct by three people (so each has k reporters of all time), then:

    erupt: quiet for the four weeks before, four people this week (owned);
    pair: quiet too, then five reports this week from two people;
    steady: three a week from three people, also this week;
    lone: one report this week;
    faded: four a week from four people, none this week (owned);
    fresh: first seen this week, two people this week and a third after it."""
    ids: dict[str, int] = {}
    with Session(services.engine) as session:
        tenant = world.tenant(session)

        def made(name: str, first: datetime = LONG_AGO, **columns: object) -> int:
            ids[name] = world.pattern(session, tenant, name, first, **columns)
            if first == LONG_AGO:
                world.reports(session, tenant, ids[name], [(LONG_AGO, f"{name}-{i}") for i in range(3)])
            return ids[name]

        def filed(name: str, *reports: tuple[datetime, str]) -> None:
            world.reports(session, tenant, ids[name], reports)

        made("erupt", owner="IT")
        filed("erupt", *[(START + timedelta(days=1, hours=i), f"e{i}") for i in range(4)])
        made("pair")
        filed("pair", *[(START + timedelta(days=2, hours=i), f"p{i % 2}") for i in range(5)])
        made("steady")
        for week in range(5):
            filed("steady", *[(START - week * WEEK + timedelta(days=3, hours=i), f"s{i}") for i in range(3)])
        made("lone")
        filed("lone", (START + timedelta(days=4), "l0"))
        made("faded", owner="IT")
        for week in range(1, 5):
            filed("faded", *[(START - week * WEEK + timedelta(days=2, hours=i), f"f{i}") for i in range(4)])
        made("fresh", START + timedelta(days=1))
        filed("fresh", (START + timedelta(days=1), "n0"), (START + timedelta(days=2), "n1"), (START + WEEK, "n2"))
    return ids


def _digest(services):  # type: ignore[no-untyped-def]
    return services.extras["digests"].build(platform="console", tenant="local", audience="all", now=NOW)


def _text(services, section: str) -> list[str]:  # type: ignore[no-untyped-def]
    reply = to_reply(_digest(services), services.taxonomy)
    found = [s.text for s in reply.sections if (s.heading or "").startswith(section)]
    return found[0].split("\n") if found else []


def test_a_dormant_pattern_that_erupts_spikes_in_the_digest_and_in_the_alert_alike(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    subscribe_console(services, "C-leaders")
    messenger = RecordingMessenger()
    assert check_alerts_now(services, messenger, SUNDAY) == 1
    assert [reply.title for _, _, _, reply in messenger.sent] == [f"Snag alert: pattern #{ids['erupt']} erupt"]
    reply = messenger.sent[0][3]
    assert reply.sections[0].text.startswith("Spiking: 4 reports this week. Spiking means")
    d = _digest(services)
    assert [x.id for x in d.spiking] == [ids["erupt"]]
    assert ids["fresh"] not in [x.id for x in (*d.new, *d.spiking)]  # two people by the week's end: not shown
    assert "must come from at least 3 people" in reply.sections[0].text and d.spike_rule.startswith(
        reply.sections[0].text.split(". ", 1)[1]
    )


def test_a_week_from_fewer_than_k_people_is_never_shown_nor_spiking_nor_alerted(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    subscribe_console(services, "C-leaders")
    d = _digest(services)
    assert ids["pair"] not in [x.id for x in (*d.spiking, *d.top)]  # five reports from two people
    assert [x.id for x in d.top] == [ids["erupt"], ids["steady"]] and d.sizes["top"] == 2
    unowned = _text(services, "Nobody owns this gap")
    assert unowned == [
        f"#{ids['steady']} steady · 3 (+0, +0% vs last week) · received, no owner",  # placed first: its count is shown
        f"#{ids['pair']} pair · from fewer than 3 people this week · received, no owner",
        f"#{ids['lone']} lone · from fewer than 3 people this week · received, no owner",
    ]
    # fresh had two people by the week's end; a third filed since tells nothing of that week (shown,
    # it told anyone comparing today's preview with yesterday's that today's report was in it)
    assert _text(services, "New this week") == []
    assert all(pid not in (ids["pair"], ids["fresh"]) for pid, _ in d.quotes)
    assert {pid for pid, _ in d.quotes} == {ids["erupt"], ids["steady"]}
    # The counts not shown are told with the rest of the week, from at least k people.
    assert d.other_reports == 5 + 1 + 2 and d.other_countable and d.total == 4 + 3 + 8
    messenger = RecordingMessenger()
    assert check_alerts_now(services, messenger, SUNDAY) == 1  # erupt's spike, not pair's five reports
    assert all(f"#{ids['pair']} " not in reply.title for _, _, _, reply in messenger.sent)


def test_a_week_with_no_report_reads_like_one_from_fewer_than_k_people(services) -> None:  # type: ignore[no-untyped-def]
    ids = _world(services)
    assert _text(services, "Fading") == [
        f"#{ids['faded']} faded · from fewer than 3 people this week (4 the week before) · received, owner IT"
    ]
    assert _text(services, "Spiking")[0] == (
        f"#{ids['erupt']} erupt · 4 (from fewer than 3 people the week before) · received, owner IT"
    )
    reply = to_reply(_digest(services), services.taxonomy)
    (footer,) = [s.text for s in reply.sections if s.text.startswith("Not listed")]
    assert footer.startswith("Not listed: 8 more report(s) this week in other patterns and in the lines above that")
    assert "every pattern with fewer than 3 reporters" in footer
