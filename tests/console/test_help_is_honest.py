"""`help` says who may use each command, and the code agrees with it for every role."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.commands import _HOW, ROLE_COMMANDS, SEARCH_WORDS, USAGE, parse_command
from bot.domain import IncomingMessage, Person, Role
from bot.errors import PermissionDenied, SnagError

# The groups `help` shows, and who is in each (lines before any heading would be for anyone).
GROUPS = {
    "Anyone": {Role.STAFF, Role.MANAGER, Role.ADMIN},
    "Managers and admins only": {Role.MANAGER, Role.ADMIN},
    "Admins only": {Role.ADMIN},
}
EXAMPLES = {  # one line that uses each command
    "help": "help",
    "top": "top 30d",
    "mine": "mine",
    "pattern": "pattern 1",
    "stats": "stats",
    "digest": "digest",
    "search": "search refund spreadsheet",
    "own": "own 1 Finance",
    "status": "status 1 resolved",
    "subscribe": "subscribe all",
    "unsubscribe": "unsubscribe",
    "erase": "erase @sam",
    "retrain": "retrain",
    "reload": "reload",
}


def help_groups() -> dict[str, str]:
    """Each command `help` lists, with the group it is listed under."""
    group, found = "Anyone", {}
    for line in USAGE.splitlines():
        if "·" not in line and line.endswith(":"):
            group = line.removesuffix(":")
            continue
        word = line.split()[0]
        if not word.startswith("<"):  # "<a sentence>": reporting, which anyone may do
            found[word] = group
    return found


def test_help_lists_every_command_once_under_a_known_group() -> None:
    groups = help_groups()
    assert set(groups) == set(_HOW) == set(EXAMPLES)  # every command the parser knows, and nothing else
    assert set(groups.values()) <= set(GROUPS)


def test_the_commands_help_offers_to_a_role_are_exactly_those_the_role_may_run(services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.app.retrain_now", lambda _services: None)  # no real training
    services.snag.handle_message(_message(services, Role.STAFF, "the refund spreadsheet is never up to date"))
    wrong = []
    for name, group in help_groups().items():
        for role in Role:
            person = replace(_person(services), role=role)
            try:
                services.snag.run_command(person, parse_command(EXAMPLES[name]))
                allowed = True
            except PermissionDenied:
                allowed = False
            except SnagError:  # e.g. no pattern #1: not a question of role
                allowed = True
            if allowed != (role in GROUPS[group]):
                wrong.append(f"{name} for {role}: help says {group!r}, the code {'allows' if allowed else 'refuses'}")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(ROLE_COMMANDS))
def test_commands_kept_for_a_role_are_listed_under_that_role(name: str) -> None:
    expected = "Admins only" if ROLE_COMMANDS[name] is Role.ADMIN else "Managers and admins only"
    assert help_groups()[name] == expected


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
