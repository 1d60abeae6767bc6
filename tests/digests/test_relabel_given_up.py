"""A week given up because its stage was removed from the taxonomy is sent once `snag relabel` moves
the stage: the relabelling opens the subscription's latest week again and the scheduler's retry
sends it. Before, the warning said the digest "cannot be sent until then", the admin relabelled,
and `snag subscriptions` showed the week GIVEN UP for good."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from digests.demo import load_demo
from digests.relabel import Relabel, Relabelled, relabel
from digests.subscriptions import describe, standings, subscribe
from store.db import session_scope
from store.models import DigestRun
from tests.digests.conftest import NOW, SUBSCRIBED, RecordingMessenger, console_scheduler, make_services

GONE = "offboarding"
MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
TUESDAY = MONDAY_9 + timedelta(days=1)


def without_the_stage(tmp_path: Path) -> Path:
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    start = text.index(f"  - label: {GONE}\n")
    path = tmp_path / "edited.yml"
    path.write_text(text[:start] + text[text.index("\nkinds:", start) + 1 :], encoding="utf-8")
    return path


@pytest.fixture
def given_up(tmp_path: Path, db_url: str) -> Iterator[tuple[Any, int]]:
    """The demo and a stage:offboarding digest, sent for 2026-W45, given up for W46 and W47 under a
    taxonomy without the stage."""
    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    with session_scope(services.engine) as session:
        sub = subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience=f"stage:{GONE}",
            destination="C-off",
            cron="0 9 * * mon",
            timezone="UTC",
        )
        sub.created_at = SUBSCRIBED
        sub_id = sub.id
    assert sub_id is not None
    messenger = RecordingMessenger()
    assert console_scheduler(services, messenger, MONDAY_9 - timedelta(weeks=2)).catch_up() == {sub_id: "sent"}
    services.engine.dispose()
    services = make_services(tmp_path, db_url, taxonomy=without_the_stage(tmp_path))
    for monday in (MONDAY_9 - timedelta(weeks=1), MONDAY_9):
        assert console_scheduler(services, messenger, monday).catch_up() == {sub_id: "failed"}
    assert len(messenger.sent) == 1
    yield services, sub_id
    services.engine.dispose()


def _runs(services: Any) -> dict[str, tuple[str, int]]:
    with Session(services.engine) as session:
        return {r.period: (r.status, r.attempts) for r in session.exec(select(DigestRun)).all()}


def test_relabelling_the_stage_sends_the_week_given_up(given_up: tuple[Any, int]) -> None:
    services, sub_id = given_up
    assert _runs(services) == {"2026-W45": ("sent", 1), "2026-W46": ("gave_up", 1), "2026-W47": ("gave_up", 1)}
    messenger = RecordingMessenger()
    assert console_scheduler(services, messenger, TUESDAY).catch_up() == {sub_id: "skipped"}  # given up for good

    done = relabel(services.engine, Relabel("stage", GONE, "support"), services.taxonomy, now=TUESDAY)

    assert done.reopened == [(sub_id, "2026-W47")] and done.still_given_up == 1
    with session_scope(services.engine) as session:
        listed = describe(standings(session=session, now=TUESDAY)[0])[1]
    assert "FAILED, attempt 1 of 5: given up while stage offboarding was not in the taxonomy" in listed, listed
    assert console_scheduler(services, messenger, TUESDAY).catch_up() == {sub_id: "sent"}
    assert [destination for _, _, destination, _ in messenger.sent] == ["C-off"]
    assert _runs(services) == {"2026-W45": ("sent", 1), "2026-W46": ("gave_up", 1), "2026-W47": ("sent", 2)}
    assert console_scheduler(services, messenger, TUESDAY + timedelta(minutes=10)).catch_up() == {sub_id: "skipped"}


def test_a_dry_run_counts_the_weeks_and_opens_none(given_up: tuple[Any, int]) -> None:
    services, sub_id = given_up
    done = relabel(services.engine, Relabel("stage", GONE, "support"), services.taxonomy, write=False, now=TUESDAY)
    assert done.reopened == [(sub_id, "2026-W47")] and done.still_given_up == 1
    assert _runs(services)["2026-W47"] == ("gave_up", 1)


def test_a_week_the_scheduler_no_longer_sends_is_not_opened(given_up: tuple[Any, int]) -> None:
    """Nine days on, the scheduler's catch-up no longer sends W47: opened, it would only read FAILED."""
    services, _ = given_up
    late = MONDAY_9 + timedelta(days=9)
    done = relabel(services.engine, Relabel("stage", GONE, "support"), services.taxonomy, now=late)
    assert done.reopened == [] and done.still_given_up == 2
    assert _runs(services)["2026-W47"] == ("gave_up", 1)


def test_relabel_says_which_weeks_are_sent_again_and_which_are_not() -> None:
    from digests.relabel_cli import _said

    done = Relabelled(reopened=[(4, "2026-W47")], still_given_up=1)
    done.counts["digest runs"] = 3
    lines = _said(Relabel("stage", GONE, "support"), done, dry_run=False)
    assert (
        "1 digest given up while stage offboarding was not in the taxonomy is sent again (subscription #4, "
        "2026-W47): `snag scheduler` sends it at its next retry, within 10 minutes."
    ) in lines
    assert "1 earlier week(s) given up while stage offboarding was not in the taxonomy are not sent again." in lines
