"""`top` and `stats` windows start at midnight UTC: asked again as the clock moves, they never tell
the minute a report leaves the window (an anonymity audit read each report's minute that way), only
the day. And a narrow slice answers alike whether nobody or fewer than k people reported in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Services
from bot.domain import IncomingMessage, Reply
from tests.bot.test_top_and_stats_in_chat import chat  # noqa: F401  (the fixture)

FILED = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
TIMES = [(9, 5), (9, 40), (14, 12), (14, 13)]  # four people, one report each
KEY_SAFE = "The key safe is empty again so the vans go out late"


def _say(services: Services, text: str, when: datetime, user: str = "asker") -> Reply:
    snag = services.snag
    snag.clock = lambda: when
    person = snag.person("slack", "T1", user)
    return snag.handle_message(IncomingMessage(person, text, f"D-{user}", via="dm", received_at=when))


def _seen(reply: Reply) -> tuple[str, list[tuple[str | None, str, tuple[tuple[str, str], ...]]]]:
    return reply.title, [(s.heading, s.text, s.fields) for s in reply.sections]


def _file_four(chat: Services) -> None:  # noqa: F811
    for n, (hour, minute) in enumerate(TIMES):
        _say(chat, KEY_SAFE, FILED.replace(hour=hour, minute=minute), f"p{n}")


def test_top_answers_alike_all_day_and_changes_only_at_midnight(chat: Services) -> None:  # noqa: F811
    _file_four(chat)
    week_on = FILED + timedelta(days=7)
    answers = {
        (h, m): _seen(_say(chat, "top", week_on.replace(hour=h, minute=m)))
        for h, m in [(0, 1), (9, 4), (9, 6), (9, 41), (14, 12), (14, 14), (23, 59)]
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    title, sections = answers[(9, 6)]
    assert title.startswith("Top patterns (last 7 days to midnight UTC, since 16 Nov)"), title
    assert [dict(fields)["Reports"] for _, _, fields in sections if fields] == ["4 from 4 people"]
    gone = _say(chat, "top", FILED + timedelta(days=8))  # midnight: the whole day leaves at once
    assert [s.text for s in gone.sections] == ["Nothing here with 3 or more people reporting yet."]


def test_stats_answer_alike_all_day(chat: Services) -> None:  # noqa: F811
    _file_four(chat)
    month_on = FILED + timedelta(days=30)
    answers = [_seen(_say(chat, "stats", month_on.replace(hour=h, minute=m))) for h, m in [(9, 4), (9, 6), (14, 14)]]
    assert answers[0] == answers[1] == answers[2], answers
    assert _say(chat, "top 30d", month_on.replace(hour=14, minute=14)).title.startswith(
        "Top patterns (last 30 days to midnight UTC, since 16 Nov)"
    )


def test_a_narrow_slice_reads_alike_with_nobody_and_with_one_person(chat: Services) -> None:  # noqa: F811
    now = FILED + timedelta(days=1)
    nobody = _seen(_say(chat, "top", now))
    _say(chat, KEY_SAFE, now - timedelta(hours=2), "lone")
    one = _seen(_say(chat, "top", now))
    assert one == nobody and nobody[1][0][1] == "Nothing here with 3 or more people reporting yet."
