"""What an erasure leaves to the background: the next report does not read every term count
again, one job works a pattern out however often the word index is read again meanwhile, the
job does not hold up a stopping `snag serve`, and `snag erase` finishes it before it returns.
SQLite and PostgreSQL (the command line on SQLite)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import Services
from bot.domain import ReportRecord, Role
from digests.grouper import PENDING, SqlGrouper
from store.db import session_scope
from store.models import Pattern, Report, Tenant, TermCount
from store.privacy import RETAINED_TEXT
from store.reports import to_record
from tests.conftest import FixedClassifier, run_snag
from tests.digests.conftest import make_services
from tests.digests.test_forget_spread import NOW, _fill

Jobs = list[Callable[[], None]]


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[Services]:
    services = make_services(tmp_path, db_url)
    yield services
    services.engine.dispose()


def _pending(world: Services) -> set[int]:
    with session_scope(world.engine) as s:
        return {p.id for p in s.exec(select(Pattern)).all() if p.id and PENDING in (p.terms or {})}


def _term_counts(world: Services) -> dict[str, int]:
    with session_scope(world.engine) as s:
        return {t.term: t.docs for t in s.exec(select(TermCount)).all()}


def _new_report(world: Services, n: int) -> ReportRecord:
    """A report filed now by someone else, not grouped yet."""
    admin = replace(world.snag.person("console", "local", "admin"), role=Role.ADMIN)
    when = NOW + timedelta(minutes=n)
    item = (f"the refund queue is stuck again {n}", when, f"key-new-{n}", f"new:{n}", FixedClassifier().tags)
    (record,) = world.repository.import_reports(person=admin, items=[item])
    return record


def _grouped(world: Services, pattern_ids: set[int]) -> ReportRecord:
    """A grouped report of one of these patterns, as the core sees it."""
    with session_scope(world.engine) as s:
        report = s.exec(select(Report).where(Report.pattern_id.in_(pattern_ids))).first()  # type: ignore[union-attr]
        tenant = s.get(Tenant, report.tenant_id) if report else None
        assert report is not None and tenant is not None
        return to_record(report, tenant)


def _erase_spread(world: Services, grouper: SqlGrouper, name: str = "heavy") -> set[int]:
    """Fill the tenant, erase the person spread over its patterns; the patterns left to the background."""
    heavy = world.snag.person("console", "local", name)
    _fill(world, heavy)
    grouper.inline = 8  # most of their patterns are too big to work out before they are answered
    assert world.snag.erase(heavy) == 50
    pending = _pending(world)
    assert len(pending) >= 5
    return pending


def test_the_next_report_after_an_erasure_and_its_settling_reads_no_term_count_again(world: Services) -> None:
    grouper: SqlGrouper = world.extras["grouper"]
    jobs: Jobs = []
    grouper.later = jobs.append
    _erase_spread(world, grouper)
    store = grouper._stores[("console", "local")]
    assert store.own is not None and dict(store.own.counts) == _term_counts(world)  # taken off here as there
    assert len(jobs) == 1
    jobs[0]()
    assert not _pending(world)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        assert grouper.assign(_new_report(world, 1)) is not None
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    every_count = [s for s in statements if "FROM term_counts" in s and "term_counts.term =" not in s]
    assert every_count == [], every_count  # was: all of the tenant's term counts, after every chunk settled
    assert store.own is not None and dict(store.own.counts) == _term_counts(world)


def test_one_job_settles_an_erasure_however_often_edits_errors_and_rebuilds_read_the_index_again(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    grouper: SqlGrouper = world.extras["grouper"]
    jobs: Jobs = []
    grouper.later = jobs.append
    pending = _erase_spread(world, grouper)
    assert len(jobs) == 1 and grouper.unsettled == len(pending)

    for n in range(3):  # an edit drops the word index; the next report reads it again, marks and all
        edited = _grouped(world, pending)
        grouper.reword(replace(edited, text=edited.text + " again"), edited.text)
        assert grouper.assign(_new_report(world, n)) is not None
    store = grouper._stores[("console", "local")]

    def broken(text: str) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "learn", broken)
    with pytest.raises(RuntimeError):
        grouper.assign(_new_report(world, 10))  # an error drops it too
    assert grouper.assign(_new_report(world, 11)) is not None
    assert len(jobs) == 1  # was 5: one more job for the same patterns each time

    jobs[0]()
    assert not _pending(world) and grouper.unsettled == 0
    grouper.rebuild(platform="console", tenant="local")
    assert grouper.assign(_new_report(world, 12)) is not None
    assert len(jobs) == 1

    # once worked out, the same patterns marked by another erasure get a job again
    again = _erase_spread(world, grouper, name="second")
    assert len(jobs) == 2 and grouper.unsettled == len(again)
    jobs[1]()
    assert not _pending(world)


def test_settling_runs_in_a_daemon_thread_settle_waits_for(world: Services) -> None:
    grouper: SqlGrouper = world.extras["grouper"]
    _erase_spread(world, grouper)
    threads = list(grouper._settling)
    assert threads and all(t.daemon for t in threads)  # stopping `snag serve` does not wait for it
    grouper.settle()
    assert not _pending(world) and grouper.unsettled == 0


def test_snag_erase_works_the_patterns_out_again_before_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.app
    import digests.wiring

    world = make_services(tmp_path)
    heavy = world.snag.person("console", "local", "heavy")
    _fill(world, heavy)
    world.engine.dispose()

    def slow_grouper(*args, **kwargs) -> SqlGrouper:  # type: ignore[no-untyped-def]
        grouper = SqlGrouper(*args, inline=0, **kwargs)  # every pattern left to the background
        grouper.later = lambda job: grouper._in_thread(lambda: (time.sleep(0.3), job()))
        return grouper

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    monkeypatch.setattr(digests.wiring, "SqlGrouper", slow_grouper)
    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.setenv("SNAG_ENCRYPTION_KEY", str(world.settings.encryption_key))
    code, out, err = run_snag(monkeypatch, capsys, "erase", "--user", "console:local:heavy", "--yes")
    assert code == 0 and "Erased 50 report(s)." in out, (out, err)
    assert "Working out again the titles and weights of the patterns their reports were in" in err
    assert not _pending(world)  # was: left to a thread still running once the command returned


def test_the_counts_held_here_are_the_databases_after_erasing_reports_retention_reduced(world: Services) -> None:
    grouper: SqlGrouper = world.extras["grouper"]
    grouper.later = [].append
    heavy = world.snag.person("console", "local", "heavy")
    _fill(world, heavy)
    with session_scope(world.engine) as s:  # half of theirs kept only their tags: their words stay counted
        theirs = s.exec(select(Report).where(Report.reporter_key == world.snag.key_of(heavy))).all()
        for report in theirs[::2]:
            report.text = RETAINED_TEXT
            s.add(report)
    assert world.snag.erase(heavy) == 50
    store = grouper._stores[("console", "local")]
    assert store.own is not None and dict(store.own.counts) == _term_counts(world)


def test_a_new_report_is_grouped_between_the_chunks_of_a_long_settling(world: Services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The settling thread let go of the lock and took it straight back, chunk after chunk: a new
    report's grouping waited for the whole backlog (13-18 s at 200,000 reports)."""
    import threading

    import digests.grouper as grouper_module

    grouper: SqlGrouper = world.extras["grouper"]
    jobs: Jobs = []
    grouper.later = jobs.append
    _erase_spread(world, grouper)
    assert len(jobs) == 1
    slow = grouper_module.recentre

    def recentre(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.1)  # a chunk of real size takes a few tenths of a second
        return slow(*args, **kwargs)

    monkeypatch.setattr(grouper_module, "recentre", recentre)
    monkeypatch.setattr(grouper_module, "SETTLE_MEMBERS", 1)  # one pattern per chunk: many chunks
    settling = threading.Thread(target=jobs[0])
    settling.start()
    time.sleep(0.25)  # well into the backlog
    record = _new_report(world, 1)
    assert grouper.assign(record) is not None
    still_settling = settling.is_alive()
    settling.join()
    assert still_settling, "the new report was grouped while the backlog was still being worked out"
