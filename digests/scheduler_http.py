"""`snag scheduler`'s own small HTTP endpoint, on SNAG_SCHEDULER_PORT (0 turns it off):

- GET /metrics: the process's Prometheus metrics, in the format `snag serve`'s /metrics has
  (digests sent and failed, charts failed, Slack and Teams API errors, outbox replays);
- GET /healthz: 200 while the scheduler runs and its upkeep (every minute) finished within
  UPKEEP_STALE, else 503; the body says which, when it started and when upkeep last ran.

The standard library's threaded server in a daemon thread: the scheduler's own threads do the
work, this one only reads what they left.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from adapters.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics
from bot.errors import ConfigError

if TYPE_CHECKING:
    from digests.scheduler import DigestScheduler

__all__ = ["SchedulerEndpoint", "serve_scheduler_endpoint"]

log = logging.getLogger("snag.scheduler")


class SchedulerEndpoint:
    """The listening server and its thread; stop() closes the port."""

    def __init__(self, runner: DigestScheduler, metrics: PrometheusMetrics, host: str, port: int) -> None:
        handler = _handler_for(runner, metrics)
        try:
            self.server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            why = (exc.strerror or "the system refused").lower()
            raise ConfigError(
                f"snag scheduler cannot serve /metrics and /healthz on {host}:{port} ({why}): set "
                "SNAG_SCHEDULER_PORT to a free port, or to 0 to turn the endpoint off."
            ) from exc
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="snag-scheduler-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> SchedulerEndpoint:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


def serve_scheduler_endpoint(runner: DigestScheduler) -> SchedulerEndpoint | None:
    """Start the endpoint on SNAG_HOST (default every address) and SNAG_SCHEDULER_PORT; None when the port is 0."""
    services = runner.services
    settings = services.settings
    if not settings.scheduler_port:
        return None
    metrics = services.extras.get("metrics")
    if not isinstance(metrics, PrometheusMetrics):  # build_scheduler installs it; anything else exposes nothing
        metrics = services.extras["metrics"] = services.snag.metrics = PrometheusMetrics()
    host = settings.host or "0.0.0.0"
    endpoint = SchedulerEndpoint(runner, metrics, host, settings.scheduler_port).start()
    log.info("scheduler serving /metrics and /healthz on %s:%s", host, endpoint.port)
    return endpoint


def _handler_for(runner: DigestScheduler, metrics: PrometheusMetrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "snag-scheduler"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                outbox = runner.services.snag.outbox
                if outbox is not None:
                    metrics.set("snag_outbox_depth", outbox.depth())
                self._answer(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                healthy, body = runner.health()
                self._answer(200 if healthy else 503, json.dumps(body).encode(), "application/json")
            else:
                self._answer(404, b'{"error": "not found"}', "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # Not to stderr: that is this process's log, and a probe every 30 s is no news.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            log.debug("scheduler http: %s %s %s", self.command, self.path.split("?", 1)[0], code)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the standard library's name)
            log.debug("scheduler http: " + format, *args)

    return Handler
