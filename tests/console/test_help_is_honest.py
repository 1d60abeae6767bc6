"""`help` says who may use each command, and the code agrees with it for every role."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.commands import _HOW, ROLE_COMMANDS, SEARCH_WORDS, USAGE, parse_command, usage_for
from bot.domain import IncomingMessage, Person, Reply, Role
from bot.errors import PermissionDenied, SnagError

# The groups `help` shows, and who is in each (lines before any heading would be for anyone).
GROUPS = {
    "Anyone": {Role.STAFF, Role.MANAGER, Role.ADMIN},
    "Managers and admins only": {Role.MANAGER, Role.ADMIN},
    "Admins only": {Role.ADMIN},
}
EXAMPLES = {  # one line that uses each line of the help (`erase` has two: your own, and an admin's)
    "help": "help",
    "top": "top 30d",
    "mine": "mine",
    "erase <report number>": "erase 1",
    "pattern": "pattern 1",
    "stats": "stats",
    "digest": "digest",
    "search": "search refund spreadsheet",
    "own": "own 1 Finance",
    "status": "status 1 resolved",
    "merge": "merge 2 into 1",
    "subscribe": "subscribe all",
    "unsubscribe": "unsubscribe",
    "subscriptions": "subscriptions",
    "erase <user>": "erase U0SAM",
    "retrain": "retrain",
    "reload": "reload",
}


def _key(line: str) -> str:
    command = line.split(" · ")[0]
    return command if command.startswith("erase") else command.split()[0]


def help_groups(usage: str = USAGE) -> dict[str, str]:
    """Each line of a help (by its command, and erase's argument), with the group it is listed under."""
    group, found = "Anyone", {}
    for line in usage.splitlines():
        if "·" not in line and line.endswith(":"):
            group = line.removesuffix(":")
            continue
        if not line.startswith("<"):  # "<a sentence>": reporting, which anyone may do
            assert _key(line) not in found, f"{_key(line)} listed twice"
            found[_key(line)] = group
    return found


def test_help_lists_every_command_once_under_a_known_group() -> None:
    groups = help_groups()
    assert set(groups) == set(EXAMPLES)
    assert {key.split()[0] for key in groups} == set(_HOW)  # every command the parser knows, and nothing else
    assert set(groups.values()) <= set(GROUPS)


def test_each_role_is_offered_exactly_the_commands_it_may_run(services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.app.retrain_now", lambda _services: None)  # no real training
    services.snag.handle_message(_message(services, Role.STAFF, "the refund spreadsheet is never up to date"))
    wrong = []
    for role in Role:
        offered = help_groups(usage_for(role))
        assert set(offered.values()) == {g for g, roles in GROUPS.items() if role in roles}
        for key, example in EXAMPLES.items():
            person = replace(_person(services), role=role)
            try:
                services.snag.run_command(person, parse_command(example))
                allowed = True
            except PermissionDenied:
                allowed = False
            except SnagError:  # e.g. no pattern #1: not a question of role
                allowed = True
            if allowed != (key in offered):
                shown, runs = "offers" if key in offered else "hides", "allows" if allowed else "refuses"
                wrong.append(f"{key} for {role}: help {shown} it, the code {runs}")
            if key in offered and role not in GROUPS[help_groups()[key]]:
                wrong.append(f"{key} for {role}: offered, but listed under {help_groups()[key]!r}")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(ROLE_COMMANDS))
def test_commands_kept_for_a_role_are_listed_under_that_role(name: str) -> None:
    expected = "Admins only" if ROLE_COMMANDS[name] is Role.ADMIN else "Managers and admins only"
    assert help_groups()[name] == expected
    assert name not in help_groups(usage_for(Role.STAFF))


def _said(reply: Reply) -> str:
    return "\n".join([reply.title, *reply.notices, *(s.text for s in reply.sections)])


# What only managers and admins type: a staff member's help and slips never show them.
NOT_FOR_STAFF = (
    "search <",
    "own <",
    "own 12",
    "status <",
    "status 12",
    "subscribe",
    "erase <user>",
    "erase @sam",
    "retrain",
    "reload",
)


@pytest.mark.parametrize(
    "text", ["help", "stop", "status?", "status", "erase", "own", "search", "tops", "pattern x", "top 12x"]
)
def test_staff_help_and_slips_show_only_what_staff_may_type(services, text: str) -> None:  # type: ignore[no-untyped-def]
    said = _said(services.snag.handle_message(_message(services, Role.STAFF, text)))
    assert [words for words in NOT_FOR_STAFF if words in said] == []
    assert ("Did you mean `top`" in said) == (text == "tops")  # "stop" is not a slip of `top`


def test_staff_slips_on_status_and_erase_point_to_mine_and_self_erase(services) -> None:  # type: ignore[no-untyped-def]
    status = _said(services.snag.handle_message(_message(services, Role.STAFF, "status?")))
    assert "`mine` shows your reports" in status
    erase = _said(services.snag.handle_message(_message(services, Role.STAFF, "erase")))
    assert "`erase 12`" in erase and "`erase mine`" in erase
    admin = _said(services.snag.handle_message(_message(services, Role.ADMIN, "erase")))
    assert "`erase @sam`" in admin and "erase <user>" in admin  # an admin's slip: both forms, their whole help


def test_help_says_who_sees_what_and_how_to_take_a_report_back(services) -> None:  # type: ignore[no-untyped-def]
    reply = services.snag.handle_message(_message(services, Role.STAFF, "help"))
    assert "erase <report number>" in reply.sections[0].text
    assert reply.sections[1].heading == "Who sees what" and "never your name" in reply.sections[1].text


def test_help_says_how_many_words_search_takes_and_a_longer_line_is_a_report(services) -> None:  # type: ignore[no-untyped-def]
    assert f"search <1 to {SEARCH_WORDS} words>" in USAGE
    words = " ".join(["refund"] * SEARCH_WORDS)
    assert parse_command(f"search {words}").name == "search"
    assert parse_command(f"search {words} again").name == "report"
    staff = services.snag.handle_message(_message(services, Role.STAFF, "search takes ages in the CRM every time"))
    assert staff.kind == "receipt"


def _person(services) -> Person:  # type: ignore[no-untyped-def]
    return services.snag.person("slack", "T1", "U1", tenant_name="Acme")


def _message(services, role: Role, text: str) -> IncomingMessage:  # type: ignore[no-untyped-def]
    person = replace(_person(services), role=role)
    return IncomingMessage(person=person, text=text, channel="D1", received_at=datetime.now(UTC))


def test_the_readme_lists_no_manager_or_admin_command_among_everyones_queries() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith("| `/snag help`")]
    queries = row.split(" | ")[0]
    assert [name for name in ROLE_COMMANDS if f"`{name}" in queries or f", {name}" in queries] == []
