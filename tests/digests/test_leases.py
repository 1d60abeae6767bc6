"""The lease digest runs and alerts share: when a row is due again, and how an attempt ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from digests.alerts import ALERTS, BACKOFF, MAX_ALERT_ATTEMPTS
from digests.leases import LEASE, Lease
from digests.subscriptions import MAX_ATTEMPTS, RUNS
from store.models import Alert, DigestRun

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


@dataclass
class Row:
    status: str
    attempts: int
    began_at: datetime


def _lease(backoff: timedelta = timedelta(0)) -> Lease[Row]:
    return Lease(model=Row, held="running", max_attempts=3, began=lambda row: row.began_at, backoff=backoff)


def test_a_held_row_is_due_only_once_its_lease_ran_out() -> None:
    row = Row("running", 1, T0)
    assert not _lease().due(row, T0 + LEASE)
    assert _lease().due(row, T0 + LEASE + timedelta(seconds=1))


def test_a_failed_row_is_due_at_once_without_a_back_off_and_after_it_with_one() -> None:
    row = Row("failed", 2, T0)
    assert _lease().due(row, T0 - timedelta(hours=1))  # even on a clock behind the failed attempt's
    backoff = _lease(timedelta(minutes=1))
    assert not backoff.due(row, T0 + timedelta(minutes=4) - timedelta(seconds=1))
    assert backoff.due(row, T0 + timedelta(minutes=4))  # 1 minute * 2**2


@pytest.mark.parametrize("status", ["sent", "gave_up"])
def test_an_ended_row_is_never_due(status: str) -> None:
    assert not _lease().due(Row(status, 1, T0), T0 + timedelta(days=30))


def test_an_attempt_ends_sent_failed_or_given_up() -> None:
    lease = _lease()
    assert lease.outcome(1, failed=False) == "sent"
    assert lease.outcome(3, failed=False) == "sent"
    assert lease.outcome(2, failed=True) == "failed"
    assert lease.outcome(3, failed=True) == "gave_up"  # the last attempt
    assert lease.outcome(1, failed=True, permanent=True) == "gave_up"


def test_digest_runs_and_alerts_are_held_under_the_shared_lease() -> None:
    assert (RUNS.model, RUNS.held, RUNS.max_attempts) == (DigestRun, "running", MAX_ATTEMPTS)
    assert (ALERTS.model, ALERTS.held, ALERTS.max_attempts) == (Alert, "sending", MAX_ALERT_ATTEMPTS)
    assert (RUNS.backoff, ALERTS.backoff) == (timedelta(0), BACKOFF)  # a failed digest goes on the next tick
    assert RUNS.duration == ALERTS.duration == LEASE
    legacy = Alert(tenant_id=1, pattern_id=1, day="2026-11-23", reason="r", sent_at=T0, last_try_at=None)
    assert ALERTS.began(legacy) == T0  # a row from before last_try_at existed: its claim time


@pytest.mark.parametrize(
    ("status", "error", "left"),
    [
        ("running", None, "Its sender stopped before finishing, and every attempt has been used."),
        ("failed", "ConnectionError: down", "ConnectionError: down"),  # failed before the limit was lowered
    ],
)
def test_a_run_with_no_attempt_left_is_given_up(engine: Engine, status: str, error: str | None, left: str) -> None:
    from sqlmodel import select

    from digests.subscriptions import claim_run
    from store.db import session_scope
    from store.reports import get_or_create_tenant

    later = T0 + LEASE + timedelta(minutes=1)
    with session_scope(engine) as session:
        tenant_id = get_or_create_tenant(session=session, platform="console", external_id="local").id
        assert tenant_id is not None
        session.add(
            DigestRun(
                tenant_id=tenant_id,
                audience="all#1",
                period="2026-W47",
                status=status,
                attempts=MAX_ATTEMPTS,
                started_at=T0,
                error=error,
            )
        )
    with session_scope(engine) as session:
        assert claim_run(session=session, tenant_id=tenant_id, audience="all#1", period="2026-W47", now=later) is None
    with session_scope(engine) as session:
        [run] = session.exec(select(DigestRun)).all()
        assert (run.status, run.attempts, run.error) == ("gave_up", MAX_ATTEMPTS, left)
