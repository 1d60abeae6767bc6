"""Delivery limits: a posted digest is never posted again, long digests resume, alerts back off and give up."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from alembic import command
from sqlmodel import select

from bot.domain import Reply, Section
from digests.alerts import BACKOFF, MAX_ALERT_ATTEMPTS
from digests.delivery import digest_pages
from digests.scheduler import RETRY_EVERY
from digests.subscriptions import LEASE
from store.db import alembic_config, session_scope
from store.models import Alert, DigestRun
from tests.digests.conftest import (
    NOW,
    RecordingMessenger,
    check_alerts_now,
    console_scheduler,
    make_services,
    subscribe_console,
)

MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
SUNDAY = NOW - timedelta(days=3)  # inside the demo's last, busiest week: alerts are due


class ChartsFail(RecordingMessenger):
    """Posts messages; every chart upload fails (files upload v2 to a channel Snag is not in)."""

    async def upload_chart(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("not_in_channel")


class FailsOnce(RecordingMessenger):
    """Fails the `nth` send (1-based) once, then records like RecordingMessenger."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.calls = nth, 0

    async def send(self, **kwargs) -> None:  # type: ignore[no-untyped-def,override]
        self.calls += 1
        if self.calls == self.nth:
            raise ConnectionError("platform down")
        await super().send(**kwargs)


class DeliveryFailed(Exception):
    """Shaped like the messengers' own: Slack's says `permanent`, Teams' carries the HTTP `status`."""

    def __init__(self, permanent: bool = False, status: int | None = None) -> None:
        super().__init__("delivery failed")
        self.permanent, self.status = permanent, status


