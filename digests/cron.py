"""A subscription's cron trigger that keeps the times a clock change skips.

APScheduler 3's CronTrigger steps from day to day in UTC: where the clocks go forward at midnight
(Asia/Tehran went from 00:00 to 01:00 on Monday 22 March 2021; Asia/Beirut does on a Sunday), the
step lands at 01:00, past a schedule's 00:30, and the trigger returns the next week's 00:30. The job
did not fire that day, the catch-up (which asks the same trigger) found nothing due, and the week's
digest was never sent, while the listing named the week after. Elsewhere (Europe/London's 01:30 on
the last Sunday of March) it returned the wall time that never was, 01:30 GMT, an hour after the
change.

Here a time the clocks skip fires as datetime reads it (PEP 495, fold=0: the offset before the
change), which is the time APScheduler already gave in London: as long after the change as it was
after the last time before it (Tehran's 00:30 is 01:30 +0430, London's 01:30 is 02:30 BST). Every
time is returned as a real local time, so the listing shows the time the digest goes out. Every
place Snag turns a schedule into a trigger (digests.subscriptions.cron_trigger) uses this one.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import datetime_ceil

__all__ = ["GapCronTrigger"]

_LOOKS = 8  # skipped or doubled wall times looked at between two fire times; one change has one gap


class GapCronTrigger(CronTrigger):
    """CronTrigger, but a local time the clocks skip fires just after the change, not a week later."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        found = super().get_next_fire_time(previous_fire_time, now)
        skipped = self._skipped(self._start(previous_fire_time, now), found)
        at = skipped if skipped is not None else found
        return None if at is None else at.astimezone(UTC).astimezone(self.timezone)

    def _start(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        """Where CronTrigger starts looking, as it works it out."""
        if previous_fire_time is not None:
            after = previous_fire_time.astimezone(UTC) + timedelta(microseconds=1)
            return min(now.astimezone(UTC), after)
        if self.start_date is not None:
            return max(now.astimezone(UTC), self.start_date.astimezone(UTC))
        return now.astimezone(UTC)

    def _skipped(self, start: datetime, found: datetime | None) -> datetime | None:
        """The first time of the schedule from `start` that the clocks skipped, before `found`, or None.

        The schedule read on the wall clock alone (its fields in UTC, which has no changes) gives
        each wall time it names; one before `found` that the zone never shows was skipped."""
        wall = copy.copy(self)
        wall.timezone, wall.start_date, wall.jitter = UTC, None, None
        found_wall = None if found is None else _naive(found.astimezone(self.timezone))
        at = _naive(datetime_ceil(start).astimezone(self.timezone))
        for _ in range(_LOOKS):
            candidate = CronTrigger.get_next_fire_time(wall, None, at.replace(tzinfo=UTC))
            if candidate is None:
                return None
            named = _naive(candidate)
            if found_wall is not None and named >= found_wall:
                return None
            local = named.replace(tzinfo=self.timezone)  # fold=0: a skipped time reads the offset before
            if _naive(local.astimezone(UTC).astimezone(self.timezone)) != named and local >= start:
                return local
            at = named + timedelta(seconds=1)
        return None


def _naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)
