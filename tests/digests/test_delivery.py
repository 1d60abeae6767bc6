"""Scheduling: exactly once across replicas, catch-up after downtime, isolated failures, alerts, closing the loop."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import select

from digests.delivery import ConsoleMessenger, DigestSender
from digests.scheduler import DigestScheduler
from digests.subscriptions import subscribe
from store.db import session_scope
from store.models import Alert, DigestRun, Pattern, Subscription
from tests.digests.conftest import NOW, RecordingMessenger, check_alerts_now, make_services, run_async


def _subscribe(
    services, destination: str, audience: str = "all", platform: str = "console", cron: str = "0 9 * * mon"
) -> int:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return subscribe(
            session=session,
            platform=platform,
            tenant="local",
            audience=audience,
            destination=destination,
            cron=cron,
            timezone="UTC",
        ).id  # type: ignore[return-value]


def _scheduler(services, messenger, now):  # type: ignore[no-untyped-def]
    sender = DigestSender(
        engine=services.engine,
        digests=services.extras["digests"],
        messengers={"console": messenger},
        runner=run_async,
        charts=False,
    )
    return DigestScheduler(services, BackgroundScheduler(timezone="UTC"), sender, clock=lambda: now)


def _runs(services) -> list[DigestRun]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(DigestRun)).all())


def test_two_schedulers_racing_send_once(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    sub = _subscribe(services, "C1")
    messenger = RecordingMessenger()
    replicas = [_scheduler(services, messenger, NOW), _scheduler(make_services(tmp_path, db_url), messenger, NOW)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def fire(replica: DigestScheduler) -> None:
        barrier.wait()
        results.append(replica.run_subscription(sub))

    threads = [threading.Thread(target=fire, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["sent", "skipped"]
    assert len(messenger.sent) == 1 and messenger.sent[0][3].kind == "digest"
    assert [(r.status, r.period) for r in _runs(services)] == [("sent", "2026-W47")]
    services.engine.dispose()


def test_a_missed_run_goes_out_once_when_the_scheduler_comes_back(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribe(demo_services, "C1")
    monday_9 = NOW.replace(day=23, hour=9)
    with session_scope(demo_services.engine) as session:
        row = session.get(Subscription, sub)
        row.created_at = monday_9 - timedelta(days=30)  # type: ignore[union-attr]
        session.add(row)
    messenger = RecordingMessenger()
    back = _scheduler(demo_services, messenger, monday_9 + timedelta(hours=2))  # down at 09:00, back at 11:00
    back.sync()
    assert back.scheduler.get_job(f"digest:{sub}").misfire_grace_time >= 3600
    assert back.catch_up() == {sub: "sent"}
    assert back.catch_up() == {sub: "skipped"}  # a restart, or a second replica, doesn't resend
    assert len(messenger.sent) == 1
    a_day_later = _scheduler(demo_services, messenger, monday_9 + timedelta(days=1))
    assert a_day_later.catch_up() == {sub: "skipped"} and len(messenger.sent) == 1  # sent at 11:00 already


def test_a_digest_missed_over_a_weekend_goes_out_late_once(demo_services, caplog) -> None:  # type: ignore[no-untyped-def]
    """A scheduler down from Friday to Tuesday: the week's digest was silently never sent (beyond the 6 h grace)."""
    sub = _subscribe(demo_services, "C1")
    monday_9 = NOW.replace(day=23, hour=9)
    with session_scope(demo_services.engine) as session:
        row = session.get(Subscription, sub)
        row.created_at = monday_9 - timedelta(days=30)  # type: ignore[union-attr]
        session.add(row)
    messenger = RecordingMessenger()
    tuesday = _scheduler(demo_services, messenger, monday_9 + timedelta(days=1, hours=6))
    with caplog.at_level(logging.WARNING, logger="snag.scheduler"):
        assert tuesday.catch_up() == {sub: "sent"}
    assert f"digest for subscription {sub} was due at 2026-11-23T09:00+00:00" in caplog.text
    assert tuesday.catch_up() == {sub: "skipped"} and len(messenger.sent) == 1  # the retry job: once a period
    [run] = _runs(demo_services)
    assert run.period == "2026-W47"  # the week the digest was due for, not the one after


