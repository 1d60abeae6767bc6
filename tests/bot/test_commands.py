"""The command language: queries, filters, usage, and what is a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.commands import parse_command, parse_filters
from bot.domain import IncomingMessage
from bot.errors import InputError
from bot.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("help", "help"),
        ("top 30d team:finance", "top"),
        ("top", "top"),
        ("mine", "mine"),
        ("stats", "stats"),
        ("search refund sheet", "search"),
        ("pattern 12", "pattern"),
        ("digest preview", "digest"),
        ("top of the list is always the wrong customer", "report"),
        ("help me, the portal logs everyone out", "report"),
        ("pattern of failures in dispatch every monday morning", "report"),
        ("report help", "report"),
    ],
)
def test_commands_and_reports_are_told_apart(text: str, name: str) -> None:
    assert parse_command(text).name == name


def test_filters_parse_and_bad_ones_get_usage() -> None:
    tx = load_taxonomy()
    f = parse_filters(("30d", "team:finance", "stage:billing", "kind:waiting"), tx, NOW)
    assert (f.days, f.team, f.stage, f.kind) == (30, "finance", "billing", "waiting")
    assert (NOW - f.since).days == 30
    with pytest.raises(InputError, match="not a team"):
        parse_filters(("team:astronauts",), tx, NOW)
    with pytest.raises(InputError, match="filter"):
        parse_filters(("colour:red",), tx, NOW)


def test_bad_command_replies_with_usage_not_a_trace(services) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    reply = services.snag.handle_message(IncomingMessage(person, "top finance", "C1"))
    assert reply.kind == "usage" and "`top` takes" in reply.title
    assert "top [7d|30d|90d]" in reply.sections[0].text
    # a filter it cannot read is one line with what it can: not the whole help (bot/test_filter_names.py)
    reply = services.snag.handle_message(IncomingMessage(person, "top team:astronauts", "C1"))
    assert reply.kind == "error" and "astronauts" in reply.title and reply.sections == ()


def test_search_is_for_managers(services) -> None:  # type: ignore[no-untyped-def]
    staff = services.snag.person("slack", "T1", "U1")
    reply = services.snag.handle_message(IncomingMessage(staff, "search refund", "C1"))
    assert reply.kind == "error" and "managers" in reply.title


def test_manager_search_finds_reports(services) -> None:  # type: ignore[no-untyped-def]
    from bot.roles import RolePolicy

    services.snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for user in ("U1", "U2", "U3"):  # a pattern of k people: `pattern <id>` would quote it too
        staff = services.snag.person("slack", "T1", user)
        services.snag.handle_message(IncomingMessage(staff, "refund forms are scanned twice", "C1"))
    manager = services.snag.person("slack", "T1", "M1")
    services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # today's reports are found from tomorrow
    reply = services.snag.handle_message(IncomingMessage(manager, "search refund", "C1"))
    assert reply.kind == "list" and "scanned twice" in reply.sections[0].text


def test_mine_lists_only_my_reports(services) -> None:  # type: ignore[no-untyped-def]
    me = services.snag.person("slack", "T1", "U1")
    other = services.snag.person("slack", "T1", "U2")
    services.snag.handle_message(IncomingMessage(me, "my own report about the portal", "C1"))
    services.snag.handle_message(IncomingMessage(other, "somebody else's report", "C1"))
    reply = services.snag.handle_message(IncomingMessage(me, "mine", "C1"))
    texts = [s.text for s in reply.sections]
    assert texts == ["my own report about the portal"]


def test_admin_commands_are_for_admins(services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.roles import RolePolicy

    services.snag.roles = RolePolicy.from_lists(["slack:ADMIN"], [])
    staff = services.snag.person("slack", "T1", "U1")
    admin = services.snag.person("slack", "T1", "ADMIN")
    for command in ("reload", "retrain"):
        reply = services.snag.handle_message(IncomingMessage(staff, command, "C1"))
        assert reply.kind == "error" and "admins" in reply.title
    reply = services.snag.handle_message(IncomingMessage(admin, "reload", "C1"))
    assert reply.kind == "saved" and "Taxonomy reloaded" in reply.title


def _counted(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from store.models import TermCount

    with Session(services.engine) as session:
        rows = session.exec(select(TermCount).where(TermCount.term.in_(["#", "w:whatsapp"]))).all()  # type: ignore[attr-defined]
        return {row.term: row.docs for row in rows}


def test_erase_from_chat_by_an_admin(services) -> None:  # type: ignore[no-untyped-def]
    from bot.roles import RolePolicy

    services.snag.roles = RolePolicy.from_lists(["slack:ADMIN"], [])
    victim = services.snag.person("slack", "T1", "U9")
    services.snag.handle_message(IncomingMessage(victim, "the rota lives in a whatsapp group", "C1"))
    assert _counted(services) == {"#": 1, "w:whatsapp": 1}  # what grouping learnt from their words
    staff = services.snag.person("slack", "T1", "U1")
    assert services.snag.handle_message(IncomingMessage(staff, "erase <@U9>", "C1")).kind == "error"
    admin = services.snag.person("slack", "T1", "ADMIN")
    reply = services.snag.handle_message(IncomingMessage(admin, "erase <@U9>", "C1"))
    assert "anything that person (U9) reported here is erased" in reply.title
    assert _counted(services) == {}  # forgotten by grouping too
    assert (
        services.snag.handle_message(IncomingMessage(victim, "mine", "C1")).sections[0].text.startswith("You haven't")
    )
