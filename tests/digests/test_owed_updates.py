"""Closing the loop loses no one: a reporter whose platform failed when their pattern changed hears
of it once it answers again, about the pattern as it is then (on SQLite and PostgreSQL).

The update was logged "not delivered" and never sent again: the reporter never heard that their
problem was resolved. Now a failed send is owed in the database and the scheduler tries it again
(2, 10, 30 minutes, then every 2 hours, for 12 attempts or a day), unless the platform refused for
good; a later change replaces it; erasure forgets it; two schedulers send it once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import select

from adapters.slack.messenger import DeliveryFailed as SlackFailed
from adapters.teams.messenger import DeliveryFailed as TeamsFailed
from bot.domain import IncomingMessage, Reply, Role
from digests.chat import told_line
from digests.loop import Told, notify_reporters, set_pattern
from digests.owed_updates import send_owed_updates
from store.conversations import save_reference
from store.db import session_scope
from store.models import OwedUpdate, Pattern, Report
from tests.digests.conftest import NOW, RecordingMessenger, make_services, run_async

CHANGED = NOW + timedelta(hours=1)  # when the manager changes the pattern


class Flaky(RecordingMessenger):
    """Fails the first `times` sends to each destination in `failing` with `error`, then delivers;
    `tries` counts every send asked of it, delivered or not."""

    def __init__(self, failing: tuple[str, ...] = (), times: int = 1, error: Exception | None = None) -> None:
        super().__init__()
        self.left = dict.fromkeys(failing, times)
        self.error = error or TeamsFailed(500, "Teams answered 500")
        self.tries: list[str] = []

    async def send(self, *, platform: str, tenant: str, destination: str, reply: Reply) -> None:
        self.tries.append(destination)
        if self.left.get(destination, 0) > 0:
            self.left[destination] -= 1
            raise self.error
        await super().send(platform=platform, tenant=tenant, destination=destination, reply=reply)


@pytest.fixture
def services(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    made = make_services(tmp_path, db_url)
    yield made
    made.engine.dispose()


def pattern_of(services, *users: str) -> int:  # type: ignore[no-untyped-def]
    """One report from each user, reachable by DM (dm-<user>), all in one pattern; its id."""
    snag = services.snag
    for n, user in enumerate(users):
        person = snag.person("console", "local", user)
        message = IncomingMessage(
            person, f"the pharmacy phone rings out every morning ({user})", f"dm-{user}", received_at=NOW
        )
        assert snag.handle_message(replace(message, received_at=NOW + timedelta(minutes=n))).kind == "receipt"
        with session_scope(services.engine) as session:
            save_reference(
                session=session,
                platform="console",
                tenant="local",
                conversation_id=f"dm-{user}",
                reference={},
                reporter_key=snag.key_of(person),
            )
    with session_scope(services.engine) as session:
        pid = session.exec(select(Report.pattern_id).order_by(Report.id)).first()
        session.exec(update(Report).values(pattern_id=pid))  # type: ignore[call-overload]
    assert pid is not None
    return pid


def change(services, pid: int, messenger, at: datetime = CHANGED, **what: str) -> Told:  # type: ignore[no-untyped-def]
    """A manager's change of the pattern, and its reporters told through `messenger`."""
    row, changed = set_pattern(services.engine, platform="console", tenant="local", pattern_id=pid, now=at, **what)
    assert changed
    return notify_reporters(
        services.engine,
        pattern=row,
        messengers={"console": messenger},
        run_async=run_async,
        taxonomy=services.taxonomy,
        now=at,
    )


def retry(services, messenger, at: datetime) -> int:  # type: ignore[no-untyped-def]
    return send_owed_updates(
        services.engine, messengers={"console": messenger}, run_async=run_async, now=at, taxonomy=services.taxonomy
    )


def owed(services) -> list[OwedUpdate]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return list(session.exec(select(OwedUpdate).order_by(OwedUpdate.id)).all())


def to(messenger: RecordingMessenger, destination: str) -> list[str]:
    return [reply.plain_text() for _, _, where, reply in messenger.sent if where == destination]


