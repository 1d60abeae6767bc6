"""`snag scheduler`: one APScheduler 3.x cron job per subscription, plus alerts and upkeep (the
outbox, retention, alerts and reporters' updates owed, every minute).

Jobs have stable ids, coalesce and a misfire grace of hours; on start, a digest missed while
the process was down goes out once (the digest-run row stops a second send, by any replica).
A retry job does the same every RETRY_EVERY, so a digest whose send failed goes out later; its
first run is that start-up catch-up, in the scheduler's threads, so stopping waits for it.
Before each digest and each upkeep, a taxonomy file changed since it was read is read again
(bot.app.follow_taxonomy), as an admin's `reload` in chat reads it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import follow_taxonomy
from digests.delivery import AsyncRunner, DigestSender
from digests.subscriptions import cron_trigger, list_subscriptions
from store.db import session_scope
from store.reports import aware

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["DigestScheduler", "GRACE", "RETRY_EVERY", "UPKEEP_STALE", "previous_fire_time"]

log = logging.getLogger("snag.scheduler")
GRACE = timedelta(hours=6)
LATE = timedelta(days=8)  # a digest missed for longer than GRACE (down over a weekend) still goes out, late
RETRY_EVERY = timedelta(minutes=10)  # failed digests are tried again this often, within GRACE of their time
UPKEEP_STALE = timedelta(minutes=5)  # upkeep runs every minute: none finished for this long is unhealthy


def _utcnow() -> datetime:
    return datetime.now(UTC)


def previous_fire_time(trigger: CronTrigger, now: datetime, grace: timedelta = GRACE) -> datetime | None:
    """The latest time the trigger fired in (now - grace, now], if any.

    Steps in UTC: a local time in the hour repeated when the clocks go back (01:30 the second time)
    plus a second of wall-clock arithmetic is the first 01:30 again, and the loop never ended; and
    two local times of one zone compare as wall clocks (the second 01:30 is not after the first)."""
    fire, last = trigger.get_next_fire_time(None, now - grace), None
    while fire is not None and fire <= now and (last is None or fire.astimezone(UTC) > last.astimezone(UTC)):
        last = fire
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return last


def _same(old: object, new: CronTrigger) -> bool:
    """Whether a job's trigger is this one: its fields and its time zone (str() leaves the zone out)."""
    return isinstance(old, CronTrigger) and str(old) == str(new) and str(old.timezone) == str(new.timezone)


