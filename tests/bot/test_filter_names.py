"""One rule for naming a team, stage or kind, in `top`'s filters and in digests' audiences: its
label, its title or an alias, in any case; a slip is told in one line with the closest names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import listings
from bot.commands import parse_command, parse_filters
from bot.domain import IncomingMessage, ReportRecord
from bot.errors import InputError
from bot.taxonomy import load_taxonomy
from digests.digest import parse_audience

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TX = load_taxonomy()


@pytest.mark.parametrize(
    ("axis", "typed", "label"),
    [
        ("team", "accounts", "finance"),
        ("team", "AR", "finance"),
        ("team", "Finance", "finance"),
        ("team", "customer service", "support"),
        ("team", "IT", "it"),
        ("stage", "BILLING", "billing"),
        ("stage", "Onboarding", "onboarding"),
    ],
)
def test_filters_and_audiences_read_a_name_alike(axis: str, typed: str, label: str) -> None:
    assert getattr(parse_filters((f"{axis}:{typed}",), TX, NOW), axis) == label
    assert parse_audience(f"{axis}:{typed}", TX).key == f"{axis}:{label}"


@pytest.mark.parametrize("typed", ["Duplicate entry", "duplicate-entry", "DUPLICATE_ENTRY", "duplicate  entry"])
def test_a_kind_is_read_by_its_title_as_answers_show_it(typed: str) -> None:
    words = tuple(f"top 30d kind:{typed}".split()[1:])
    assert parse_filters(words, TX, NOW).kind == "duplicate_entry"
    assert parse_command(f"top 30d kind:{typed}").name == "top"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("team:financ", "`financ` is not a team I know: did you mean `team:finance`?"),
        ("stage:onbording", "`onbording` is not a stage I know: did you mean `stage:onboarding`?"),
        ("team:astronauts", "`astronauts` is not a team I know; the teams are " + ", ".join(TX.team_labels) + "."),
        ("team:", "`team:` needs a team after it; the teams are " + ", ".join(TX.team_labels) + "."),
    ],
)
def test_a_slip_is_told_alike_in_a_filter_and_an_audience(typed: str, said: str) -> None:
    with pytest.raises(InputError) as in_filter:
        parse_filters((typed,), TX, NOW)
    with pytest.raises(InputError) as in_audience:
        parse_audience(typed, TX)
    assert in_filter.value.message == in_audience.value.message == said


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("kind:handoffs", "`handoffs` is not a kind I know: did you mean `kind:handoff`?"),
        ("tema:finance", "I don't know the filter `tema:finance`: did you mean `team:finance`?"),
        ("14d", "`14d` is not a window I keep: use 7d, 30d or 90d."),
    ],
)
def test_a_filter_slip_names_what_was_meant(typed: str, said: str) -> None:
    with pytest.raises(InputError, match="^" + said.replace("?", r"\?") + "$"):
        parse_filters((typed,), TX, NOW)


def test_an_audience_without_its_kind_is_guessed_not_listed() -> None:
    with pytest.raises(InputError, match=r"did you mean `team:onboarding` or `stage:onboarding`\?$"):
        parse_audience("onboarding", TX)
    with pytest.raises(InputError, match=r"e\.g\. `team:sales`; the teams are sales, .*, the stages enquiry, .*\.$"):
        parse_audience("team", TX)  # not a slip of a team's name: which team is the question


def test_a_filter_slip_is_one_line_without_the_help(services) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    reply = services.snag.handle_message(IncomingMessage(person, "top team:financ", "C1"))
    assert (reply.kind, reply.title, reply.sections) == (
        "error",
        "`financ` is not a team I know: did you mean `team:finance`?",
        (),
    )


def _record(n: int) -> ReportRecord:
    return ReportRecord(
        id=n, tenant="T1", platform="slack", channel="C1", reporter_key="k", text=f"cat flap {n}",
        created_at=NOW, tags=None, status="new",
    )  # fmt: skip


def test_a_search_with_too_many_to_check_says_its_count_is_a_floor() -> None:
    reply = listings.search([_record(n) for n in range(10)], ("cat",), TX, now=NOW, matched=412, capped=True)
    assert reply.title == "Reports matching “cat”: the 10 newest of at least 412"
    assert reply.notices == ("There were too many to check them all. Add a word to narrow it down.",)
    four = listings.search([_record(1)], ("a", "b", "c", "d"), TX, now=NOW, matched=30)
    assert four.title.endswith(": the 1 newest of 30")
    assert four.notices == ("Try other words to narrow it down.",)  # a search takes four words at most
