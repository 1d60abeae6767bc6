"""`snag` as the console script runs: usage errors are short, bad arguments exit 2, logs keep no report text."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import IncomingMessage
from store.models import Report
from tests.conftest import SENTINEL, FixedClassifier, leaked, run_snag

GROUP = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"  # an AAD group object id


@pytest.fixture
def snag(settings: Settings, tmp_path: Path, monkeypatch, capsys, caplog):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` through main() with real argv: (exit code, stdout, stderr)."""
    import bot.app

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    env = {
        "SNAG_DATA_DIR": str(settings.data_dir),
        "SNAG_DATABASE_URL": settings.resolved_database_url,
        "SNAG_REPORTER_SECRET": "test-secret",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)

    return lambda *args: run_snag(monkeypatch, capsys, *args)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["chta"], "No such command 'chta'"),
        (["erase"], "Missing option '--user'"),
        (["import", "/tmp/no-such-file.csv"], "does not exist"),
        (["retention", "--days", "abc"], "Invalid value for '--days'"),
        (["chat", "--usr", "bob"], "No such option: --usr"),
    ],
)
def test_usage_errors_get_clicks_short_message_and_exit_2(snag, caplog, args: list[str], says: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = snag(*args)
    assert code == 2
    assert says in err and "Usage:" in err and "--help" in err
    assert "Traceback" not in err and "unexpected error" not in caplog.text


@pytest.mark.parametrize("days", ["-1", "0"])
def test_retention_refuses_days_below_one_and_keeps_every_text(snag, services, days: str) -> None:  # type: ignore[no-untyped-def]
    services.snag.handle_message(IncomingMessage(services.snag.person("slack", "T1", "U1"), "refunds are slow", "C1"))
    code, _, err = snag("retention", "--days", days)
    assert code == 2 and "--days must be 1 or more" in err
    with Session(services.engine) as s:
        assert [r.text for r in s.exec(select(Report)).all()] == ["refunds are slow"]


def test_an_unexpected_error_logs_its_type_and_place_never_its_message(snag, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def fail(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ValueError(f"INSERT ... parameters: [{{'text': '{SENTINEL}'}}]")

    monkeypatch.setattr("bot.history.read_file", fail)
    Path("h.csv").write_text("id,text\n1,x\n")
    code, out, err = snag("import", "--dry-run", "h.csv")
    assert code == 1
    assert "unexpected error: ValueError at" in caplog.text
    assert SENTINEL not in caplog.text and SENTINEL not in out + err
    assert leaked([caplog.text]) == []


def test_an_absurd_date_is_skipped_alike_in_the_dry_run_and_the_import(snag, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(
        "id,text,created_at\n"
        "1,the refund portal is slow,2024-01-02\n"
        "2,courier lost the parcel again,2024-01-03\n"
        "3,invoices arrive twice,2024-01-04\n"
        f"4,far future {SENTINEL},9999-12-31T23:00:00-05:00\n"
    )
    code, out, err = snag("import", "--dry-run", "h.csv")
    assert code == 1 and "3 row(s) would be imported, 1 skipped" in out
    assert "h.csv:5: skipped, '9999-12-31T23:00:00-05:00' is out of range" in err
    code, out, err = snag("import", "h.csv")
    assert code == 1 and "Imported 3 report(s)" in out and "h.csv:5: skipped" in err
    with Session(services.engine) as s:
        assert len(s.exec(select(Report)).all()) == 3


def test_import_says_which_rows_were_cut_in_the_dry_run_and_the_import(snag, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(f"id,text\n1,{'x' * 50_000}\n2,short and whole\n")
    for args in (["import", "--dry-run", "--no-dates", "h.csv"], ["import", "--no-dates", "h.csv"]):
        code, _, err = snag(*args)
        assert code == 0
        assert err.count("cut to") == 1 and "h.csv:2: cut to the first 40,000 of 50,000 characters" in err
    with Session(services.engine) as s:
        assert sorted(len(r.text) for r in s.exec(select(Report)).all()) == [15, 40_000]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SNAG_ANONYMITY_K", "abc", "SNAG_ANONYMITY_K: input should be a valid integer"),
        ("SNAG_DATABASE_URL", "notaurl", "SNAG_DATABASE_URL: the value is not a database URL"),
        ("SNAG_DATABASE_URL", "nosuchdialect://x", "SNAG_DATABASE_URL: only SQLite and PostgreSQL databases are"),
        ("SNAG_LOG_LEVEL", "LOUD", "SNAG_LOG_LEVEL: 'LOUD' is not a level; use one of DEBUG, INFO"),
        ("SNAG_PORT", "99999", "SNAG_PORT: input should be less than or equal to 65535"),
        ("SNAG_ADMINS", "U0123", "SNAG_ADMINS: 'U0123' is not a platform id; use slack:U0123ABCD, slack:group:"),
        ("SNAG_MANAGERS", "slack:U1,slack:group:", "SNAG_MANAGERS: 'slack:group:' is not a Slack user group id"),
        ("SNAG_DIGEST_CRON", "0 9 * *", "SNAG_DIGEST_CRON: `0 9 * *` is not a schedule I can read: it has 4 fields"),
        ("SNAG_DIGEST_TIMEZONE", "Europe/Londn", "SNAG_DIGEST_TIMEZONE: 'Europe/Londn' is not a time zone name"),
        ("SNAG_OUTBOX_MAX", "0", "SNAG_OUTBOX_MAX: input should be greater than or equal to 1"),
    ],
)
def test_a_bad_setting_gets_one_line_naming_it_with_a_good_example(snag, monkeypatch, name, value, says) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(name, value)
    code, _, err = snag("retention", "--days", "30")
    assert code == 2 and says in err
    line = err.strip()
    assert "\n" not in line and f"e.g. {name}=" in line
    assert "pydantic" not in err and "Traceback" not in err and "anonymity_k" not in err


@pytest.mark.parametrize("inside", [False, True])
def test_a_data_dir_that_is_a_file_is_named(snag, monkeypatch, tmp_path: Path, inside: bool) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    monkeypatch.setenv("SNAG_DATA_DIR", str(a_file / "var" if inside else a_file))
    monkeypatch.delenv("SNAG_DATABASE_URL")
    code, _, err = snag("retention", "--days", "30")
    assert code == 2 and f"SNAG_DATA_DIR: {a_file} is a file, not a folder; e.g. SNAG_DATA_DIR=var" in err


def test_serve_refuses_a_port_out_of_range_before_starting(snag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_PORT", "99999")
    code, _, err = snag("serve")
    assert code == 2 and "SNAG_PORT" in err and "e.g. SNAG_PORT=3000" in err


def test_good_role_entries_and_a_lower_case_level_are_accepted() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        admins=f"slack:U1, teams:29:abc,slack:group:S01,teams:group:{GROUP}",  # type: ignore[arg-type]
        log_level="debug",
    )
    assert settings.admins == ["slack:U1", "teams:29:abc", "slack:group:S01", f"teams:group:{GROUP}"]
    assert settings.log_level == "DEBUG"


def test_the_scheduler_stops_cleanly_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAG_")}
    env |= {
        "SNAG_DATA_DIR": str(settings.data_dir),
        "SNAG_DATABASE_URL": settings.resolved_database_url,
        "SNAG_REPORTER_SECRET": "test-secret",
        "SNAG_SCHEDULER_PORT": "0",  # no endpoint: a port in use elsewhere on this machine would stop it
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        started = ""
        while "Scheduler started" not in started and time.monotonic() < deadline:
            started += process.stderr.readline()
        assert "Scheduler started" in started
        time.sleep(0.5)  # into its wait loop
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Scheduler stopped." in err
