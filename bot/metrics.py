"""The Metrics port: counters and timings the core and adapters report, whatever collects them."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Metrics", "NullMetrics", "METRICS"]

# name -> (kind, help, label names). Implementations create exactly these, and a name used
# anywhere must be here (tests/ops/test_scheduler_metrics.py reads the source for them).
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "snag_reports_received_total": (
        "counter",
        "Reports received, each once, when stored or lost (one kept in the outbox when it is replayed)",
        ("platform",),
    ),
    "snag_reports_stored_total": ("counter", "Reports committed to the database", ("platform",)),
    "snag_reports_duplicate_total": (
        "counter",
        "Deliveries of a report already stored (a platform's retry, an outbox replay), not counted as received",
        ("platform",),
    ),
    "snag_reports_deferred_total": (
        "counter",
        "Reports kept in the outbox while the database was down (not lost: received and stored on replay)",
        ("platform",),
    ),
    "snag_reports_failed_total": (
        "counter",
        "Reports lost: not stored and not kept in an outbox",
        ("platform", "reason"),
    ),
    "snag_ack_seconds": ("histogram", "Time from request to platform acknowledgement", ("platform",)),
    "snag_classify_seconds": ("histogram", "Time to classify one report", ()),
    "snag_outbox_depth": ("gauge", "Reports waiting in the outbox", ()),
    "snag_digests_sent_total": ("counter", "Digests delivered", ("platform",)),
    "snag_digests_failed_total": ("counter", "Digests that failed", ("platform",)),
    "snag_digest_charts_failed_total": ("counter", "Digests sent without their charts", ("platform",)),
    "snag_platform_api_errors_total": ("counter", "Errors from the Slack or Teams APIs", ("platform", "code")),
}


class Metrics(Protocol):
    def count(self, name: str, amount: float = 1, **labels: str) -> None: ...

    def observe(self, name: str, value: float, **labels: str) -> None: ...

    def set(self, name: str, value: float, **labels: str) -> None: ...


class NullMetrics:
    """Collects nothing: the default for commands and tests that don't read metrics."""

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        return None

    def observe(self, name: str, value: float, **labels: str) -> None:
        return None

    def set(self, name: str, value: float, **labels: str) -> None:
        return None
