"""The start-up line saying Slack accepted the bot token is logged whole; real secrets stay masked.

The mask read "SLACK_BOT_TOKEN: bot" as a setting and its value, so the line said
"Slack accepted SLACK_BOT_[redacted] user UBOT in workspace Acme (T0001)"."""

from __future__ import annotations

import json

import pytest

from adapters.slack.authorize import BotIdentity, TokenCheck
from adapters.slack.client import web_client
from bot.logs import configure, scrub
from tests.slack.conftest import BOT_TOKEN

ACCEPTED = "Slack accepted SLACK_BOT_TOKEN: bot user UBOT in workspace Acme (T0001)"


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_the_token_check_line_reads_whole_in_text_and_json(slack_settings, fmt: str, capsys) -> None:  # type: ignore[no-untyped-def]
    configure(level="INFO", fmt=fmt)
    check = TokenCheck(web_client(slack_settings, BOT_TOKEN), BotIdentity())
    assert await check.once()
    lines = [line for line in capsys.readouterr().err.splitlines() if "Slack accepted" in line]
    assert len(lines) == 1, lines
    said = json.loads(lines[0])["message"] if fmt == "json" else lines[0]
    assert said.endswith(ACCEPTED) and "[redacted]" not in said and BOT_TOKEN not in said


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        (f"posting with {BOT_TOKEN}", BOT_TOKEN),
        ("socket mode with xapp-1-A0123ABC-4567890-abcdef0123", "xapp-1-A0123ABC"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("token=abc123def", "abc123def"),
        ("SNAG_REPORTER_SECRET=letmein", "letmein"),
        ("client_secret = letmein please", "letmein"),
        ("password: hunter2", "hunter2"),
        ("password: letmein", "letmein"),
        ("secret:letmein", "letmein"),
        ('{"token": "8f742231b10e8888abcd99yyyzzz85a5"}', "8f742231b10e"),
        ("{'signature': 'v0=a2114d57b48eac39'}", "a2114d57b48eac39"),
        ("token: pdFZKVeTuE8sk7oOcBrzbqgy in the header", "pdFZKVeTuE8sk7oOcBrzbqgy"),
        ("could not connect to postgresql+psycopg://snag:hunter2@db:5432/snag", "hunter2"),
        ("GET https://bot:Pa55~w.rd@proxy.example/x", "Pa55~w.rd"),
    ],
)
def test_real_secrets_stay_masked(line: str, hidden: str) -> None:
    cleaned = scrub(line)
    assert hidden not in cleaned and "[redacted]" in cleaned


@pytest.mark.parametrize(
    "line",
    [
        ACCEPTED,
        "Slack answers again and accepted SLACK_BOT_TOKEN: bot user UBOT in workspace Acme (T0001)",
        "SLACK_SIGNING_SECRET holds a token, not the signing secret: copy the Signing Secret",
        "mailto:dana@acme.example and user:dana@acme.example",
    ],
)
def test_a_setting_name_followed_by_words_is_left_alone(line: str) -> None:
    assert scrub(line) == line


def test_a_password_in_a_url_leaves_the_user_and_host_readable() -> None:
    assert (
        scrub("postgresql+psycopg://snag:hunter2@db:5432/snag") == "postgresql+psycopg://snag:[redacted]@db:5432/snag"
    )
