"""Commands with slips (typos, punctuation, `/snag`, "please") are commands; real reports stay reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.commands import parse_command
from bot.domain import IncomingMessage
from bot.errors import UsageError

REPORTS = Path(__file__).resolve().parents[2] / "classifier" / "data" / "reports"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("help me", "help"),
        ("help?", "help"),
        ("Help, please", "help"),
        ("/snag mine", "mine"),
        ("/Snag help", "help"),
        ("Mine.", "mine"),
        ("stats please", "stats"),
        ("top 30", "top"),
        ("digest last week please", "digest"),
        ("pattern #12?", "pattern"),
    ],
)
def test_commands_are_read_through_slips(text: str, name: str) -> None:
    assert parse_command(text).name == name


def test_a_bare_number_of_days_is_a_window() -> None:
    assert parse_command("top 30").args == ("30d",)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tpo", "Did you mean `top`?"),
        ("hlep", "Did you mean `help`?"),
        ("mien", "Did you mean `mine`?"),
        ("serch printer", "Did you mean `search`?"),
        ("pattern 1 2", "pattern needs one number"),
        ("top five", "`top` takes 7d, 30d or 90d"),
        ("search", "search needs some words"),
    ],
)
def test_a_short_line_that_starts_like_a_command_gets_usage_not_a_report(text: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert says in caught.value.message
    assert f"report {text}" in caught.value.message  # how to file it after all, with their words


@pytest.mark.parametrize(
    "text",
    [
        "help desk keeps closing tickets unresolved",
        "help me, the portal logs everyone out",
        "search results come back into a shared mailbox nobody is assigned to",
        "too slow again",
        "down again",
        "line down",
        "scanner broken",
        "printer jammed",
    ],
)
def test_reports_that_start_like_commands_are_still_reports(text: str) -> None:
    command = parse_command(text)
    assert (command.name, command.text) == ("report", text)


def test_an_empty_line_asks_for_a_sentence_instead_of_the_whole_help(services) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    for text in ("", "   ", "/snag"):
        reply = services.snag.handle_message(IncomingMessage(person, text, "C1"))
        assert reply.kind == "usage" and reply.title.startswith("Tell me in a sentence") and not reply.sections


def test_command_slips_file_nothing(services) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    lines = ["help me", "help?", "top 30", "tpo", "hlep", "/snag mine", "Mine.", "stats please", "pattern 1 2"]
    replies = [services.snag.handle_message(IncomingMessage(person, line, "C1")) for line in lines]
    assert not [r.title for r in replies if r.kind == "receipt"]
    assert "Did you mean `top`?" in replies[3].title


def _shipped_reports() -> list[str]:
    return [
        json.loads(line)["text"]
        for path in sorted(REPORTS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_no_shipped_report_is_read_as_a_command() -> None:
    texts = _shipped_reports()
    assert len(texts) > 10_000
    wrong = []
    for text in texts:
        try:
            command = parse_command(text)
        except UsageError as exc:
            wrong.append(f"{text!r}: {exc.message}")
            continue
        if command.name != "report" or not command.text:
            wrong.append(f"{text!r}: {command.name}")
        elif command.text != text and not text.lower().startswith("report "):  # `report <sentence>` drops the word
            wrong.append(f"{text!r} filed as {command.text!r}")
    assert wrong == []


def test_a_sentence_starting_with_a_command_the_person_may_not_use_is_a_report(services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.domain import IncomingMessage, Role

    staff = services.snag.person("slack", "T1", "U1")
    manager = replace(staff, role=Role.MANAGER)
    said = lambda p, t: services.snag.handle_message(IncomingMessage(p, t, "C1"))  # noqa: E731
    assert said(staff, "status page down").kind == "receipt"
    assert said(staff, "erase button greyed out").kind == "receipt"
    assert said(manager, "status page down").kind == "usage"  # a manager's slip: told how to use it
    assert said(manager, "erase button greyed out").kind == "receipt"  # erase is an admin's command
    assert said(staff, "status").kind == "usage"  # one word is not a sentence
    # adapters commit a report before acknowledging the platform: they must read it the same way
    assert services.snag.as_report(IncomingMessage(staff, "status page down", "C1")) is not None
    assert services.snag.as_report(IncomingMessage(manager, "status page down", "C1")) is None