class DigestScheduler:
    """Keeps one job per subscription in an APScheduler and runs alerts and upkeep."""

    def __init__(
        self,
        services: Services,
        scheduler: BaseScheduler,
        sender: DigestSender,
        *,
        alerts: Callable[[datetime], int] | None = None,
        updates: Callable[[datetime], int] | None = None,
        clock: Callable[[], datetime] = _utcnow,
        grace: timedelta = GRACE,
    ) -> None:
        self.services = services
        self.scheduler = scheduler
        self.sender = sender
        self.alerts = alerts
        self.updates = updates  # reporters' updates owed (digests.owed_updates), tried again
        self.clock = clock
        self.grace = grace
        self.stopping = threading.Event()  # set by stop(): no new digest starts
        self._stopper: threading.Thread | None = None
        self.started_at: datetime | None = None  # for GET /healthz (digests.scheduler_http)
        self.last_upkeep: datetime | None = None  # when the last upkeep finished

    def run_subscription(self, subscription_id: int) -> str:
        """A cron job: send this subscription's digest; any failure is recorded, never raised."""
        return self._send(subscription_id, self.clock())

    def sync(self) -> int:
        """Add, update and remove jobs to match the subscriptions table; returns the job count."""
        with session_scope(self.services.engine) as session:
            subs = list_subscriptions(session=session)
        wanted = set()
        for sub in subs:
            job_id = f"digest:{sub.id}"
            wanted.add(job_id)
            trigger = cron_trigger(sub.cron, sub.timezone)
            existing = self.scheduler.get_job(job_id)
            if existing is not None and _same(existing.trigger, trigger):
                continue
            self.scheduler.add_job(
                self.run_subscription,
                trigger,
                args=[sub.id],
                id=job_id,
                name=f"digest {sub.audience}",
                coalesce=True,
                misfire_grace_time=int(self.grace.total_seconds()),
                max_instances=1,
                replace_existing=True,
            )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()
        return len(wanted)

    def catch_up(self) -> dict[int, str]:
        """Send, once, each digest whose time passed while we were down, or whose run failed.

        Within the grace period as APScheduler's misfire grace; later than that (a scheduler down
        from Friday to Tuesday), the latest run of the last LATE days goes out late, saying so in
        the log: the digest-run row keeps it to once a period. Either only if it fell after the
        subscription was made: a channel subscribed (or subscribed again) at 10:00 was not owed
        the 09:00 digest, and `snag subscriptions` tells it the next one is its first. Also the
        retry job: a run that failed, or whose sender died, is claimed again here."""
        now = self.clock()
        with session_scope(self.services.engine) as session:
            subs = [
                (s.id, s.cron, s.timezone, s.created_at)
                for s in list_subscriptions(session=session)
                if s.id is not None
            ]
        done = {}
        for sub_id, cron, tz, created in subs:
            if self.stopping.is_set():  # the digest being sent has finished; the rest go out after the restart
                break
            trigger = cron_trigger(cron, tz)
            fired = previous_fire_time(trigger, now, self.grace)
            late = fired is None
            if late:
                fired = previous_fire_time(trigger, now, LATE)
            if fired is None or fired <= aware(created):  # not due, or due before the subscription was made
                continue
            done[sub_id] = self._send(sub_id, fired)
            if late and done[sub_id] == "sent":
                log.warning(
                    "digest for subscription %s was due at %s, while the scheduler was down: sent late",
                    sub_id,
                    fired.astimezone(UTC).isoformat(timespec="minutes"),
                )
        return done

    def _send(self, subscription_id: int, now: datetime) -> str:
        follow_taxonomy(self.services, now=True)  # an edited taxonomy file is read before each digest
        try:
            return self.sender.send(subscription_id, now)
        except Exception as exc:  # one subscription's failure never stops the others
            from digests.delivery import safe_error

            log.error("digest for subscription %s failed: %s", subscription_id, safe_error(exc))
            return "failed"

    def upkeep(self) -> None:
        """Read the taxonomy again if its file changed, then replay the outbox, apply retention,
        check alerts and send updates owed; each step isolated."""
        follow_taxonomy(self.services, now=True)
        snag, days, alerts, updates = (
            self.services.snag,
            self.services.settings.retention_days,
            self.alerts,
            self.updates,
        )
        steps: list[tuple[str, Callable[[], Any]]] = [("outbox", snag.replay_outbox)]
        if days:
            steps.append(("retention", lambda: snag.apply_retention(days)))
        if alerts is not None:
            steps.append(("alerts", lambda: alerts(self.clock())))
        if updates is not None:
            steps.append(("updates", lambda: updates(self.clock())))
        for name, step in steps:
            try:
                step()
            except Exception as exc:
                from bot.core import where

                log.error("scheduled %s failed: %s", name, where(exc))
        self.last_upkeep = self.clock()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the scheduler runs and its upkeep is recent (within UPKEEP_STALE), and what it found."""
        now = self.clock()
        running = self.started_at is not None and self.scheduler.running and not self.stopping.is_set()
        since = self.last_upkeep or self.started_at  # the first upkeep runs a minute after the start
        if self.stopping.is_set():
            status = "stopping"
        elif not running:
            status = "starting" if self.started_at is None else "stopped"
        else:
            status = "ok" if since is not None and now - since <= UPKEEP_STALE else "stale"
        body = {
            "status": status,
            "running": running,
            "started": self.started_at.isoformat(timespec="seconds") if self.started_at else None,
            "last_upkeep": self.last_upkeep.isoformat(timespec="seconds") if self.last_upkeep else None,
        }
        return status == "ok", body

    def start(self) -> None:
        """Sync jobs, then run until stopped; the retry job's first run catches up on missed digests."""
        self.sync()
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_job(self.sync, "interval", minutes=1, id="snag:sync", replace_existing=True, coalesce=True)
        self.scheduler.add_job(
            self.catch_up,
            "interval",
            seconds=int(RETRY_EVERY.total_seconds()),
            id="snag:retry",
            next_run_time=_utcnow(),
            misfire_grace_time=int(RETRY_EVERY.total_seconds()),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.add_job(
            self.upkeep, "interval", minutes=1, id="snag:upkeep", replace_existing=True, coalesce=True, max_instances=1
        )
        if self.stopping.is_set():
            return
        self.started_at = self.clock()
        self.scheduler.start()
        if self._stopper is not None:  # a blocking scheduler returns once stop() shut it down: wait for its jobs
            self._stopper.join()

    def stop(self) -> None:
        """Stop, safely from a signal handler: a digest being sent finishes and is recorded, no new one starts."""
        self.stopping.set()
        if self.scheduler.running and self._stopper is None:
            # Not shutdown() here: a handler may have interrupted the scheduler's loop holding a lock its jobs need.
            self._stopper = threading.Thread(target=self._shutdown, name="snag-stop")
            self._stopper.start()

    def _shutdown(self) -> None:
        try:
            self.scheduler.shutdown(wait=True)
        except SchedulerNotRunningError:  # stopped twice
            pass

    def _started(self, _event: SchedulerEvent) -> None:
        if self.stopping.is_set():  # asked to stop while it was starting
            self.stop()


def build_scheduler(services: Services, scheduler: BaseScheduler | None = None) -> DigestScheduler:
    """The scheduler wired with this process's messengers, metrics and digests.

    Its metrics are Prometheus's, served on SNAG_SCHEDULER_PORT (digests.scheduler_http): the
    messengers are built after them, so Slack and Teams API errors of digests, alerts and
    reporters' updates count there too."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from adapters.messengers import build_messengers
    from adapters.metrics import PrometheusMetrics
    from digests.alerts import check_alerts
    from digests.delivery import ConsoleMessenger
    from digests.owed_updates import send_owed_updates

    if "metrics" not in services.extras:  # before the messengers, which take services.snag.metrics
        services.extras["metrics"] = PrometheusMetrics()
        services.snag.metrics = services.extras["metrics"]
    messengers = dict(build_messengers(services))
    # Only to the file: this process's stdout is its log (docker compose), and logs never carry report text.
    messengers.setdefault("console", ConsoleMessenger(services.settings.data_dir / "digests"))
    runner = services.extras.get("async_runner") or services.extras.setdefault("async_runner", AsyncRunner())
    digests = services.extras["digests"]
    sender = DigestSender(
        engine=services.engine,
        digests=digests,
        messengers=messengers,
        runner=runner,
        metrics=services.snag.metrics,
    )
    settings = services.settings

    def alerts(now: datetime) -> int:
        return check_alerts(
            engine=services.engine,
            taxonomy=services.taxonomy,
            messengers=messengers,
            run_async=runner.run,
            now=now,
            threshold=settings.alert_threshold,
            k=settings.anonymity_k,
        )

    def updates(now: datetime) -> int:
        return send_owed_updates(
            services.engine,
            messengers=messengers,
            run_async=runner.run,
            now=now,
            k=settings.anonymity_k,
            taxonomy=services.taxonomy,
        )

    return DigestScheduler(
        services, scheduler or BlockingScheduler(timezone="UTC"), sender, alerts=alerts, updates=updates
    )
