"""Asking twice tells nobody's report: `top`, `stats`, `pattern <id>` and `search` count only the
reports filed before midnight UTC today (the cut), so whoever asks before and after a colleague
files sees the same answer; the whole day's reports come in together at the next midnight. A
person's own views (`mine`, the receipt) show their report at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from bot.app import Services
from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from store.models import Report
from tests.bot.test_top_and_stats_in_chat import chat  # noqa: F401  (the fixture)

DAY = datetime(2026, 11, 18, tzinfo=UTC)  # a Wednesday: the colleague files at 10:00
KEY_SAFE = "The key safe is empty again so the vans go out late"
ODD = "Parking permits for the night shift are printed in Spanish only"
QUERIES = ("stats", "top", "top 30d team:finance", "search key safe")


def _say(services: Services, text: str, when: datetime, user: str = "M1") -> Reply:
    snag = services.snag
    snag.clock = lambda: when
    person = snag.person("slack", "T1", user)
    return snag.handle_message(IncomingMessage(person, text, f"D-{user}", via="dm", received_at=when))


def _seen(reply: Reply) -> tuple[object, ...]:
    return (reply.kind, reply.title, [(s.heading, s.text, s.fields) for s in reply.sections], reply.notices)


def _fields(reply: Reply) -> dict[str, str]:
    (fields,) = [dict(s.fields) for s in reply.sections if s.fields]
    return fields


def _pattern_of(services: Services, text: str) -> int:
    with Session(services.engine) as s:
        pid = s.exec(select(Report.pattern_id).where(Report.text == text).order_by(col(Report.id))).first()
    assert pid is not None
    return pid


def _ready(services: Services) -> int:
    """Four people's key-safe reports the day before, one pattern; M1 a manager. Its id."""
    services.snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for n in range(4):
        assert _say(services, KEY_SAFE, DAY - timedelta(hours=10 - n), f"p{n}").kind == "receipt"
    return _pattern_of(services, KEY_SAFE)


def test_what_a_colleague_files_changes_no_answer_until_midnight(chat: Services) -> None:  # noqa: F811
    key_safe = _ready(chat)
    asked = [*QUERIES, f"pattern {key_safe}"]
    before = {q: _seen(_say(chat, q, DAY.replace(hour=9))) for q in asked}
    assert "4 reports from the last 30 days to midnight UTC." in repr(before["stats"])
    assert "4 from 4 people" in repr(before["top"])

    assert _say(chat, KEY_SAFE, DAY.replace(hour=10), "colleague").kind == "receipt"
    after = {q: _seen(_say(chat, q, DAY.replace(hour=10, minute=1))) for q in asked}
    assert after == before

    tomorrow = {q: repr(_seen(_say(chat, q, DAY + timedelta(days=1, minutes=1)))) for q in asked}
    assert "5 reports from the last 30 days to midnight UTC." in tomorrow["stats"]
    assert "5 from 5 people" in tomorrow["top"] and "5 from 5 people" in tomorrow[f"pattern {key_safe}"]


def test_a_pattern_of_todays_report_is_no_pattern_until_midnight(chat: Services) -> None:  # noqa: F811
    _ready(chat)
    filed = _say(chat, ODD, DAY.replace(hour=10), "colleague")
    odd = _pattern_of(chat, ODD)
    unknown = _say(chat, f"pattern {odd + 50}", DAY.replace(hour=10, minute=1))
    today = _say(chat, f"pattern {odd}", DAY.replace(hour=10, minute=1), "p0")
    assert (today.kind, today.title) == (unknown.kind, unknown.title.replace(str(odd + 50), str(odd)))
    assert today.title == f"There is no pattern #{odd}."
    later = _say(chat, f"pattern {odd}", DAY + timedelta(days=1), "p0")
    assert later.title == f"Pattern #{odd} has fewer than 3 reporters, so its details stay private for now."
    # the colleague's own views show it at once
    assert filed.kind == "receipt"
    mine = _say(chat, "mine", DAY.replace(hour=10, minute=2), "colleague")
    assert "Parking permits" in repr(mine.sections)


def test_a_pattern_counts_its_reporters_as_of_midnight(chat: Services) -> None:  # noqa: F811
    """p0 reported before, so their report today adds a report but no reporter tomorrow; the new
    reporter's only report in it is today's, so today they are not counted at all."""
    key_safe = _ready(chat)
    _say(chat, KEY_SAFE + " once more", DAY.replace(hour=8), "p0")
    _say(chat, KEY_SAFE + " as ever", DAY.replace(hour=8, minute=30), "newcomer")
    assert _pattern_of(chat, KEY_SAFE + " as ever") == key_safe
    fields = _fields(_say(chat, f"pattern {key_safe}", DAY.replace(hour=9)))
    assert fields["Reports"] == "4 from 4 people"
    assert fields["Last seen"] == f"{DAY - timedelta(days=1):%d %b %Y}"
    fields = _fields(_say(chat, f"pattern {key_safe}", DAY + timedelta(days=1, hours=9)))
    assert fields["Reports"] == "6 from 5 people"
    assert fields["Last seen"] == f"{DAY:%d %b %Y}"


def test_a_third_reporter_today_opens_no_pattern_to_search_until_midnight(chat: Services) -> None:  # noqa: F811
    chat.snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for n in range(2):
        _say(chat, KEY_SAFE, DAY - timedelta(hours=5 - n), f"p{n}")
    key_safe = _pattern_of(chat, KEY_SAFE)
    asked = ("search key safe", f"pattern {key_safe}", "top")
    before = {q: _seen(_say(chat, q, DAY.replace(hour=9))) for q in asked}
    _say(chat, KEY_SAFE, DAY.replace(hour=10), "third")  # k = 3 people, with today's
    assert {q: _seen(_say(chat, q, DAY.replace(hour=11))) for q in asked} == before
    assert "No reports match those words." in repr(before["search key safe"])
    found = _say(chat, "search key safe", DAY + timedelta(days=1))
    assert [s.text for s in found.sections].count(KEY_SAFE) == 3