class Dead(RecordingMessenger):
    """Every send fails with `error`; counts the tries."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error, self.calls = error, 0

    async def send(self, **kwargs) -> None:  # type: ignore[no-untyped-def,override]
        self.calls += 1
        raise self.error


def _runs(services) -> list[DigestRun]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(DigestRun)).all())


def _alerts(services) -> list[Alert]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(Alert)).all())


# ---- digests: once posted, never posted again ----


def test_a_digest_whose_charts_fail_is_sent_once_and_recorded_sent(demo_services, caplog) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services)
    messenger = ChartsFail()
    results = [
        console_scheduler(demo_services, messenger, MONDAY_9 + tick * RETRY_EVERY, charts=True).catch_up()
        for tick in range(6)
    ]
    assert results == [{sub: "sent"}] + [{sub: "skipped"}] * 5
    assert len(messenger.sent) == 1
    assert [(r.status, r.attempts, r.error) for r in _runs(demo_services)] == [("sent", 1, None)]
    warned = [r for r in caplog.records if "sent without its charts" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING


class NotInChannel(RecordingMessenger):
    """Slack with chat:write.public: text posts to a public channel Snag is not in, files do not."""

    async def upload_chart(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from adapters.slack.messenger import DeliveryFailed

        raise DeliveryFailed("not_in_channel")


def test_charts_refused_outside_the_channel_are_explained_there_once(demo_services) -> None:  # type: ignore[no-untyped-def]
    """`/snag subscribe` in a channel Snag had not joined: the charts were dropped every week with a log line only."""
    sub = subscribe_console(demo_services)
    messenger = NotInChannel()
    assert console_scheduler(demo_services, messenger, MONDAY_9, charts=True).catch_up() == {sub: "sent"}
    said = [reply.title for _, _, _, reply in messenger.sent]
    assert len(said) == 2 and said[0].startswith("Snag digest")
    assert "I'm not a member of this channel. Invite me (/invite @Snag)" in said[1]
    assert [(r.status, r.error) for r in _runs(demo_services)] == [("sent", None)]


def test_a_long_digest_resumes_from_the_page_that_failed(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services)
    messenger = FailsOnce(nth=2)  # the first page is posted, the second fails
    first = console_scheduler(demo_services, messenger, MONDAY_9, page_chars=300)
    assert first.catch_up() == {sub: "failed"}
    assert [(r.status, r.pages_sent) for r in _runs(demo_services)] == [("failed", 1)]
    later = console_scheduler(demo_services, messenger, MONDAY_9 + RETRY_EVERY, page_chars=300)
    assert later.catch_up() == {sub: "sent"}
    titles = [m[3].title for m in messenger.sent]
    assert len(titles) >= 3, "the demo digest should need several 300-character pages"
    assert "(continued)" not in titles[0] and all(t.endswith("(continued)") for t in titles[1:])
    headings = [s.heading for m in messenger.sent for s in m[3].sections]
    assert len(headings) == len(set(headings)), "no section is posted twice"
    [run] = _runs(demo_services)
    assert (run.status, run.attempts, run.pages_sent) == ("sent", 2, len(titles))


def test_a_short_digest_is_one_message_as_before() -> None:
    reply = Reply(kind="digest", title="Snag digest", sections=(Section(heading="A", text="x"),), ephemeral=False)
    assert digest_pages(reply) == [reply]


def test_a_long_digest_is_split_between_sections_into_at_most_max_pages() -> None:
    sections = tuple(Section(heading=f"S{i}", text="x" * 100) for i in range(12))
    reply = Reply(kind="digest", title="Snag digest", sections=sections, ephemeral=False)
    pages = digest_pages(reply, max_chars=250, max_pages=4)
    assert [len(p.sections) for p in pages] == [2, 2, 2, 6]
    assert [s for p in pages for s in p.sections] == list(sections)
    assert [p.title for p in pages] == ["Snag digest"] + ["Snag digest (continued)"] * 3


# ---- alerts: back off, give up, and never retry a permanent failure ----


def test_a_failing_alert_backs_off_and_is_given_up_after_the_maximum(demo_services, caplog) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C-gone")
    messenger = Dead(ConnectionError("platform down"))
    for minute in range(120):  # upkeep checks alerts every minute
        check_alerts_now(demo_services, messenger, SUNDAY + timedelta(minutes=minute))
    alerts = _alerts(demo_services)
    assert alerts and messenger.calls == MAX_ALERT_ATTEMPTS * len(alerts)
    assert {(a.status, a.attempts) for a in alerts} == {("gave_up", MAX_ALERT_ATTEMPTS)}
    tries = sum((BACKOFF * 2**n for n in range(1, MAX_ALERT_ATTEMPTS)), timedelta())  # 2 + 4 + 8 + 16 minutes
    assert {a.last_try_at for a in alerts} == {SUNDAY + tries}
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert len(gave_up) == len(alerts)


def test_a_failed_alert_is_not_retried_before_its_back_off(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    messenger = Dead(ConnectionError("platform down"))
    check_alerts_now(demo_services, messenger, SUNDAY)
    first = messenger.calls
    check_alerts_now(demo_services, messenger, SUNDAY + BACKOFF * 2 - timedelta(seconds=1))
    assert messenger.calls == first
    check_alerts_now(demo_services, messenger, SUNDAY + BACKOFF * 2)
    assert messenger.calls == 2 * first
    assert {(a.status, a.attempts) for a in _alerts(demo_services)} == {("failed", 2)}


@pytest.mark.parametrize(
    "error",
    [
        DeliveryFailed(permanent=True),
        DeliveryFailed(status=403),
        DeliveryFailed(status=404),
    ],
    ids=["slack-channel-not-found", "teams-blocked", "teams-conversation-gone"],
)
def test_a_permanent_failure_is_tried_once(demo_services, error: Exception) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C-gone")
    messenger = Dead(error)
    for minute in range(120):
        check_alerts_now(demo_services, messenger, SUNDAY + timedelta(minutes=minute))
    alerts = _alerts(demo_services)
    assert alerts and messenger.calls == len(alerts)
    assert {(a.status, a.attempts) for a in alerts} == {("gave_up", 1)}


def test_a_transient_teams_failure_is_retried(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    check_alerts_now(demo_services, Dead(DeliveryFailed(status=502)), SUNDAY)
    assert {a.status for a in _alerts(demo_services)} == {"failed"}


def test_an_alert_whose_sender_died_on_the_last_attempt_is_given_up(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    check_alerts_now(demo_services, Dead(ConnectionError("down")), SUNDAY)
    with session_scope(demo_services.engine) as session:  # the last attempt's sender died mid-send
        for alert in session.exec(select(Alert)).all():
            alert.status, alert.attempts = "sending", MAX_ALERT_ATTEMPTS
            session.add(alert)
    messenger = RecordingMessenger()
    assert check_alerts_now(demo_services, messenger, SUNDAY + LEASE + timedelta(minutes=1)) == 0
    assert messenger.sent == []
    assert {a.status for a in _alerts(demo_services)} == {"gave_up"}


# ---- migration 0008 on SQLite and PostgreSQL ----


def test_migration_0008_counts_existing_alerts_as_tried_once(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    subscribe_console(services)
    check_alerts_now(services, RecordingMessenger(), SUNDAY)
    console_scheduler(services, RecordingMessenger(), MONDAY_9).catch_up()
    url = services.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0007_tag_source")
    command.upgrade(alembic_config(url), "head")
    alerts = _alerts(services)
    assert alerts and all(a.attempts == 1 and a.last_try_at == a.sent_at for a in alerts)
    assert [(r.status, r.pages_sent) for r in _runs(services)] == [("sent", 0)]  # the column's default
    services.engine.dispose()


def test_a_digest_that_fails_for_good_is_given_up_at_once(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services)
    messenger = Dead(DeliveryFailed(permanent=True))  # e.g. channel_not_found
    for tick in range(3):  # the first try, then two retry ticks
        console_scheduler(demo_services, messenger, MONDAY_9 + tick * RETRY_EVERY).catch_up()
    assert messenger.calls == 1
    assert [(r.status, r.attempts) for r in _runs(demo_services)] == [("gave_up", 1)]


class SlackRefused(Exception):
    """Shaped like Slack's DeliveryFailed, which marks the app's own refusals permanent too."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Slack delivery failed: {reason}")
        self.reason, self.permanent = reason, True


