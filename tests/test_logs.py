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


def test_scrub_masks_an_oauth_code_and_state_in_a_logged_url() -> None:
    line = '"GET /slack/oauth_redirect?code=1234567890.SECRETCODE123&state=abcSTATE HTTP/1.1" 400'
    cleaned = scrub(line)
    assert "SECRETCODE123" not in cleaned and "abcSTATE" not in cleaned
    assert cleaned.startswith('"GET /slack/oauth_redirect?') and scrub("error_code=42") == "error_code=42"


async def test_the_served_access_log_never_carries_a_query_string(
    settings, fixed_classifier, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    """`snag serve` runs aiohttp with an access logger that drops the query (where OAuth's code is)."""
    import aiohttp
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from adapters import server
    from bot.app import build

    oauth = settings.model_copy(
        update={
            "slack_client_id": "1111.2222",
            "slack_client_secret": "client-secret-value",
            "slack_signing_secret": "test-signing-secret",
        }
    )
    services = build(oauth, classifier=fixed_classifier, migrate=True)
    ran: dict[str, object] = {}
    monkeypatch.setattr(web, "run_app", lambda app, **options: ran.update(options, app=app))
    server.serve(services)  # as `snag serve` starts it, minus the listening
    options = {k: v for k, v in ran.items() if k.startswith("access_log")}
    test_server = TestServer(ran["app"], host="127.0.0.1", port=0)
    await test_server.start_server(**options)  # as web.run_app hands them to its runner
    caplog.set_level(logging.INFO)
    try:
        async with aiohttp.ClientSession() as session:
            url = test_server.make_url("/slack/oauth_redirect?code=1234567890.SECRETCODE123&state=abcSTATE")
            async with session.get(url) as response:
                await response.read()
    finally:
        await test_server.close()
        services.engine.dispose()
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("GET /slack/oauth_redirect" in line for line in access), access
    assert not [line for line in access if "SECRETCODE123" in line or "abcSTATE" in line or "?" in line]


def test_the_oauth_scrub_leaves_ordinary_words_alone() -> None:
    """Only a query string's code= and state= are secrets: "exit code=1" is a fact a log needs."""
    from bot.logs import scrub

    assert (
        scrub("GET /slack/oauth_redirect?code=123.SECRET&state=abc")
        == "GET /slack/oauth_redirect?[redacted]&[redacted]"
    )
    assert scrub("process exited with code=1, retry state=pending") == "process exited with code=1, retry state=pending"
