"""`stats` typed in chat reads the same when nobody reported as when fewer than k people did:
"0 reports" beside "fewer than 3 people" would tell that someone reported."""

from __future__ import annotations

import pytest

from bot.app import Services
from tests.bot.test_top_and_stats_in_chat import ask, chat  # noqa: F401  (the fixture)
from tests.store.test_folded_slices import Filed, file

TOO_FEW = "Fewer than 3 people may be behind the reports of the last 30 days to midnight UTC, so they are not counted."


@pytest.mark.parametrize(
    "filed",
    [
        [Filed("solo", "refunds", count=2)],
        [Filed("a", "refunds", count=4), Filed("b", "tickets", stage=None, kinds=[], teams=[])],
    ],
    ids=["one person", "two people, one tagging nothing"],
)
def test_stats_on_an_empty_tenant_read_as_stats_from_fewer_than_k_people(
    chat: Services,  # noqa: F811
    filed: list[Filed],
) -> None:
    nobody = ask(chat, "stats")
    file(chat.engine, filed)
    assert ask(chat, "stats") == nobody
    assert [s.text or s.heading for s in nobody.sections] == [TOO_FEW, "By stage", "By kind", "By team"]


def test_stats_with_k_people_still_count_their_reports(chat: Services) -> None:  # noqa: F811
    file(chat.engine, [Filed(f"u{i}", "refunds") for i in range(3)])
    reply = ask(chat, "stats")
    assert reply.sections[0].text == "3 reports from the last 30 days to midnight UTC."
    assert dict(reply.sections[1].fields) == {"Billing": "3"}
