"""Which digests go where: `snag subscriptions` and an admin's `subscriptions` in chat say, for each
subscription, when its next digest goes (and which week it covers) and how the last one went,
with the error of a failed send, so an admin can see a recorded failure without reading logs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from digests.subscriptions import describe, standings, subscribe
from store.db import session_scope
from tests.conftest import run_snag
from tests.digests.conftest import NOW, RecordingMessenger, console_scheduler, make_services


def _subscribe(
    services,
    destination: str,
    *,
    cron: str = "0 9 * * mon",
    platform: str = "console",
    tenant: str = "local",
    audience: str = "all",
) -> int:  # type: ignore[no-untyped-def]  # noqa: E501
    with session_scope(services.engine) as session:
        return subscribe(
            session=session,
            platform=platform,
            tenant=tenant,
            audience=audience,
            destination=destination,
            cron=cron,
            timezone="Europe/London",
        ).id  # type: ignore[return-value]


def _lines(services, now=NOW, **only) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return [describe(s) for s in standings(session=session, now=now, **only)]


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def test_no_subscriptions_says_how_to_add_one(snag) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = snag("subscriptions")
    assert code == 0 and out.strip() == "No digest subscriptions: add one with `snag subscribe`."


def test_each_subscription_is_listed_with_its_next_digest_and_the_week_it_covers(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    _subscribe(digest_services, "C1")
    _subscribe(digest_services, "C2", platform="slack", tenant="T1", audience="team:finance")
    code, out, _ = snag("subscriptions")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == '#1 all digest to console:C1 (local), "0 9 * * mon" Europe/London, with alerts'
    assert lines[2] == '#2 team:finance digest to slack:C2 (T1), "0 9 * * mon" Europe/London, with alerts'
    assert "nothing sent yet" in lines[1] and "nothing sent yet" in lines[3]
    assert "next: Mon " in lines[1] and "09:00 GMT (the week of Mon " in lines[1]  # a date, in London time
    code, out, _ = snag("subscriptions", "--platform", "slack")
    assert code == 0 and "#2 team:finance" in out and "#1 " not in out
    code, out, _ = snag("subscriptions", "--tenant", "T9")
    assert code == 0 and out.strip() == "No digest subscriptions for --tenant T9: add one with `snag subscribe`."


def test_the_next_digest_is_the_first_time_of_the_schedule_that_sends_a_week_not_sent(demo_services) -> None:  # type: ignore[no-untyped-def]
    daily = _subscribe(demo_services, "C1", cron="0 8 * * *")
    (before,) = _lines(demo_services)
    # NOW is Wednesday 25 Nov 10:00 UTC: the next 08:00 is Thursday's, and it sends the week of 16 Nov
    assert "next: Thu 26 Nov 2026 08:00 GMT (the week of Mon 16 Nov 2026)" in before[1]
    assert console_scheduler(demo_services, RecordingMessenger(), NOW).run_subscription(daily) == "sent"
    (after,) = _lines(demo_services)
    # the days left this week would send nothing: the next digest is Monday's, of the week of 23 Nov
    assert "next: Mon 30 Nov 2026 08:00 GMT (the week of Mon 23 Nov 2026)" in after[1]
    assert "last: the week of Mon 16 Nov 2026 sent Wed 25 Nov 2026 10:00 GMT" in after[1]


def test_a_failed_send_is_listed_with_its_error_and_attempts(demo_services, snag) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribe(demo_services, "C1")
    monday = NOW - timedelta(days=2) + timedelta(hours=-1)  # Monday 23 Nov 09:00 UTC
    failing = console_scheduler(demo_services, RecordingMessenger(failing=("C1",)), monday)
    assert failing.run_subscription(sub) == "failed"
    code, out, _ = snag("subscriptions")
    assert code == 0
    assert (
        "last: the week of Mon 16 Nov 2026 FAILED, attempt 1 of 5: RuntimeError" in out
        and "`snag scheduler` tries again every 10 minutes" in out
    ), out
    # the week that failed is the retry job's; the schedule's next time sends the week after
    assert "next: Mon 30 Nov 2026 09:00 GMT (the week of Mon 23 Nov 2026)" in out


def test_a_given_up_week_is_not_promised_again(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from store.models import DigestRun

    sub = _subscribe(demo_services, "C1", cron="0 8 * * *")
    assert console_scheduler(demo_services, RecordingMessenger(failing=("C1",)), NOW).run_subscription(sub) == "failed"
    with session_scope(demo_services.engine) as session:
        session.exec(update(DigestRun).values(status="gave_up", attempts=5))  # type: ignore[call-overload]
    (line,) = _lines(demo_services)
    assert "GIVEN UP after 5 attempt(s): RuntimeError" in line[1]
    assert "next: Mon 30 Nov 2026 08:00 GMT (the week of Mon 23 Nov 2026)" in line[1]


def test_listing_reads_the_runs_in_one_query_however_many_subscriptions(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    def statements(count: int) -> int:
        for n in range(count):
            _subscribe(demo_services, f"C-{count}-{n}")
        seen: list[str] = []

        def keep(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(demo_services.engine, "before_cursor_execute", keep)
        try:
            lines = _lines(demo_services)
        finally:
            event.remove(demo_services.engine, "before_cursor_execute", keep)
        assert len(lines) >= count
        return len(seen)

    few = statements(2)
    assert statements(30) == few  # one query per subscription before: 33 against 3


@pytest.fixture
def slack_org(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path)
    services.snag.roles = RolePolicy.from_lists(["slack:UADMIN"], [])
    services.snag.clock = lambda: NOW
    yield services
    services.engine.dispose()


def _say(services, user: str, text: str, channel: str = "C1") -> Reply:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", user)
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel=channel))


def test_an_admin_in_chat_sees_this_organisations_subscriptions_and_which_come_here(slack_org) -> None:  # type: ignore[no-untyped-def]
    _subscribe(slack_org, "C1", platform="slack", tenant="T1")
    _subscribe(slack_org, "C2", platform="slack", tenant="T1", audience="team:finance")
    _subscribe(slack_org, "C1", platform="slack", tenant="T2")  # another organisation's: not theirs to see
    reply = _say(slack_org, "UADMIN", "subscriptions")
    assert reply.title == "Digest subscriptions in this organisation: 2."
    texts = [s.text for s in reply.sections]
    assert texts[0].startswith("(here) #1 all digest to slack:C1 (T1)")
    assert texts[1].startswith("#2 team:finance digest to slack:C2 (T1)")
    assert all("next: Mon 30 Nov 2026 09:00 GMT" in t for t in texts)
    assert not any("(T2)" in t for t in texts)


def test_an_admin_of_an_organisation_without_subscriptions_is_told_how_to_add_one(slack_org) -> None:  # type: ignore[no-untyped-def]
    reply = _say(slack_org, "UADMIN", "subscriptions")
    assert reply.title == "No digest subscriptions in this organisation yet: `subscribe` sends the digest here."


def test_staff_asking_for_subscriptions_are_told_who_sets_them_up(slack_org) -> None:  # type: ignore[no-untyped-def]
    _subscribe(slack_org, "C1", platform="slack", tenant="T1")
    reply = _say(slack_org, "USTAFF", "subscriptions")
    text = reply.plain_text()
    assert "for admins" in text and "slack:C1" not in text
    filed = _say(slack_org, "USTAFF", "subscriptions to the rota spreadsheet keep lapsing so shifts go uncovered")
    assert filed.kind == "receipt"  # a sentence starting with the word is a report
