"""Prometheus implementation of the Metrics port, one registry per process."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.metrics import METRICS

__all__ = ["PrometheusMetrics", "CONTENT_TYPE_LATEST"]

_KINDS = {"counter": Counter, "gauge": Gauge, "histogram": Histogram}
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class PrometheusMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._metrics = {}
        for name, (kind, help_text, labels) in METRICS.items():
            metric_name = name.removesuffix("_total") if kind == "counter" else name
            kwargs = {"buckets": _BUCKETS} if kind == "histogram" else {}
            self._metrics[name] = _KINDS[kind](metric_name, help_text, labels, registry=self.registry, **kwargs)

    def _get(self, name: str, labels: dict[str, str]) -> Any:
        metric = self._metrics[name]
        return metric.labels(**labels) if labels else metric

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        self._get(name, labels).inc(amount)

    def observe(self, name: str, value: float, **labels: str) -> None:
        self._get(name, labels).observe(value)

    def set(self, name: str, value: float, **labels: str) -> None:
        self._get(name, labels).set(value)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
