"""Slack, over signed HTTP: `top`, `digest` and `subscribe` read a team, stage or kind by its
label, its title or an alias, as the classifier does; a slip is answered in one line with the
closest name, not the whole help; `search` matches words (not the inside of other words), says how
many reports match in all when it shows fewer, and dates last year's reports with their year."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.validate import answer_text, assert_valid_message

ADMIN = "U0ADMIN"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"admins": [f"slack:{ADMIN}"]}


async def ask(slack: SlackDriver, user: str, text: str) -> dict[str, Any]:
    status, body = await slack.command(fixture("slash_command") | {"text": text, "user_id": user})
    assert status == 200
    answer: dict[str, Any] = json.loads(body)
    assert_valid_message(answer)
    return answer


@pytest.mark.parametrize(
    ("typed", "scope"),
    [
        ("top team:accounts", "team Finance"),  # an alias of finance in taxonomy.yml
        ("top 30d team:AR", "team Finance"),
        ("top team:customer service", "team Support"),  # an alias of two words
        ("top kind:Duplicate entry", "kind Duplicate entry"),  # the title, as every answer shows it
        ("top kind:duplicate-entry stage:BILLING", "stage Billing, kind Duplicate entry"),
    ],
)
async def test_top_reads_a_filter_by_label_title_or_alias(slack: SlackDriver, typed: str, scope: str) -> None:
    answer = await ask(slack, MANAGER, typed)
    assert answer["text"].startswith("Top patterns (") and scope in answer["text"]


@pytest.mark.parametrize(
    ("typed", "guess"),
    [
        ("top team:financ", "`financ` is not a team I know: did you mean `team:finance`?"),
        ("top kind:handoffs", "`handoffs` is not a kind I know: did you mean `kind:handoff`?"),
        ("top 30d stage:biling", "`biling` is not a stage I know: did you mean `stage:billing`?"),
        ("top teams:finance", "I don't know the filter `teams:finance`: did you mean `team:finance`?"),
        ("digest sales", "An audience is `all`, `team:<team>` or `stage:<stage>`: did you mean `team:sales`?"),
        ("digest team:acounts", "`acounts` is not a team I know: did you mean `team:finance`?"),
    ],
)
async def test_a_slip_in_a_filter_gets_one_line_with_the_closest_name(
    slack: SlackDriver, typed: str, guess: str
) -> None:
    answer = await ask(slack, MANAGER, typed)
    assert answer_text(answer).replace("&lt;", "<").replace("&gt;", ">") == f":warning: *{guess}*"
    assert "What you can type" not in json.dumps(answer)  # not the whole help under it
    assert slack.reports() == []


async def test_an_unknown_team_lists_the_teams_in_one_line(slack: SlackDriver) -> None:
    answer = await ask(slack, MANAGER, "top team:astronauts")
    said = answer_text(answer)
    assert "`astronauts` is not a team I know; the teams are sales, onboarding," in said
    assert "\n" not in said and "What you can type" not in said


async def test_digest_and_subscribe_read_the_audience_as_top_does(slack: SlackDriver) -> None:
    assert "· team Finance ·" in (await ask(slack, MANAGER, "digest team:accounts"))["text"]
    subscribed = await ask(slack, ADMIN, "subscribe team:Accounts")
    assert subscribed["text"].startswith("Subscribed: the team:finance digest comes here")
    unsubscribed = await ask(slack, ADMIN, "unsubscribe team:billing")  # another alias of finance
    assert unsubscribed["text"] == "Unsubscribed 1 digest subscription(s) here."


def _add(slack: SlackDriver, text: str, when: datetime, n: int) -> int:
    person = slack.services.snag.person("slack", "T0001", f"U{n % 4}")
    record, _ = slack.services.repository.add_report(
        person=person, reporter_key=f"k{n % 4}", text=text, channel="C1", created_at=when
    )
    return int(record.id)


def _one_pattern(slack: SlackDriver) -> None:
    from sqlmodel import Session, select

    from store.models import Pattern, Report, Tenant

    with Session(slack.services.engine) as s:
        pattern = Pattern(tenant_id=s.exec(select(Tenant)).one().id, title="Refunds")
        s.add(pattern)
        s.commit()
        for report in s.exec(select(Report)).all():
            report.pattern_id = pattern.id
            s.add(report)
        s.commit()


async def test_search_matches_words_counts_them_all_and_dates_last_year(slack: SlackDriver) -> None:
    slack.services.snag.clock = lambda: NOW + timedelta(days=1)  # the next day: the day's reports are in
    for n in range(12):
        _add(slack, f"refunds queue number {n} waits for finance", NOW - timedelta(hours=n + 1), n)
    old = _add(slack, "a refund from last winter was never paid", datetime(2025, 12, 30, 10, tzinfo=UTC), 12)
    _add(slack, "'where is my certificate' calls every day, and an authenticator code", NOW, 13)
    _one_pattern(slack)  # of four people: a search lists only what `pattern <id>` may quote

    cut = await ask(slack, MANAGER, "search refund")
    assert cut["text"] == "Reports matching “refund”: the 10 newest of 13"
    said = answer_text(cut)
    assert said.count("refunds queue number") == 10 and "Add a word to narrow it down." in said

    assert "No reports match those words." in answer_text(await ask(slack, MANAGER, "search cat"))

    winter = answer_text(await ask(slack, MANAGER, "search winter"))
    assert f"#{old} · 30 Dec 2025" in winter and "the 1 newest" not in winter
    this_year = answer_text(await ask(slack, MANAGER, "search certificate"))
    assert " · 23 Nov · pattern #" in this_year and "2026" not in this_year
