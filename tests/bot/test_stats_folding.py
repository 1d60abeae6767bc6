"""`stats` typed in chat, on SQLite and PostgreSQL: where an axis's rows add up to the total (the
stage always, a kind or team when no report has two), nothing folded can be worked out as the
total minus the rows shown."""

from __future__ import annotations

from bot.app import Services
from tests.bot.test_top_and_stats_in_chat import ask, chat  # noqa: F401  (the fixture)
from tests.store.test_folded_slices import Filed, file

BUSY = [Filed(f"b{i}", "refunds", count=2) for i in range(3)] + [
    Filed(f"d{i}", "couriers", count=3, stage="delivery") for i in range(3)
]


def _stats(services: Services) -> tuple[str, dict[str, dict[str, str]]]:
    reply = ask(services, "stats")
    return reply.sections[0].text, {s.heading: dict(s.fields) for s in reply.sections if s.heading}


def _nothing_derivable(services: Services, head: str, fields: dict[str, str], hidden: int) -> None:
    """Neither the headline nor the rows counted add up to a total from which `top 30d`'s counts
    could be taken away to leave the hidden part's size."""
    shown = sum(int(s.fields[0][1].split()[0]) for s in ask(services, "top 30d").sections if s.fields)
    counted = sum(int(v) for v in fields.values() if v.isdigit())
    assert str(shown + hidden) not in head.split() and counted != shown + hidden
    assert head.startswith(
        f"At least {shown} reports from the last 30 days to midnight UTC; the rest come from fewer than 3 people"
    )


def test_one_persons_stage_is_not_the_total_minus_the_stages_shown(chat: Services) -> None:  # noqa: F811
    """17 reports, Billing 6 and Delivery 9 shown: Support's 2 were 17 - 15, one person's; nor may
    the headline say 17 beside `top 30d`'s couriers 9 and refunds 6."""
    file(chat.engine, BUSY + [Filed("s1", "tickets", count=2, stage="support")])
    head, fields = _stats(chat)
    assert "17" not in head
    assert fields["By stage"] == {"Delivery": "9", "Other": "at least 6"}  # Billing's 6 joined Support's 2
    _nothing_derivable(chat, head, fields["By stage"], 2)
    assert fields["By kind"] == {"Other": "at least 15"}  # Waiting 17 would be the total


def test_one_persons_reports_in_a_stage_shown_do_not_make_the_rows_add_up(chat: Services) -> None:  # noqa: F811
    file(chat.engine, BUSY + [Filed("s1", "tickets", count=2, stage="delivery")])
    head, fields = _stats(chat)
    assert fields["By stage"] == {"Delivery": "11", "Other": "at least 4"}  # not Billing 6: 17 in all
    _nothing_derivable(chat, head, fields["By stage"], 2)


def test_a_rest_from_k_people_in_patterns_of_their_own_is_counted_exactly(chat: Services) -> None:  # noqa: F811
    file(chat.engine, BUSY + [Filed(f"s{i}", f"solo {i}", stage="support") for i in range(3)])
    head, fields = _stats(chat)
    assert head == "18 reports from the last 30 days to midnight UTC."
    assert fields["By stage"] == {"Delivery": "9", "Billing": "6", "Support": "3"}


def test_one_persons_reports_without_a_stage_are_not_worked_out_either(chat: Services) -> None:  # noqa: F811
    file(chat.engine, BUSY + [Filed("n1", "unsure", count=2, stage=None)])
    head, fields = _stats(chat)
    assert fields["By stage"] == {"Delivery": "9", "Other": "at least 6"}
    _nothing_derivable(chat, head, fields["By stage"], 2)


def test_a_kind_axis_with_one_kind_a_report_folds_like_the_stage(chat: Services) -> None:  # noqa: F811
    handoffs = [Filed(f"d{i}", "couriers", count=3, stage="delivery", kinds=["handoff"]) for i in range(3)]
    file(chat.engine, BUSY[:3] + handoffs + [Filed("w1", "retyping", count=2, kinds=["duplicate_entry"])])
    head, fields = _stats(chat)
    assert fields["By kind"] == {"Handoff": "9", "Other": "at least 6"}  # Waiting's 6 joined the 2
    _nothing_derivable(chat, head, fields["By kind"], 2)
    assert fields["By stage"] == {"Delivery": "9", "Other": "at least 6"}  # Billing 8 would make 17


def test_a_folded_part_of_k_people_is_counted_and_the_rows_add_up(chat: Services) -> None:  # noqa: F811
    small = [Filed(f"s{i}", "tickets", stage=stage) for i, stage in enumerate(("support", "support", "onboarding"))]
    file(chat.engine, BUSY + small)
    head, fields = _stats(chat)
    assert head == "18 reports from the last 30 days to midnight UTC."
    assert fields["By stage"] == {"Delivery": "9", "Billing": "6", "Other": "3"}


def test_two_people_alone_get_no_total(chat: Services) -> None:  # noqa: F811
    file(chat.engine, [Filed("a", "tickets", count=4), Filed("b", "tickets", count=3, stage="support")])
    reply = ask(chat, "stats")
    said = " ".join([reply.sections[0].text] + [v for s in reply.sections for _, v in s.fields])
    assert "7" not in said and "4" not in said and "3 people" in said
