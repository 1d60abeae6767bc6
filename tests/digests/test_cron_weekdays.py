"""A subscription's schedule means what cron means: weekday 0 and 7 are Sunday, 1 Monday (APScheduler 3
alone reads 0 as Monday, so "0 9 * * 1" went out on Tuesdays); a schedule that never comes round is
refused, one that misses weeks is explained; and chat `subscribe` refuses words it does not know
instead of saving the default schedule over them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.domain import IncomingMessage, Role
from digests.scheduler import build_scheduler
from digests.subscriptions import describe, list_subscriptions, standings
from store.db import session_scope
from tests.conftest import run_snag
from tests.digests.conftest import NOW
from tests.digests.test_digest_cli_messages import CLASS_NAME, _admin_says

SUNDAY = NOW + timedelta(days=4)  # Sunday 29 Nov 2026 10:00 UTC: the week of 23 Nov has ended by Monday


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` as the console script does: (exit code, stdout, stderr)."""
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def _next(services, now=NOW) -> list[str]:  # type: ignore[no-untyped-def]
    """Each subscription's `next: …` as `snag subscriptions` and chat `subscriptions` show it."""
    with session_scope(services.engine) as session:
        return [describe(s)[1].split(" (")[0] for s in standings(session=session, now=now)]


def _schedules(services) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return [(s.audience, s.cron, s.timezone) for s in list_subscriptions(session=session)]


@pytest.mark.parametrize(
    ("cron", "now", "first"),
    [
        ("0 9 * * 1", NOW, "Mon 30 Nov"),  # was Tue 01 Dec
        ("0 9 * * 5", NOW, "Fri 27 Nov"),  # was Sat 28 Nov
        ("0 9 * * 0", NOW, "Sun 29 Nov"),  # was Mon 30 Nov
        ("0 9 * * 7", NOW, "Sun 29 Nov"),  # was refused: "the last value (7) is higher than the maximum value (6)"
        ("0 9 * * 0,6", NOW, "Sat 28 Nov"),  # was Sunday and Monday
        ("0 9 * * 1-5", SUNDAY, "Mon 30 Nov"),  # Monday to Friday: was Tuesday to Saturday
        ("0 9 * * */2", NOW, "Thu 26 Nov"),  # Sun, Tue, Thu, Sat: was Mon, Wed, Fri, Sun
        ("0 9 * * 1-5/2", NOW, "Fri 27 Nov"),  # Mon, Wed, Fri: was Tue, Thu, Sat
        ("0 9 * * mon", NOW, "Mon 30 Nov"),  # names meant the same before and still do
        ("0 9 * * SUN", NOW, "Sun 29 Nov"),
        ("0 9 * * fri-sun", NOW, "Fri 27 Nov"),
    ],
)
def test_weekdays_are_read_as_cron_reads_them(snag, digest_services, cron: str, now, first: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("subscribe", "all", "--destination", "C1", "--cron", cron, "--tz", "UTC")
    assert code == 0, err
    assert f'on "{cron}" (UTC)' in out  # stored as the admin wrote it
    assert _schedules(digest_services) == [("all", cron, "UTC")]
    assert _next(digest_services, now) == [f"next: {first} 2026 09:00 UTC"]


def test_the_scheduler_sends_on_the_weekday_the_listing_shows(digest_services, snag) -> None:  # type: ignore[no-untyped-def]
    assert snag("subscribe", "all", "--destination", "C1", "--cron", "0 9 * * 1", "--tz", "UTC")[0] == 0
    runner = build_scheduler(digest_services, BackgroundScheduler(timezone="UTC"))
    runner.sync()
    [job] = [job for job in runner.scheduler.get_jobs() if job.id.startswith("digest:")]
    assert job.trigger.get_next_fire_time(None, NOW).strftime("%a %d %b") == "Mon 30 Nov"


def test_weekday_mistakes_say_what_a_weekday_is(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    code, _, err = snag("subscribe", "all", "--cron", "0 9 * * 8")
    assert code == 2 and "there is no weekday 8: weekdays are 0-7 (0 and 7 are Sunday) or mon-sun" in err
    assert not CLASS_NAME.search(err) and _schedules(digest_services) == []


def test_a_schedule_that_never_comes_round_is_refused(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    """31 February was saved, and listed as `next: never`: its digest would never have gone out."""
    code, out, err = snag("subscribe", "all", "--cron", "0 9 31 2 *")
    assert code == 2 and out == ""
    assert "`0 9 31 2 *` never comes round" in err and "no digest would ever be sent" in err
    assert _schedules(digest_services) == []
    said = _admin_says(digest_services, 'subscribe all cron="0 9 31 2 *"')
    assert "never comes round" in said and _schedules(digest_services) == []


@pytest.mark.parametrize("cron", ["0 9 1 * *", "0 9 1-7 * mon", "0 9 * 1 mon"])
def test_a_schedule_that_misses_weeks_says_those_weeks_are_never_sent(snag, cron: str) -> None:  # type: ignore[no-untyped-def]
    """Monthly was accepted without a word, yet each digest covers only the week before it."""
    code, out, err = snag("subscribe", "all", "--destination", "C1", "--cron", cron)
    assert code == 0 and "Subscription 1" in out
    assert f'Note: "{cron}" does not run every week' in err
    assert "each digest covers only the week before it" in err and "the weeks in between are never sent" in err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "subscribe team:finance zone=Europe/London",
            "I didn't understand `zone=Europe/London` (did you mean `timezone=Europe/London`?), so nothing was saved.",
        ),
        (
            'subscribe all schedule="0 8 * * fri"',
            'I didn\'t understand `schedule="0 8 * * fri"` (did you mean `cron="0 8 * * fri"`?)',
        ),
        ("subscribe all Europe/London", "I didn't understand `Europe/London` (did you mean `tz=Europe/London`?)"),
        ("subscribe europe/london", "I didn't understand `europe/london` (did you mean `tz=Europe/London`?)"),
        (
            'subscribe all tz=UTC "0 8 * * fri"',
            'I didn\'t understand `0 8 * * fri` (did you mean `cron="0 8 * * fri"`?)',
        ),
        ("subscribe all weekly mondays", "I didn't understand `weekly` or `mondays`, so nothing was saved."),
        ("subscribe all tz=UTC timezone=Europe/London", "You gave two time zones, UTC and Europe/London"),
    ],
)
def test_chat_subscribe_refuses_what_it_does_not_understand(digest_services, text: str, says: str) -> None:  # type: ignore[no-untyped-def]
    said = _admin_says(digest_services, text)
    assert says in said, said
    if "understand" in says:
        assert 'Write it as `subscribe [audience] [cron="0 9 * * mon"] [tz=Europe/London]`' in said
    assert not CLASS_NAME.search(said)
    assert _schedules(digest_services) == []


