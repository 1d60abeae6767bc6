"""A manager's slip of `status` or of a word for it (`stauts 3 resolved`, `reslove 3`) is asked
about ("Did you mean"), never filed, even where a closer command (`stats`) takes other arguments;
sentences that merely start like one stay reports. Editing the slip into the command runs it, once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from bot.domain import IncomingMessage, Person, Reply, Role
from store.models import Pattern, Report

PRINTER = "the label printer on dock 3 jams every morning"


def _manager(services) -> Person:  # type: ignore[no-untyped-def]
    return replace(services.snag.person("teams", "T1", "U1"), role=Role.MANAGER)


def _said(services, text: str, message_id: str | None = None, channel: str = "C1") -> IncomingMessage:  # type: ignore[no-untyped-def]
    return IncomingMessage(_manager(services), text, channel, message_id=message_id)


def _reports(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report)).all()]


def _statuses(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [p.status for p in s.exec(select(Pattern)).all()]


def _pattern_one(services) -> None:  # type: ignore[no-untyped-def]
    """Someone's report, grouped into pattern #1, for the manager's commands to act on."""
    staff = services.snag.person("teams", "T1", "U2")
    assert services.snag.handle_message(IncomingMessage(staff, PRINTER, "D2", message_id="s1")).kind == "receipt"


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("stauts 3 resolved", "status"),  # `stats` is as close, but takes nothing after it
        ("statsu 2 resolved", "status"),
        ("staus 3 resolved", "status"),
        ("reslove 3", "resolve"),
        ("clsoe 3 please", "close"),
        ("assing 3 Dana", "assign"),
    ],
)
def test_a_managers_slip_of_a_pattern_command_is_asked_about_not_filed(services, text: str, meant: str) -> None:  # type: ignore[no-untyped-def]
    message = _said(services, text)
    reply = services.snag.handle_message(message)
    assert reply.kind == "usage" and f"Did you mean `{meant}`?" in reply.title
    assert f"report {text}" in reply.title  # how to file it after all
    assert services.snag.as_report(message) is None  # adapters commit reports before the ack: nothing
    assert _reports(services) == []


@pytest.mark.parametrize(
    "text",
    [
        "stats are wrong on the dashboard",
        "status page is down again",
        "statsu are wrong",
        "stauts page down",
        "close of day handover was missed again",
    ],
)
def test_a_managers_sentence_starting_close_to_a_command_is_still_a_report(services, text: str) -> None:  # type: ignore[no-untyped-def]
    assert services.snag.handle_message(_said(services, text)).kind == "receipt"
    assert _reports(services) == [text]


def _edited(services, message: IncomingMessage, text: str) -> Reply | None:  # type: ignore[no-untyped-def]
    """The edit as an adapter handles it: the fast half, then (unless it files) the slow half."""
    done = services.snag.store_edit(replace(message, text=text))
    if done is None:
        return None
    assert done.report is None  # a command: nothing for the adapter to file
    return services.snag.finish_edit(done)


@pytest.mark.parametrize(("channel", "via"), [("C1", "message"), ("D1", "dm")])
def test_editing_a_did_you_mean_into_the_command_runs_it_once(services, channel: str, via: str) -> None:  # type: ignore[no-untyped-def]
    _pattern_one(services)
    slip = replace(_said(services, "staus 1 resolved", "m1", channel), via=via)
    assert "Did you mean `status`?" in services.snag.handle_message(slip).title
    assert _edited(services, slip, "stauts 1 resolved") is None  # still a slip: nothing more to say
    reply = _edited(services, slip, "status 1 resolved")
    assert reply is not None and reply.title.startswith("Pattern #1: status resolved")
    assert _statuses(services) == ["resolved"]
    assert _edited(services, slip, "status 1 resolved") is None  # the platform sent the edit again
    assert _edited(services, slip, "status 1 acknowledged") is None  # run once, as a command's edit is not
    assert _statuses(services) == ["resolved"] and _reports(services) == [PRINTER]


def test_a_did_you_mean_edited_into_a_report_files_it_and_a_later_command_keeps_it(services) -> None:  # type: ignore[no-untyped-def]
    _pattern_one(services)
    slip = _said(services, "staus 1 resolved", "m1")
    services.snag.handle_message(slip)
    done = services.snag.store_edit(replace(slip, text="the courier van leaves before the dock closes"))
    assert done is not None and done.report is not None
    services.snag.handle_message(done.report)  # the adapter files it as a message sent now
    reply = _edited(services, slip, "status 1 resolved")
    assert reply is not None and reply.title == "Report #2 keeps your earlier words."
    assert "resolved" not in _statuses(services) and len(_reports(services)) == 2


def test_an_edit_of_a_command_or_of_a_report_into_a_command_runs_nothing(services) -> None:  # type: ignore[no-untyped-def]
    _pattern_one(services)
    top = _said(services, "top", "m1")
    services.snag.handle_message(top)
    assert services.snag.store_edit(replace(top, text="status 1 resolved")) is None
    report = _said(services, "the courier van leaves before the dock closes", "m2")
    assert services.snag.handle_message(report).kind == "receipt"
    reply = _edited(services, report, "status 1 resolved")
    assert reply is not None and reply.title == "Report #2 keeps your earlier words."
    assert "resolved" not in _statuses(services)
