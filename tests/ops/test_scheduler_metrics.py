"""`snag scheduler` publishes its metrics and its health on SNAG_SCHEDULER_PORT, and every metric
name the code counts into is declared.

Before: the scheduler's sender, alerts and updates counted into NullMetrics (only `snag serve`
installed Prometheus), the scheduler served no HTTP (its compose healthcheck was disabled), and
snag_digest_charts_failed_total was not in METRICS, so with real metrics a digest whose charts
failed raised KeyError and was logged as failed though it had been sent."""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from adapters.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics
from bot.domain import IncomingMessage
from bot.errors import ConfigError
from bot.metrics import METRICS
from digests.scheduler import UPKEEP_STALE, build_scheduler
from digests.scheduler_http import SchedulerEndpoint, serve_scheduler_endpoint
from tests.digests.conftest import NOW, RecordingMessenger, console_scheduler, make_services, subscribe_console

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "adapters", "digests", "store", "classifier")
MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
VALUE_ARGS = {"amount", "value"}


@pytest.fixture
def digest_services(tmp_path: Path):  # type: ignore[no-untyped-def]
    services = make_services(tmp_path)
    yield services
    services.engine.dispose()


@pytest.fixture
def demo_services(digest_services):  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    load_demo(digest_services, now=NOW)
    return digest_services


# ---- every metric used is declared, with the labels it is used with ----


def _metric_calls(tree: ast.AST) -> list[tuple[int, str, frozenset[str]]]:
    """(line, metric name, label names) of every .count/.observe/.set("snag_...") call in the tree."""
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("count", "observe", "set")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith("snag_")
        ):
            labels = frozenset(k.arg for k in node.keywords if k.arg and k.arg not in VALUE_ARGS)
            calls.append((node.lineno, node.args[0].value, labels))
    return calls


def metric_uses() -> list[tuple[str, str, frozenset[str]]]:
    """(where, metric name, label names) of every metric call in the packages' source."""
    uses = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, name, labels in _metric_calls(ast.parse(path.read_text(encoding="utf-8"))):
                uses.append((f"{path.relative_to(ROOT)}:{line}", name, labels))
    return uses


def test_every_metric_the_code_counts_into_is_declared_with_its_labels() -> None:
    uses = metric_uses()
    names = {name for _, name, _ in uses}
    # the scan finds what it must (so an empty scan cannot pass), the charts counter among them
    assert {"snag_reports_received_total", "snag_digest_charts_failed_total", "snag_ack_seconds"} <= names
    undeclared = [f"{where} {name}" for where, name, _ in uses if name not in METRICS]
    assert undeclared == []
    mislabelled = [
        f"{where} {name} {sorted(labels)}" for where, name, labels in uses if labels != set(METRICS[name][2])
    ]
    assert mislabelled == []


def test_every_declared_metric_is_created_and_exposed() -> None:
    metrics = PrometheusMetrics()
    text = metrics.exposition().decode()
    for name, (kind, _help, _labels) in METRICS.items():
        assert f"# TYPE {name} {kind}" in text, name


def test_the_scanner_sees_calls_spread_over_lines_and_ignores_other_sets() -> None:
    tree = ast.parse(
        'metrics.observe(\n    "snag_ack_seconds", 0.1, platform="slack"\n)\nflag.set()\ncache.set("key", 1)\n'
        'self.metrics.count("snag_new_total", amount=2, platform="x", code="y")\n'
    )
    assert _metric_calls(tree) == [
        (1, "snag_ack_seconds", frozenset({"platform"})),
        (6, "snag_new_total", frozenset({"platform", "code"})),
    ]


# ---- a digest whose charts fail, with real metrics ----


class NotInChannel(RecordingMessenger):
    """Text posts; chart uploads are refused (files need the channel's membership)."""

    async def upload_chart(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from adapters.slack.messenger import DeliveryFailed

        raise DeliveryFailed("not_in_channel")


def test_a_digest_sent_without_its_charts_counts_as_sent_and_charts_failed(demo_services) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services)
    metrics, messenger = PrometheusMetrics(), NotInChannel()
    runner = console_scheduler(demo_services, messenger, MONDAY_9, charts=True, metrics=metrics)
    assert runner.catch_up() == {sub: "sent"}
    assert "I'm not a member of this channel" in messenger.sent[-1][3].title  # the note after the charts failed
    sample = metrics.registry.get_sample_value
    assert sample("snag_digests_sent_total", {"platform": "console"}) == 1.0
    assert sample("snag_digest_charts_failed_total", {"platform": "console"}) == 1.0
    assert sample("snag_digests_failed_total", {"platform": "console"}) is None


# ---- the scheduler counts into Prometheus, and serves it ----