def test_a_subscription_made_after_its_time_does_not_get_an_old_digest_late(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribe(demo_services, "C1")
    monday_9 = NOW.replace(day=23, hour=9)
    with session_scope(demo_services.engine) as session:
        row = session.get(Subscription, sub)
        row.created_at = monday_9 + timedelta(days=1)  # type: ignore[union-attr]
        session.add(row)
    messenger = RecordingMessenger()
    assert _scheduler(demo_services, messenger, monday_9 + timedelta(days=2)).catch_up() == {}
    assert messenger.sent == []


def test_one_failing_audience_does_not_stop_the_others(demo_services) -> None:  # type: ignore[no-untyped-def]
    good, bad = _subscribe(demo_services, "C-good"), _subscribe(demo_services, "C-bad")
    messenger = RecordingMessenger(failing=("C-bad",))
    scheduler = _scheduler(demo_services, messenger, NOW)
    assert scheduler.run_subscription(bad) == "failed"
    assert scheduler.run_subscription(good) == "sent"
    runs = {r.audience: r for r in _runs(demo_services)}
    assert runs[f"all#{bad}"].status == "failed" and "RuntimeError" in (runs[f"all#{bad}"].error or "")
    assert "refunds" not in (runs[f"all#{bad}"].error or "")
    assert runs[f"all#{good}"].status == "sent"


def test_console_subscriptions_write_text(demo_services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribe(demo_services, "leaders", platform="console")
    sender = DigestSender(
        engine=demo_services.engine,
        digests=demo_services.extras["digests"],
        messengers={"console": ConsoleMessenger(tmp_path / "out")},
        runner=run_async,
    )
    assert sender.send(sub, NOW) == "sent"
    assert "Snag digest" in (tmp_path / "out" / "leaders.txt").read_text(encoding="utf-8")


def test_alerts_are_rate_limited_to_one_per_pattern_per_day(demo_services) -> None:  # type: ignore[no-untyped-def]

    _subscribe(demo_services, "C-alerts", platform="console")
    messenger = RecordingMessenger()
    monday = NOW - timedelta(days=3)  # Sunday 22 Nov: inside the demo's last, busiest week

    def check(now) -> int:  # type: ignore[no-untyped-def]
        return check_alerts_now(demo_services, messenger, now)

    first = check(monday)
    assert first >= 1 and all(m[3].title.startswith("Snag alert") for m in messenger.sent)
    assert check(monday + timedelta(hours=3)) == 0
    with session_scope(demo_services.engine) as session:
        alerts = session.exec(select(Alert)).all()
    assert len(alerts) == first and len({(a.pattern_id, a.day) for a in alerts}) == len(alerts)


def test_changing_owner_tells_each_reporter_privately(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    from digests.loop import notify_reporters, set_pattern
    from store.conversations import save_reference
    from store.models import Pattern, Report

    with session_scope(demo_services.engine) as session:
        pid = session.exec(select(Report.pattern_id).group_by(Report.pattern_id).order_by(func.count().desc())).first()
        keys = sorted(set(session.exec(select(Report.reporter_key).where(Report.pattern_id == pid)).all()))
        for i, key in enumerate(keys):
            save_reference(
                session=session,
                platform="console",
                tenant="local",
                conversation_id=f"dm-{i}",
                reference={},
                reporter_key=key,
            )
    row, changed = set_pattern(
        demo_services.engine, platform="console", tenant="local", pattern_id=pid, owner="Finance", status="in_progress"
    )
    assert changed
    messenger = RecordingMessenger()
    assert notify_reporters(
        demo_services.engine, pattern=row, messengers={"console": messenger}, run_async=run_async
    ) == len(keys)
    assert sorted(m[2] for m in messenger.sent) == sorted(f"dm-{i}" for i in range(len(keys)))
    for _, _, _, reply in messenger.sent:
        text = reply.plain_text()
        assert "being worked on" in text and "Finance" in text
        assert not any(k in text for k in keys) and "demo:" not in text
    with session_scope(demo_services.engine) as session:
        assert session.get(Pattern, pid).owner_set_at is not None  # type: ignore[union-attr]


def test_chat_commands_need_the_right_role(demo_services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.domain import IncomingMessage, Role

    snag = demo_services.snag
    staff = replace(snag.person("console", "local", "someone"), role=Role.STAFF)
    said = lambda p, t: snag.handle_message(IncomingMessage(person=p, text=t, channel="C9"))  # noqa: E731
    assert "admins" in said(staff, "subscribe team:finance").title
    assert "managers" in said(staff, "own 1 Finance").title
    admin = replace(staff, role=Role.ADMIN)
    friday = said(admin, 'subscribe team:finance cron="0 8 * * fri" tz=Europe/London')
    assert friday.kind == "saved" and "arrives 4 days after that week ended" in friday.sections[0].text
    assert "Pattern #1" in said(admin, "status 1 resolved").title
    assert said(admin, "unsubscribe team:finance").title.startswith("Unsubscribed 1")
    assert said(admin, "subscribe all").kind == "saved"
    again = said(admin, "unsubscribe team:finance").title
    assert again == "Nothing to unsubscribe: no team:finance digest comes here. Digests that do come here: all."
    other_org = replace(snag.person("console", "another-org", "someone"), role=Role.ADMIN)  # same channel id C9
    assert said(other_org, "unsubscribe").title == "Nothing to unsubscribe: no digest comes here."


def test_status_takes_the_words_people_read(demo_services) -> None:  # type: ignore[no-untyped-def]
    """`top` and `pattern` say "being worked on" and "won't fix": `status` takes those words and answers in them."""
    from dataclasses import replace

    from bot.domain import IncomingMessage, Role

    snag = demo_services.snag
    manager = replace(snag.person("console", "local", "lead"), role=Role.MANAGER)
    said = lambda t: snag.handle_message(IncomingMessage(person=manager, text=t, channel="C9"))  # noqa: E731
    for typed, status, words in [
        ("status 1 being worked on", "in_progress", "status being worked on"),
        ("status 1 won't fix", "wont_fix", "status won't fix"),
        ("status 1 in progress", "in_progress", "status being worked on"),
        ("status 1 received", "new", "status received"),
        ("status 1 resolved", "resolved", "status resolved"),
    ]:
        assert words in said(typed).title, typed
        with session_scope(demo_services.engine) as session:
            assert session.get(Pattern, 1).status == status  # type: ignore[union-attr]
    refused = said("status 1 purple")
    assert (
        refused.kind == "error" and "`purple` is not a status" in refused.title and "being worked on" in refused.title
    )


def test_demo_is_offered_on_first_start_only(digest_services) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    asked: list[str] = []

    class Session:
        console = Console(record=True)

        def ask(self, prompt: str) -> str:
            asked.append(prompt)
            return "y"

    offer = digest_services.extras["console_first_start"]
    offer(Session())
    offer(Session())
    assert len(asked) == 1
    assert digest_services.repository.list_patterns(person=digest_services.snag.person("console", "local", "x"))


@pytest.mark.parametrize("bad", ["not a cron", "0 9 * * mon|Mars/Olympus"])
def test_bad_schedules_are_refused(digest_services, bad: str) -> None:  # type: ignore[no-untyped-def]
    from bot.errors import InputError

    cron, _, tz = bad.partition("|")
    with pytest.raises(InputError):
        with session_scope(digest_services.engine) as session:
            subscribe(
                session=session,
                platform="slack",
                tenant="T",
                audience="all",
                destination="C",
                cron=cron,
                timezone=tz or "UTC",
            )
