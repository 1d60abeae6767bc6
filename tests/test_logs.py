"""Logs never carry report text or secrets, even when things fail."""

from __future__ import annotations

import logging

from bot.domain import IncomingMessage
from bot.logs import scrub
from tests.conftest import SENTINEL, SUITE_LOGS, leaked


def test_failures_log_an_id_and_a_place_but_never_the_text(services, fixed_classifier, caplog) -> None:  # type: ignore[no-untyped-def]
    def boom(text: str) -> None:
        raise ValueError(f"could not parse {text}")

    fixed_classifier.on_classify = boom
    person = services.snag.person("slack", "T1", "U1")
    caplog.set_level(logging.DEBUG)
    services.snag.handle_message(IncomingMessage(person, f"{SENTINEL} the portal ate my form", "C1"))
    services.snag.repository.list_reports = None  # make the next command fail unexpectedly
    reply = services.snag.handle_message(IncomingMessage(person, "mine", "C1"))
    assert "error id" in reply.title
    messages = [r.getMessage() for r in caplog.records]
    assert any("classifier failed" in m and "ValueError" in m for m in messages)
    assert any("unexpected error" in m for m in messages)
    assert leaked(messages) == []


def test_the_suite_capture_sees_everything_and_would_catch_a_leak() -> None:
    logging.getLogger("snag.selfcheck").debug("debug line %s", "visible")
    assert any("debug line visible" in line for line in SUITE_LOGS.lines)
    assert leaked([f"x {SENTINEL} y", "nothing here"]) == [f"x {SENTINEL} y"]


def test_scrub_masks_tokens_and_secrets() -> None:
    line = "auth xoxb-123-456-abc with Bearer eyJhbGciOi.x.y and signing_secret=abc123"
    cleaned = scrub(line)
    assert "xoxb-123" not in cleaned and "eyJhbGciOi" not in cleaned and "abc123" not in cleaned