def test_an_update_that_failed_is_sent_once_when_the_platform_answers_again(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea", "cal")
    messenger = Flaky(failing=("dm-bea",))

    told = change(services, pid, messenger, status="in_progress")

    assert (told, told.owed) == (2, 1)
    assert sorted(w for _, _, w, _ in messenger.sent) == ["dm-ann", "dm-cal"]
    [row] = owed(services)
    assert (row.platform, row.attempts, row.pattern_id) == ("console", 1, pid)
    assert row.next_try_at == CHANGED + timedelta(minutes=2) and "Teams answered 500" in (row.last_error or "")
    set_pattern(  # changed again without telling anyone (`snag pattern set` where no platform is configured)
        services.engine, platform="console", tenant="local", pattern_id=pid, owner="Pharmacy lead", now=CHANGED
    )

    assert retry(services, messenger, CHANGED + timedelta(minutes=1)) == 0  # not due yet
    assert to(messenger, "dm-bea") == []
    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1
    assert retry(services, messenger, CHANGED + timedelta(minutes=30)) == 0  # sent: nothing owed any more

    [update_] = to(messenger, "dm-bea")
    assert update_.startswith("An update on your report #") and "(bea)" in update_ and "(ann)" not in update_
    assert "Status: being worked on" in update_ and "Owner: Pharmacy lead" in update_, "the pattern as it is now"
    assert "2 other people reported the same problem" in update_
    assert owed(services) == []
    assert len(to(messenger, "dm-ann")) == len(to(messenger, "dm-cal")) == 1  # told at once, not again


def test_two_changes_while_owed_send_one_update_with_the_newest_state(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",), times=2)

    first = change(services, pid, messenger, status="in_progress")
    second = change(services, pid, messenger, at=CHANGED + timedelta(minutes=1), status="resolved", owner="Dana")

    assert (first.owed, second.owed) == (1, 1)
    [row] = owed(services)  # the second replaced the first
    assert row.attempts == 1 and row.created_at == CHANGED + timedelta(minutes=1)
    assert retry(services, messenger, CHANGED + timedelta(minutes=2)) == 0  # the first's time: moved on
    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1
    assert retry(services, messenger, CHANGED + timedelta(hours=3)) == 0
    [update_] = to(messenger, "dm-bea")
    assert "Status: resolved" in update_ and "Owner: Dana" in update_ and "It should be fixed now." in update_
    assert messenger.tries.count("dm-bea") == 3  # two failed at the changes, one sent by the retry


def test_a_later_change_that_reaches_them_settles_the_update_owed(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",))
    change(services, pid, messenger, status="in_progress")
    assert len(owed(services)) == 1

    change(services, pid, messenger, at=CHANGED + timedelta(minutes=1), status="resolved")

    assert owed(services) == []
    assert retry(services, messenger, CHANGED + timedelta(minutes=5)) == 0
    assert ["Status: resolved" in said for said in to(messenger, "dm-bea")] == [True]


@pytest.mark.parametrize(
    "error",
    [
        SlackFailed("account_inactive"),  # the person left
        SlackFailed("channel_not_found"),  # the conversation is gone
        TeamsFailed(403, "the bot was blocked or removed from this conversation"),
        TeamsFailed(404, "Teams answered 404"),
    ],
    ids=["left", "gone", "blocked", "no-conversation"],
)
def test_a_refusal_for_good_is_logged_once_and_not_tried_again(services, caplog, error) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",), times=99, error=error)

    with caplog.at_level(logging.WARNING, logger="snag.loop"):
        told = change(services, pid, messenger, status="resolved")
        for minutes in (3, 15, 60, 300):
            assert retry(services, messenger, CHANGED + timedelta(minutes=minutes)) == 0

    assert (told, told.owed) == (1, 0) and owed(services) == []
    assert messenger.tries.count("dm-bea") == 1
    said = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert said == [
        f"update for pattern {pid} not delivered on console, not tried again: {error.__class__.__name__}: {error}"
    ]


def test_a_refusal_of_the_apps_own_credentials_is_tried_again(services) -> None:  # type: ignore[no-untyped-def]
    """A revoked token or refused app password is put right by an admin, not by the person."""
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",), error=SlackFailed("token_revoked"))
    assert change(services, pid, messenger, status="resolved").owed == 1
    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1


def test_a_retry_refused_for_good_is_dropped(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",))
    change(services, pid, messenger, status="resolved")
    messenger.left["dm-bea"], messenger.error = 99, TeamsFailed(403, "blocked")

    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 0

    assert owed(services) == []
    assert retry(services, messenger, CHANGED + timedelta(hours=3)) == 0 and messenger.tries.count("dm-bea") == 2


def test_retries_back_off_and_give_up_after_twelve_attempts(services, caplog) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",), times=99)
    change(services, pid, messenger, status="resolved")
    tried_at: list[int] = []
    with caplog.at_level(logging.WARNING, logger="snag.loop"):
        for minute in range(1, 24 * 60 + 1):  # the scheduler's upkeep, every minute for a day
            before = len(messenger.tries)
            retry(services, messenger, CHANGED + timedelta(minutes=minute))
            tried_at += [minute] * (len(messenger.tries) - before)

    assert tried_at == [2, 12, 42, *(42 + 120 * n for n in range(1, 9))]  # 11 retries after the first send
    assert owed(services) == []
    gave_up = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert gave_up == [
        f"update for pattern {pid} on console gave up after 12 attempts: DeliveryFailed: Teams answered 500"
    ]
    assert to(messenger, "dm-bea") == []


def test_an_update_no_process_can_send_is_given_up_after_a_day(services, caplog) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    change(services, pid, Flaky(failing=("dm-bea",)), status="resolved")
    nobody: dict = {}  # a scheduler without this platform's settings

    def step(at: datetime) -> int:
        return send_owed_updates(services.engine, messengers=nobody, run_async=run_async, now=at)

    with caplog.at_level(logging.ERROR, logger="snag.loop"):
        assert step(CHANGED + timedelta(hours=23)) == 0 and len(owed(services)) == 1
        assert step(CHANGED + timedelta(hours=24)) == 0 and owed(services) == []
    assert f"update for pattern {pid} on console gave up: not delivered within 24 hours (1 attempt(s))" in caplog.text


def test_an_update_whose_pattern_or_report_is_gone_is_dropped(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea", "cal")
    messenger = Flaky(failing=("dm-bea", "dm-cal"))
    change(services, pid, messenger, status="resolved")
    with session_scope(services.engine) as session:  # cal's report moved to another pattern by a rebuild
        cals = session.exec(select(Report).where(Report.text.contains("(cal)"))).one()  # type: ignore[attr-defined]
        other = Pattern(tenant_id=cals.tenant_id, title="other")
        session.add(other)
        session.flush()
        cals.pattern_id = other.id
        session.add(cals)

    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1
    assert owed(services) == [] and to(messenger, "dm-cal") == []

    change(services, pid, Flaky(failing=("dm-bea",)), at=CHANGED + timedelta(hours=1), status="wont_fix")
    with services.engine.begin() as conn:  # the pattern dropped by a rebuild
        conn.execute(text("UPDATE reports SET pattern_id = NULL WHERE pattern_id = :p"), {"p": pid})
        conn.execute(text("DELETE FROM pattern_weeks WHERE pattern_id = :p"), {"p": pid})
        conn.execute(text("DELETE FROM patterns WHERE id = :p"), {"p": pid})
    assert retry(services, messenger, CHANGED + timedelta(hours=2)) == 0
    assert owed(services) == [] and len(to(messenger, "dm-bea")) == 1


def test_erasure_forgets_the_updates_owed_to_that_person(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea", "cal")
    messenger = Flaky(failing=("dm-bea", "dm-cal"))
    change(services, pid, messenger, status="resolved")
    assert len(owed(services)) == 2
    snag = services.snag
    bea = snag.person("console", "local", "bea")

    assert snag.handle_message(IncomingMessage(bea, "erase mine", "dm-bea")).kind != "error"
    assert "Erased" in snag.handle_message(IncomingMessage(bea, "erase mine confirm", "dm-bea")).title

    assert [row.platform for row in owed(services)] == ["console"]  # cal's only
    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 1
    assert to(messenger, "dm-bea") == [] and len(to(messenger, "dm-cal")) == 1


def test_taking_back_the_report_an_update_is_about_forgets_it(services) -> None:  # type: ignore[no-untyped-def]
    pid = pattern_of(services, "ann", "bea")
    messenger = Flaky(failing=("dm-bea",))
    change(services, pid, messenger, status="resolved")
    [row] = owed(services)
    bea = services.snag.person("console", "local", "bea")
    services.snag.handle_message(IncomingMessage(bea, "keep this one: the fax is slow", "dm-bea"))  # another report

    services.snag.handle_message(IncomingMessage(bea, f"erase {row.report_id}", "dm-bea"))

    assert owed(services) == []
    assert retry(services, messenger, CHANGED + timedelta(minutes=3)) == 0 and to(messenger, "dm-bea") == []


def test_two_schedulers_trying_again_at_once_send_each_update_once(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both replicas have read the same due rows before either claims one (held at a barrier right
    after their read): only the claim that still finds the row as it read it sends."""
    import digests.owed_updates

    first = make_services(tmp_path / "a", db_url)
    second = make_services(tmp_path / "b", db_url)
    pid = pattern_of(first, "ann", "bea", "cal")
    change(first, pid, Flaky(failing=("dm-bea", "dm-cal")), status="resolved")
    messenger = RecordingMessenger()
    barrier, read = threading.Barrier(2, timeout=30), threading.local()
    real_aware = digests.owed_updates.aware

    def read_then_wait(moment: datetime) -> datetime:  # called on each due row read, before claiming it
        if not getattr(read, "done", False):
            read.done = True
            barrier.wait()
        return real_aware(moment)

    monkeypatch.setattr(digests.owed_updates, "aware", read_then_wait)
    sent: list[int] = []

    def step(replica) -> None:  # type: ignore[no-untyped-def]
        sent.append(retry(replica, messenger, CHANGED + timedelta(minutes=3)))

    threads = [threading.Thread(target=step, args=(r,)) for r in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(sent) == [0, 2] and sorted(w for _, _, w, _ in messenger.sent) == ["dm-bea", "dm-cal"]
    assert owed(first) == []
    for made in (first, second):
        made.engine.dispose()


def test_the_manager_is_not_told_that_people_heard_who_did_not(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    pid = pattern_of(services, "ann", "bea", "cal", "dev", "eve")
    services.extras["messengers"] = {"console": Flaky(failing=("dm-bea",))}  # where notifier() finds them
    manager = replace(services.snag.person("console", "local", "lead"), role=Role.MANAGER)

    answer = services.snag.handle_message(IncomingMessage(manager, f"status {pid} resolved", "dm-lead")).title

    assert answer.endswith("Told 4 reporters; fewer than 3 more will be told when their platform answers."), answer
    assert "Told 5" not in answer
    services.engine.dispose()


def test_told_line_counts_those_owed_only_from_k() -> None:
    assert told_line(4, 7, k=3, owed=3) == "Told 4 reporters; 3 more will be told when their platform answers."
    assert told_line(2, 3, k=3, owed=1) == (
        "Told fewer than 3 of its reporters; fewer than 3 more will be told when their platform answers."
    )
    assert told_line(0, 2, k=3, owed=2) == "Nobody was told yet: fewer than 3 will be told when their platform answers."
    assert told_line(0, 9, k=3, owed=9) == "Nobody was told yet: 9 will be told when their platform answers."
    assert told_line(2, 2, k=3) == "Told its reporters (fewer than 3)."  # nothing owed: as before


def test_the_schedulers_upkeep_sends_updates_owed(tmp_path: Path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from digests.scheduler import build_scheduler

    services = make_services(tmp_path)
    pid = pattern_of(services, "ann", "bea")
    just_now = datetime.now(UTC) - timedelta(minutes=5)  # build_scheduler's clock is the real one
    change(services, pid, Flaky(failing=("dm-bea",)), at=just_now, status="resolved")

    build_scheduler(services, BackgroundScheduler(timezone="UTC")).upkeep()

    written = (services.settings.data_dir / "digests" / "dm-bea.txt").read_text(encoding="utf-8")
    assert written.startswith("An update on your report #") and "Status: resolved" in written
    assert owed(services) == []
    services.engine.dispose()


def test_the_migration_goes_up_and_down(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from store.db import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine, "0014_pattern_numbers")
    assert "owed_updates" not in inspect(engine).get_table_names()
    upgrade(engine)
    found = inspect(engine)
    assert "owed_updates" in found.get_table_names()
    assert {u["name"] for u in found.get_unique_constraints("owed_updates")} == {"uq_owed_update"}
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014_pattern_numbers")
    assert "owed_updates" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "owed_updates" in inspect(engine).get_table_names()
    engine.dispose()