def get(port: int, path: str) -> tuple[int, str, str]:
    """(status, content type, body) of GET http://127.0.0.1:port/path, errors included."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture
def endpoint_for():  # type: ignore[no-untyped-def]
    started: list[SchedulerEndpoint] = []

    def start(runner) -> SchedulerEndpoint:  # type: ignore[no-untyped-def]
        metrics = runner.services.extras.setdefault("metrics", PrometheusMetrics())
        started.append(SchedulerEndpoint(runner, metrics, "127.0.0.1", 0).start())  # a free port
        return started[-1]

    yield start
    for endpoint in started:
        endpoint.stop()


def test_the_scheduler_sends_digests_counting_into_the_metrics_it_serves(demo_services, endpoint_for) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe_console(demo_services, "C1")
    runner = build_scheduler(demo_services, BackgroundScheduler(timezone="UTC"))
    metrics = demo_services.extras["metrics"]
    assert isinstance(metrics, PrometheusMetrics)
    assert runner.sender.metrics is metrics and demo_services.snag.metrics is metrics
    assert runner.sender.send(sub, MONDAY_9) == "sent"
    status, content_type, text = get(endpoint_for(runner).port, "/metrics")
    assert status == 200 and content_type == CONTENT_TYPE_LATEST
    assert 'snag_digests_sent_total{platform="console"} 1.0' in text
    assert "# TYPE snag_digest_charts_failed_total counter" in text


def test_the_scheduler_counts_reports_it_replays_from_the_outbox(digest_services, endpoint_for) -> None:  # type: ignore[no-untyped-def]
    person = digest_services.snag.person("slack", "T1", "U1")
    digest_services.snag.outbox.put(IncomingMessage(person, "kept while the database was down", "C1"))
    runner = build_scheduler(digest_services, BackgroundScheduler(timezone="UTC"))
    runner.upkeep()
    _, _, text = get(endpoint_for(runner).port, "/metrics")
    assert 'snag_reports_stored_total{platform="slack"} 1.0' in text
    assert 'snag_reports_received_total{platform="slack"} 1.0' in text
    assert "snag_outbox_depth 0.0" in text


def test_the_scheduler_messengers_count_api_errors_into_its_metrics(tmp_path: Path) -> None:
    services = make_services(tmp_path, slack_bot_token="xoxb-test", slack_signing_secret="test-signing-secret")
    try:
        runner = build_scheduler(services, BackgroundScheduler(timezone="UTC"))
        slack = runner.sender.messengers["slack"]
        assert slack.metrics is services.extras["metrics"]  # type: ignore[attr-defined]
    finally:
        services.engine.dispose()


def test_healthz_says_whether_it_runs_and_when_upkeep_last_ran(digest_services, endpoint_for) -> None:  # type: ignore[no-untyped-def]
    clock = [NOW]
    runner = console_scheduler(digest_services, RecordingMessenger(), NOW)
    runner.clock = lambda: clock[0]
    port = endpoint_for(runner).port

    def health() -> tuple[int, dict[str, object]]:
        status, content_type, body = get(port, "/healthz")
        assert content_type == "application/json"
        return status, json.loads(body)

    assert health() == (503, {"status": "starting", "running": False, "started": None, "last_upkeep": None})
    runner.start()
    try:
        assert health() == (200, {"status": "ok", "running": True, "started": NOW.isoformat(), "last_upkeep": None})
        clock[0] = NOW + UPKEEP_STALE + timedelta(seconds=1)  # no upkeep since the start
        assert health()[0] == 503 and health()[1]["status"] == "stale"
        runner.upkeep()
        status, body = health()
        assert status == 200 and body["last_upkeep"] == clock[0].isoformat()
        clock[0] += UPKEEP_STALE
        assert health()[0] == 200
        clock[0] += timedelta(seconds=1)
        assert health() == (
            503,
            {
                "status": "stale",
                "running": True,
                "started": NOW.isoformat(),
                "last_upkeep": (NOW + UPKEEP_STALE + timedelta(seconds=1)).isoformat(),
            },
        )
    finally:
        runner.stop()
        if runner._stopper is not None:
            runner._stopper.join()
    assert health()[1]["status"] == "stopping" and health()[0] == 503
    assert get(port, "/nothing-here")[0] == 404


def test_port_0_serves_nothing_and_a_port_in_use_is_named(digest_services) -> None:  # type: ignore[no-untyped-def]
    runner = build_scheduler(digest_services, BackgroundScheduler(timezone="UTC"))
    digest_services.settings.scheduler_port = 0
    assert serve_scheduler_endpoint(runner) is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        digest_services.settings.host = "127.0.0.1"
        digest_services.settings.scheduler_port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match="SNAG_SCHEDULER_PORT to a free port, or to 0"):
            serve_scheduler_endpoint(runner)


def test_snag_scheduler_serves_healthz_and_metrics_and_stops_on_sigterm(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAG_")}
    env |= {
        "SNAG_DATA_DIR": str(settings.data_dir),
        "SNAG_DATABASE_URL": settings.resolved_database_url,
        "SNAG_REPORTER_SECRET": "test-secret",
        "SNAG_HOST": "127.0.0.1",
        "SNAG_SCHEDULER_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        deadline, started = time.monotonic() + 60, ""
        while "Scheduler started" not in started and time.monotonic() < deadline:
            started += process.stderr.readline()
        assert f"/metrics and /healthz on port {port}" in started
        status, body = 0, ""
        while status != 200 and time.monotonic() < deadline:  # "starting" until its scheduler runs
            status, _, body = get(port, "/healthz")
        assert status == 200 and json.loads(body)["running"] is True
        status, content_type, text = get(port, "/metrics")
        assert status == 200 and content_type == CONTENT_TYPE_LATEST
        assert "# TYPE snag_digests_sent_total counter" in text
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Scheduler stopped." in err
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the port is closed with the process
