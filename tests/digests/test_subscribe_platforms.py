"""Where digests can go: subscribe refuses other platforms, warns of unconfigured ones; the scheduler
gives up at once on a platform it has no messenger for, and keeps console digests out of its stdout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import select

from digests.scheduler import RETRY_EVERY, build_scheduler
from store.db import session_scope
from store.models import DigestRun, Subscription, Tenant
from store.reports import get_or_create_tenant
from tests.conftest import run_snag
from tests.digests.conftest import NOW, make_services, subscribe_console

MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due


def _cli(services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` as the console script does: (exit code, stdout, stderr)."""
    return _cli(digest_services, monkeypatch, capsys)


def _tenants_and_subscriptions(services) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        tenants = [f"{t.platform}:{t.external_id}" for t in session.exec(select(Tenant)).all()]
        subs = [f"{s.platform}:{s.destination}" for s in session.exec(select(Subscription)).all()]
    return tenants, subs


def test_subscribe_refuses_a_platform_digests_cannot_go_to(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("subscribe", "all", "--platform", "email", "--destination", "boss", "--cron", "* * * * *")
    assert code == 2 and out == ""
    assert "Digests go to slack, teams or console, not email" in err
    tenants, subs = _tenants_and_subscriptions(digest_services)
    assert subs == [] and not any(t.startswith("email:") for t in tenants)


@pytest.mark.parametrize(("platform", "setting"), [("slack", "SLACK_BOT_TOKEN"), ("teams", "MicrosoftAppId")])
def test_subscribing_an_unconfigured_platform_is_kept_with_a_warning(snag, platform: str, setting: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("subscribe", "all", "--platform", platform, "--tenant", "T1", "--destination", "C1")
    assert code == 0 and f"to {platform}:C1" in out
    assert "nothing will be sent" in err and setting in err


@pytest.mark.parametrize(
    ("platform", "setting"), [("slack", {"slack_bot_token": "xoxb-test"}), ("teams", {"microsoft_app_id": "app-1"})]
)
def test_subscribing_a_configured_platform_warns_of_nothing(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch, capsys, platform: str, setting: dict[str, str]
) -> None:
    services = make_services(tmp_path, **setting)
    snag = _cli(services, monkeypatch, capsys)
    code, out, err = snag("subscribe", "all", "--platform", platform, "--tenant", "T1", "--destination", "C1")
    assert code == 0 and f"to {platform}:C1" in out and err == ""
    services.engine.dispose()


def test_demo_refuses_a_platform_snag_does_not_serve(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    code, out, err = snag("demo", "--platform", "email")
    assert code == 2 and "Loaded" not in out
    assert "slack, teams or console" in err and "email" in err
    assert _tenants_and_subscriptions(digest_services) == ([], [])


def _email_subscription(services) -> int:  # type: ignore[no-untyped-def]
    """A subscription to a platform Snag has no messenger for, as one made before subscribe refused it."""
    with session_scope(services.engine) as session:
        tenant = get_or_create_tenant(session=session, platform="email", external_id="local")
        row = Subscription(tenant_id=tenant.id, platform="email", destination="boss", cron="* * * * *")  # type: ignore[arg-type]
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]


def _runs(services) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return [(r.period, r.status, r.attempts) for r in session.exec(select(DigestRun)).all()]


def test_a_platform_without_messenger_is_given_up_once_per_period(digest_services, caplog) -> None:  # type: ignore[no-untyped-def]
    sub = _email_subscription(digest_services)
    runner = build_scheduler(digest_services, BackgroundScheduler(timezone="UTC"))
    assert runner.sender.send(sub, MONDAY_9) == "failed"
    for tick in range(1, 6):  # every minute's cron run and every retry of the same week
        assert runner.sender.send(sub, MONDAY_9 + tick * RETRY_EVERY) == "skipped"
    assert _runs(digest_services) == [("2026-W47", "gave_up", 1)]
    with session_scope(digest_services.engine) as session:
        [run] = session.exec(select(DigestRun)).all()
        assert "email" in (run.error or "")
    assert caplog.text.count("gave up") == 1
    assert runner.sender.send(sub, MONDAY_9 + timedelta(days=7)) == "failed"  # the next week: once again
    assert _runs(digest_services)[1:] == [("2026-W48", "gave_up", 1)]


def test_the_scheduler_writes_console_digests_to_their_file_only(demo_services, capsys) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C1")
    runner = build_scheduler(demo_services, BackgroundScheduler(timezone="UTC"))
    capsys.readouterr()
    assert runner.sender.send(sub, MONDAY_9) == "sent"
    out, _ = capsys.readouterr()
    assert out == ""  # under docker compose stdout is the scheduler's log: no report text there
    written = (demo_services.settings.data_dir / "digests" / "C1.txt").read_text(encoding="utf-8")
    assert "2026-W47" in written or "16" in written


@pytest.mark.parametrize(
    ("cron", "note"),
    [
        ("0 9 * * mon", None),
        ("0 9 * * *", "runs more than once a week, but a digest covers the week that ended and goes out once"),
        ("30 8 * * mon,thu", "runs more than once a week"),
        ("0 9 * * fri", 'so on "0 9 * * fri" it arrives 4 days after that week ended'),
        ("0 9 * * tue", "it arrives 1 day after that week ended"),
    ],
)
def test_a_schedule_that_is_not_weekly_on_monday_is_explained(snag, cron: str, note: str | None) -> None:  # type: ignore[no-untyped-def]
    """A daily cron was accepted and then sent once a week, skipping the other days without a word."""
    code, out, err = snag("subscribe", "all", "--platform", "console", "--destination", "board", "--cron", cron)
    assert code == 0 and "Subscription" in out
    if note is None:
        assert "Note:" not in err
    else:
        assert "Note:" in err and note in err
