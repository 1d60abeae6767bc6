"""The endpoint's guards: signatures (no bypass), body size, malformed bodies, 429s, quiet logs."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackDriver, fixture, sign

REPORT_TEXT = "refunds sit in the finance inbox for a week before anyone picks them up"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        sign("something else"),  # signed, but not this body
        sign("x", secret="not-the-secret"),
        {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=00"},
    ],
    ids=["missing", "other-body", "wrong-secret", "garbage-timestamp"],
)
async def test_unsigned_or_badly_signed_requests_get_401_and_store_nothing(
    slack: SlackDriver, headers: dict[str, str]
) -> None:
    body = urlencode(fixture("slash_command"))
    status, _ = await slack.post(body, "application/x-www-form-urlencoded", headers=headers, signed=False)
    assert status == 401
    assert slack.reports() == [] and [c.method for c in slack.fake.calls] in ([], ["auth.test"])  # the start's check


async def test_a_signature_older_than_five_minutes_gets_401(slack: SlackDriver) -> None:
    body = json.dumps(fixture("event_message_im"))
    stale = sign(body, timestamp=int(time.time()) - 6 * 60)
    status, _ = await slack.post(body, "application/json", headers=stale, signed=False)
    assert status == 401 and slack.reports() == []


async def test_ssl_check_and_url_verification_cannot_skip_the_signature(slack: SlackDriver) -> None:
    ssl_body = urlencode(fixture("ssl_check"))
    challenge = fixture("url_verification")
    assert (await slack.post(ssl_body, "application/x-www-form-urlencoded", signed=False))[0] == 401
    assert (await slack.post(json.dumps(challenge), "application/json", signed=False))[0] == 401
    assert (await slack.post(ssl_body, "application/x-www-form-urlencoded"))[0] == 200
    status, body = await slack.post(json.dumps(challenge), "application/json")
    assert status == 200 and json.loads(body) == {"challenge": challenge["challenge"]}


async def test_bodies_over_one_megabyte_get_413(slack: SlackDriver) -> None:
    huge = urlencode(fixture("slash_command") | {"text": "x" * (1024 * 1024)})
    status, _ = await slack.post(huge, "application/x-www-form-urlencoded")
    assert status == 413 and slack.reports() == []


async def test_a_chunked_body_over_one_megabyte_gets_413(slack: SlackDriver) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(300):
            yield b"x" * 4096

    url = slack.server.make_url("/slack/events")
    async with slack.session.post(url, data=chunks(), headers=sign("x")) as response:
        assert response.status == 413
    assert slack.reports() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("[" * 50_000 + "]" * 50_000, "application/json"),
    ],
    ids=["bad-payload", "bad-json", "deeply-nested"],
)
async def test_malformed_signed_bodies_are_refused_without_a_crash(
    slack: SlackDriver, body: str, content_type: str
) -> None:
    status, text = await slack.post(body, content_type)
    assert status == 400 and "Traceback" not in text


async def test_an_unknown_event_type_is_answered_and_ignored(slack: SlackDriver) -> None:
    payload = fixture("event_message_im")
    payload["event"] = {"type": "channel_renamed", "channel": {"id": "C1", "name": "x"}}
    assert (await slack.event(payload))[0] == 200
    assert slack.reports() == []


async def test_a_429_is_retried_after_retry_after_and_delivered_once(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", status=429)
    await slack.event(fixture("event_message_im"))
    calls = slack.fake.called("chat.postMessage")
    assert len(calls) == 2 and calls[0].params == calls[1].params


async def test_429_retries_are_bounded(slack: SlackDriver) -> None:
    slack.fake.fail("chat.postMessage", status=429, times=10)
    await slack.event(fixture("event_message_im"))
    assert len(slack.fake.called("chat.postMessage")) == 4, "one try and three retries"
    assert len(slack.reports()) == 1, "the report is kept even when the answer cannot be posted"


async def test_logs_never_hold_tokens_secrets_or_report_text(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = urlencode(fixture("slash_command"))
    await slack.post(body, "application/x-www-form-urlencoded", headers=sign("other"), signed=False)
    await slack.command(fixture("slash_command"))
    await slack.event(fixture("event_message_im"))
    await slack.interaction(fixture("view_submission_report"))
    slack.fake.fail("chat.postMessage", status=200, error="channel_not_found")
    await slack.event(fixture("event_message_im") | {"event_id": "Ev0OTHER"})
    logged = "\n".join(r.getMessage() + (str(r.exc_info) if r.exc_info else "") for r in caplog.records)
    assert "rejected a request" in logged and "channel_not_found" in logged
    for secret in (
        BOT_TOKEN,
        SIGNING_SECRET,
        REPORT_TEXT,
        "we retype every order",
        "courier portal",
    ):
        assert secret not in logged


async def test_a_stage_picked_in_the_report_form_is_recorded_as_that_answer_only(slack: SlackDriver) -> None:
    from sqlmodel import Session

    from store.reports import latest_corrections

    await slack.interaction(fixture("view_submission_report"))  # the form's stage: delivery; the model said billing
    [report] = slack.reports()
    assert report.stage == "delivery" and report.tag_source == "person:stage"
    with Session(slack.services.engine) as session:
        [(_, _, after)] = latest_corrections(session=session)
    assert after["stage"] == "delivery" and after["source"] == "person:stage"
    assert after["kinds"] == [] and after["teams"] == []  # the model's kinds and teams are not the person's answer