@pytest.mark.parametrize(
    "error", [SlackRefused("invalid_auth"), SlackRefused("token_revoked"), DeliveryFailed(status=401)]
)
def test_a_digest_refused_for_the_apps_credentials_goes_out_once_they_are_fixed(demo_services, error) -> None:  # type: ignore[no-untyped-def]
    # A token regenerated near Monday 09:00: every digest of the week was given up on its first try.
    subscribe_console(demo_services)
    console_scheduler(demo_services, Dead(error), MONDAY_9).catch_up()
    assert [(r.status, r.attempts) for r in _runs(demo_services)] == [("failed", 1)]
    fixed = RecordingMessenger()
    console_scheduler(demo_services, fixed, MONDAY_9 + RETRY_EVERY).catch_up()
    assert [r.status for r in _runs(demo_services)] == ["sent"] and fixed.sent


def test_an_alert_refused_for_the_apps_credentials_is_retried(demo_services) -> None:  # type: ignore[no-untyped-def]
    subscribe_console(demo_services, "C1")
    messenger = Dead(SlackRefused("invalid_auth"))
    check_alerts_now(demo_services, messenger, SUNDAY)
    check_alerts_now(demo_services, messenger, SUNDAY + BACKOFF * 2)
    assert {(a.status, a.attempts) for a in _alerts(demo_services)} == {("failed", 2)}


def test_a_sender_taken_over_mid_digest_stops_posting(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    sub = subscribe_console(demo_services)

    class TakenOverAfterFirstPage(RecordingMessenger):
        async def send(self, **kwargs) -> None:  # type: ignore[no-untyped-def,override]
            await super().send(**kwargs)
            with session_scope(demo_services.engine) as session:  # another replica took the run (lease ran out)
                session.execute(update(DigestRun).values(attempts=DigestRun.attempts + 1))

    messenger = TakenOverAfterFirstPage()
    assert console_scheduler(demo_services, messenger, MONDAY_9, page_chars=300).catch_up() == {sub: "skipped"}
    assert len(messenger.sent) == 1  # it stopped after the page it had posted


def test_a_send_past_its_time_is_cancelled_not_left_to_post_later() -> None:
    """A send that outlived the runner's wait was recorded failed and still posted; each retry posted again."""
    import asyncio
    import time

    from digests.delivery import AsyncRunner

    posted: list[str] = []

    async def slow_post() -> None:
        await asyncio.sleep(0.5)
        posted.append("digest page")

    runner = AsyncRunner()
    try:
        with pytest.raises(TimeoutError, match="gave up waiting after 0.1 s"):
            runner.run(slow_post(), timeout=0.1)
        time.sleep(0.8)
        assert posted == []  # cancelled: it never posted behind the failure's back
    finally:
        runner.close()
