"""What leaders read word for word in Slack (the digest's "In their words", `pattern <id>`) names
nobody: no reporter's own sign-off, and nothing filed where the channel can see who wrote it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.slack.conftest import MANAGER, SlackDriver, fixture
from tests.slack.test_loop import SAM, file_every_way, key
from tests.slack.validate import answer_text

PLAIN = [
    ("U0AAA", "the pharmacy never answers the phone before 10 so ward 4 waits for meds"),
    ("U0BBB", "the pharmacy never answers the phone before 10 and ward 4 waits for meds"),
    ("U0CCC", "pharmacy never answers the phone before 10, ward 4 waits for meds again"),
]
SIGNED = ("U0AAA", "pharmacy never answers the phone before 10, ward 4 meds late. Thanks, Priya (night sister, ward 4)")
INTAKE = "the intake form asks customers for their address twice"


def last_week(hours: int) -> datetime:
    """A moment inside the last complete week (the digest's), `hours` after its Tuesday began."""
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday - timedelta(days=6) + timedelta(hours=hours)


async def dm(slack: SlackDriver, user: str, text: str, n: int, *, when: datetime) -> None:
    payload = fixture("event_message_im")
    payload["event"].pop("blocks", None)
    payload["event"] |= {"text": text, "user": user, "channel": f"D{user}", "ts": f"{1700000100 + n}.000200"}
    payload |= {"event_id": f"EvQuote{n}", "event_time": int(when.timestamp())}
    await slack.event(payload)


async def mention(slack: SlackDriver, user: str, text: str, n: int, *, when: datetime) -> None:
    payload = fixture("event_app_mention")
    payload["event"] |= {"text": f"<@UBOT> {text}", "user": user, "ts": f"{1700000200 + n}.000300"}
    payload |= {"event_id": f"EvMention{n}", "event_time": int(when.timestamp())}
    await slack.event(payload)


async def ask(slack: SlackDriver, command: str, n: int) -> str:
    """What the manager reads back after DMing Snag a command."""
    before = len(slack.fake.called("chat.postMessage"))
    payload = fixture("event_message_im")
    payload["event"].pop("blocks", None)
    payload["event"] |= {"text": command, "user": MANAGER, "channel": "DMANAGER", "ts": f"{1700009000 + n}.000100"}
    payload["event_id"] = f"EvAsk{n}"
    await slack.event(payload)
    await slack.runtime.drain()
    posts: list[Any] = slack.fake.called("chat.postMessage")[before:]
    assert posts, f"no answer to {command!r}"
    return "\n".join(answer_text(p.params) for p in posts)


def quotes_in(answer: str) -> list[str]:
    return [line for line in answer.split("\n") if line.startswith(("“", ">“", "> “"))]


def pattern_of(slack: SlackDriver) -> int:
    [pattern_id] = {r.pattern_id for r in slack.reports()}
    assert pattern_id is not None
    return pattern_id


async def test_a_reporters_own_sign_off_is_never_quoted_and_a_plain_quote_is_preferred(slack: SlackDriver) -> None:
    for n, (user, text) in enumerate([*PLAIN, SIGNED]):
        await dm(slack, user, text, n, when=last_week(n))  # the signed one is the week's latest
    pattern_id = pattern_of(slack)
    digest = await ask(slack, "digest", 0)
    assert "In their words" in digest
    assert "Priya" not in digest and "night sister" not in digest
    assert PLAIN[2][1] in digest  # the latest that names nobody, rather than the signed one scrubbed
    detail = await ask(slack, f"pattern {pattern_id}", 1)
    assert "Priya" not in detail and "night sister" not in detail
    assert [q for q in quotes_in(detail) if "pharmacy" in q], detail
    assert len([t for _, t in PLAIN if t in detail]) == 3  # three quotes, all three naming nobody


async def test_a_quote_that_only_comes_signed_shows_name_in_place_of_the_name(slack: SlackDriver) -> None:
    signed = [
        ("U0AAA", "the pharmacy never answers the phone before 10 so ward 4 waits for meds. Thanks, Priya"),
        ("U0BBB", "the pharmacy never answers the phone before 10 and ward 4 waits for meds — Sam"),
        ("U0CCC", "I'm Jo from nights and the pharmacy never answers the phone before 10, ward 4 waits"),
    ]
    for n, (user, text) in enumerate(signed):
        await dm(slack, user, text, n, when=last_week(n))
    pattern_id = pattern_of(slack)
    digest = await ask(slack, "digest", 0)
    assert "I'm [name] from nights and the pharmacy" in digest
    detail = await ask(slack, f"pattern {pattern_id}", 1)
    for gone in ("Priya", "Sam", "Jo "):
        assert gone not in digest and gone not in detail
    assert "Thanks, [name]" in detail and "waits for meds — [name]" in detail


async def test_reports_made_in_a_channel_are_counted_but_never_quoted(slack: SlackDriver) -> None:
    for n, user in enumerate(["U0AAA", "U0BBB", "U0CCC"]):
        await mention(
            slack, user, INTAKE + (" and it drives me mad on the late shift" if n == 2 else ""), n, when=last_week(n)
        )
    assert [r.shared for r in slack.reports()] == [True, True, True]
    pattern_id = pattern_of(slack)
    digest = await ask(slack, "digest", 0)
    assert "*People reporting*\n3" in digest  # still counted
    assert "In their words" not in digest and "customers for their address" not in digest
    detail = await ask(slack, f"pattern {pattern_id}", 1)
    assert "3 from 3 people" in detail  # still counted
    assert quotes_in(detail) == [] and "customers for their address" not in detail


async def test_a_private_report_is_quoted_before_a_later_one_made_in_a_channel(slack: SlackDriver) -> None:
    await dm(slack, "U0DDD", INTAKE + " so we ring them back", 0, when=last_week(0))
    for n, user in enumerate(["U0AAA", "U0BBB", "U0CCC"], start=1):
        await mention(slack, user, INTAKE + " and it drives me mad", n, when=last_week(n))
    pattern_id = pattern_of(slack)
    digest = await ask(slack, "digest", 0)
    assert f"“{INTAKE} so we ring them back”" in digest and "drives me mad" not in digest
    detail = await ask(slack, f"pattern {pattern_id}", 1)
    assert f"{INTAKE} so we ring them back" in detail and "drives me mad" not in detail


async def test_only_reports_filed_where_others_see_them_are_stored_as_shared(slack: SlackDriver) -> None:
    await file_every_way(slack)  # /snag, the modal, the shortcut, an @mention, the reaction
    await dm(slack, "U0DM", "the van is late every single friday", 9, when=last_week(0))
    expected = {SAM: False, "U0MODAL": False, "U0DM": False, "U0SHORTCUT": True, "U0MENTION": True, "U0REACTION": True}
    assert {r.reporter_key: r.shared for r in slack.reports()} == {key(slack, u): v for u, v in expected.items()}
