"""Shared fixtures: settings in a temp dir, engines for SQLite and the real PostgreSQL."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain import Handoff, Tags

POSTGRES_URL = os.environ.get("SNAG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class FixedClassifier:
    """A classifier fake that returns the same tags and records what it saw."""

    version = "fixed-1"

    def __init__(self, tags: Tags | None = None, on_classify=None) -> None:  # type: ignore[no-untyped-def]
        self.tags = tags or Tags(
            stage="billing",
            kinds=("handoff", "waiting"),
            teams=("finance", "support"),
            handoff=Handoff("support", "finance"),
            confidence={"billing": 0.91, "handoff": 0.8, "waiting": 0.7, "finance": 0.95, "support": 0.9},
            source="model",
            model_version="fixed-1",
        )
        self.seen: list[str] = []
        self.on_classify = on_classify

    def classify(self, text: str) -> Tags:
        self.seen.append(text)
        if self.on_classify:
            self.on_classify(text)
        return self.tags

    def classify_many(self, texts: list[str]) -> list[Tags]:
        return [self.classify(t) for t in texts]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
    )


@pytest.fixture
def fixed_classifier() -> FixedClassifier:
    return FixedClassifier()


@pytest.fixture
def services(settings: Settings, fixed_classifier: FixedClassifier):  # type: ignore[no-untyped-def]
    from bot.app import build

    return build(settings, classifier=fixed_classifier, migrate=True)


def _postgres_schema_url() -> Iterator[str]:
    """A fresh schema on the real PostgreSQL for this test session, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"snag_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig.__class__.__name__}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL is required)")
        pytest.skip(reason)
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _postgres_schema_url()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on the real PostgreSQL (a fresh schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    from store.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


# ---- every log line of the suite, at DEBUG, is checked for secrets and report text ----


def run_snag(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `snag ARGS...` through main() with real argv, as the console script does: (exit code, stdout, stderr)."""
    import sys

    from bot.cli import main

    monkeypatch.setattr(sys, "argv", ["snag", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


SENTINEL = "SENTINEL-REPORT-TEXT"
TEST_SECRETS = (
    "test-secret",
    "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
    "xoxb-test",
    "xapp-test",
    "test-signing-secret",
    "test-app-password",
)


class _SuiteLogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


SUITE_LOGS = _SuiteLogCapture()


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(SUITE_LOGS)
    root.setLevel(logging.DEBUG)


@pytest.fixture(autouse=True)
def _suite_log_capture() -> Iterator[None]:
    """Keep the suite's capture on the root logger: a test that runs `snag` through main() has
    Snag's logging set up, which replaces the root logger's handlers with one writing to that
    test's (soon closed) stderr; that one goes when the test ends."""
    root = logging.getLogger()
    if SUITE_LOGS not in root.handlers:
        root.addHandler(SUITE_LOGS)
    root.setLevel(logging.DEBUG)
    yield
    for handler in root.handlers[:]:
        if any(type(f).__name__ == "_ScrubFilter" for f in handler.filters):  # installed by bot.logs.configure
            root.removeHandler(handler)


def leaked(lines: list[str]) -> list[str]:
    """Log lines that contain a secret of the test suite or the report sentinel."""
    needles = (SENTINEL, *TEST_SECRETS)
    return [line[:300] for line in lines if any(n in line for n in needles)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    bad = leaked(SUITE_LOGS.lines)
    if bad:
        print("\nLOG LEAK: these log lines contain a secret or report text:")
        for line in bad[:20]:
            print("  ", line)
        session.exitstatus = 1
