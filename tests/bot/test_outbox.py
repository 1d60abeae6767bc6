"""Durability: the outbox keeps reports while the database is down and files them exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.outbox import FileOutbox
from store.db import make_engine
from store.models import Report
from store.repository import SqlRepository

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def say(services, text: str, **kw):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1", **kw))


def texts(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [r.text for r in s.exec(select(Report).order_by(Report.id)).all()]


def test_unreachable_database_sends_reports_to_the_outbox_then_replays_in_order(services) -> None:  # type: ignore[no-untyped-def]
    working = services.snag.repository
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    replies = [say(services, f"parcel number {i}") for i in range(3)]
    assert all(r.kind == "saved" and "Nothing you wrote is lost" in r.title for r in replies)
    assert services.snag.outbox.depth() == 3 and texts(services) == []

    services.snag.repository = working
    assert services.snag.replay_outbox() == 3
    assert texts(services) == ["parcel number 0", "parcel number 1", "parcel number 2"]
    assert services.snag.outbox.depth() == 0
    assert services.snag.replay_outbox() == 0 and len(texts(services)) == 3


def test_a_replay_interrupted_after_the_insert_does_not_file_twice(services) -> None:  # type: ignore[no-untyped-def]
    outbox: FileOutbox = services.snag.outbox
    person = services.snag.person("slack", "T1", "U1")
    outbox.put(IncomingMessage(person=person, text="kept safe", channel="C1"))
    entry = next(outbox.pending())
    # Simulate a crash after the insert but before the file was removed.
    done = outbox.done
    outbox.done = lambda e: None  # type: ignore[method-assign]
    services.snag.replay_outbox()
    outbox.done = done  # type: ignore[method-assign]
    assert entry.path.exists()
    services.snag.replay_outbox()
    assert texts(services) == ["kept safe"] and outbox.depth() == 0


def test_a_slack_retry_after_the_outbox_replay_makes_no_second_report(services) -> None:  # type: ignore[no-untyped-def]
    working = services.snag.repository
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    say(services, "lost parcel again", event_id="Ev42")
    services.snag.repository = working
    services.snag.replay_outbox()
    reply = say(services, "lost parcel again", event_id="Ev42")
    assert "Already saved" in reply.title and texts(services) == ["lost parcel again"]


SCRIPT = textwrap.dedent(
    """
    import sys
    from bot.app import build
    from bot.config import Settings
    from bot.domain import IncomingMessage
    from tests.conftest import FixedClassifier
    services = build(Settings(_env_file=None, data_dir=sys.argv[1], database_url=sys.argv[2],
                              reporter_secret="s"), classifier=FixedClassifier(), migrate=True)
    person = services.snag.person("slack", "T1", "U1")
    i = 0
    while True:
        reply = services.snag.handle_message(IncomingMessage(person, f"acked report {i}", "C1"))
        if reply.kind in ("receipt", "saved"):
            print(f"ACK {i}", flush=True)
        i += 1
    """
)


def test_kill_9_during_capture_loses_nothing_acknowledged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "var"), url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    acked = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acked.append(int(line.split()[1]))
        if len(acked) >= 40:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    engine = make_engine(url)
    with Session(engine) as s:
        stored = {r.text for r in s.exec(select(Report)).all()}
    pending = {e.message.text for e in FileOutbox(tmp_path / "var" / "outbox").pending()}
    missing = [i for i in acked if f"acked report {i}" not in stored | pending]
    assert len(acked) == 40 and missing == []