def test_a_word_chat_does_not_know_leaves_an_existing_schedule_alone(digest_services) -> None:  # type: ignore[no-untyped-def]
    said = _admin_says(digest_services, 'subscribe team:finance cron="0 8 * * fri" timezone=Europe/London')
    assert said.startswith('Subscribed: the team:finance digest comes here on "0 8 * * fri" (Europe/London)')
    said = _admin_says(digest_services, "subscribe team:finance zone=America/New_York")
    assert "did you mean `timezone=America/New_York`" in said and "nothing was saved" in said
    assert _schedules(digest_services) == [("team:finance", "0 8 * * fri", "Europe/London")]


def test_chat_unsubscribe_refuses_words_it_does_not_know(digest_services) -> None:  # type: ignore[no-untyped-def]
    _admin_says(digest_services, "subscribe team:finance")
    said = _admin_says(digest_services, "unsubscribe team:finance team:support")
    assert "I didn't understand `team:support`, so nothing was removed." in said
    assert "Write it as `unsubscribe [audience]`" in said
    assert _schedules(digest_services) == [("team:finance", "0 9 * * mon", "UTC")]
    assert _admin_says(digest_services, "unsubscribe team:finance").startswith("Unsubscribed 1")


def test_an_admin_unsubscribes_another_channels_subscription_by_its_number(digest_services) -> None:  # type: ignore[no-untyped-def]
    # A deleted channel can never be typed in: its subscription failed every week until someone
    # with a shell ran `snag unsubscribe`, since chat removed only the subscriptions of where it was typed.
    admin = replace(digest_services.snag.person("slack", "T1", "U1"), role=Role.ADMIN)

    def says(text: str, channel: str) -> str:
        message = IncomingMessage(person=admin, text=text, channel=channel)
        return digest_services.snag.handle_message(message).plain_text()

    says("subscribe team:finance", "C-GONE")
    says("subscribe all", "C-LEADS")
    listed = says("subscriptions", "C-LEADS")
    number = int(re.search(r"#(\d+) team:finance digest to slack:C-GONE", listed)[1])  # type: ignore[index]
    assert says(f"unsubscribe #{number}", "C-LEADS").startswith(f"Unsubscribed #{number}")
    assert _schedules(digest_services) == [("all", "0 9 * * mon", "UTC")]
    assert "No subscription #999 in this organisation" in says("unsubscribe 999", "C-LEADS")
    leads = int(re.search(r"#(\d+) all digest to slack:C-LEADS", listed)[1])  # type: ignore[index]
    other = replace(admin, tenant="T2")  # another organisation's subscription is not theirs to remove
    refused = digest_services.snag.handle_message(
        IncomingMessage(person=other, text=f"unsubscribe #{leads}", channel="C9")
    )
    assert f"No subscription #{leads} in this organisation" in refused.plain_text()
    assert _schedules(digest_services) == [("all", "0 9 * * mon", "UTC")]
