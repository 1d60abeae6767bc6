"""`top` and `stats` typed in chat, on SQLite and PostgreSQL: the patterns at least k people
reported are ranked, and "other" counts its reports only when at least k people wrote them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Services, build
from bot.config import Settings
from bot.domain import IncomingMessage, Reply
from tests.conftest import FixedClassifier
from tests.store.test_folded_slices import ALICE, NOW, Filed, file


@pytest.fixture
def chat(db_url: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=db_url,
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    services.snag.clock = lambda: NOW
    yield services
    services.engine.dispose()


def ask(services: Services, text: str) -> Reply:
    person = services.snag.person(ALICE.platform, ALICE.tenant, ALICE.user)
    return services.snag.handle_message(IncomingMessage(person, text, "C1"))


def lines(reply: Reply) -> list[str]:
    return [s.heading or s.text for s in reply.sections]


def test_top_shows_the_pattern_three_people_share_beside_31_busier_ones_of_one(chat: Services) -> None:
    solo = [Filed(f"solo{i}", f"solo {i}", count=5 if i < 16 else 4) for i in range(31)]
    ids = file(chat.engine, solo + [Filed(f"u{i}", "shared") for i in range(3)])
    assert lines(ask(chat, "top")) == [
        f"#{ids['shared']} shared",
        "Other: 140 reports in patterns with fewer than 3 reporters.",
    ]


def test_top_with_a_filter_does_not_count_one_persons_reports(chat: Services) -> None:
    file(
        chat.engine,
        [Filed("wh", "dock", count=5, teams=["warehouse"])] + [Filed(f"f{i}", "refunds") for i in range(3)],
    )
    # one person's five reports read as none: "nobody" beside "fewer than 3" would tell them apart
    assert lines(ask(chat, "top 7d team:warehouse")) == ["Nothing here with 3 or more people reporting yet."]


def test_stats_count_other_only_when_k_people_are_in_it(chat: Services) -> None:
    file(
        chat.engine,
        [Filed(f"b{i}", "refunds", count=2) for i in range(3)]
        + [Filed("s1", "tickets", count=4, stage="support", teams=["it"])]
        + [Filed("s2", "tickets", count=3, stage="support", teams=["legal"])]
        + [Filed("s3", "tickets", stage="support", teams=["hr"])],
    )
    fields = {s.heading: dict(s.fields) for s in ask(chat, "stats").sections if s.heading}
    assert fields["By stage"] == {"Billing": "6", "Support": "8"}
    assert fields["By team"]["Other"] == "8"  # it, legal and hr: one person each, three together
    assert fields["By kind"] == {"Waiting": "14"}


def test_stats_do_not_count_two_peoples_reports(chat: Services) -> None:
    file(
        chat.engine,
        [Filed(f"b{i}", "refunds", count=2) for i in range(3)]
        + [Filed("s1", "tickets", count=4, stage="support"), Filed("s2", "tickets", count=3, stage="support")],
    )
    fields = {s.heading: dict(s.fields) for s in ask(chat, "stats").sections if s.heading}
    # Billing 6 beside a hidden Other under a total of 13 gave away support's 7 from two people (and
    # "Other 13" beside top's refunds 6 did too): nothing adds up to a figure one can subtract from.
    assert fields["By stage"] == {"Other": "at least 6"}


def test_stats_rows_add_up_with_the_reports_that_have_no_stage_or_team(chat: Services) -> None:
    """168 reports and stage rows adding up to 152: the reports still waiting for a stage were missing."""
    file(
        chat.engine,
        [Filed(f"b{i}", "refunds", count=2) for i in range(3)]
        + [Filed(f"n{i}", "unsure", count=3, stage=None, teams=[]) for i in range(3)]
        + [Filed("lone", "unsure alone", stage=None, teams=[])],
    )
    reply = ask(chat, "stats")
    fields = {s.heading: dict(s.fields) for s in reply.sections if s.heading}
    # 16 exactly, beside top's 9 and 6, gave the lone person's 1 away: the total is a floor, and
    # the rows do not add up to more than it
    assert reply.sections[0].text.startswith("At least 15 reports from the last 30 days")
    assert fields["By stage"] == {"Billing": "6", "Other": "at least 9"}
    assert fields["By team"]["Other"] == "at least 9"
    assert "No kind" not in fields["By kind"]
