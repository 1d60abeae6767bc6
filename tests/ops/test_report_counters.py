"""The report counters say what happened: a report kept in the outbox is deferred, not failed;
replayed, it is received and stored; a retried delivery of one already stored is a duplicate.

Before: an outboxed report counted in snag_reports_failed_total{reason="outbox"} (an alert on
"failed" fired though nothing was lost), a replayed one was never counted as stored, and
"received" counted every retried delivery of the same Slack event."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from adapters.metrics import PrometheusMetrics
from adapters.server import make_web_app
from bot.domain import IncomingMessage
from store.db import make_engine
from store.repository import SqlRepository

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
SLACK = {"platform": "slack"}


def counted(services):  # type: ignore[no-untyped-def]
    """The report counters of services' Prometheus metrics, 0 for those never counted."""
    metrics = services.extras.get("metrics")
    if metrics is None:
        metrics = services.extras["metrics"] = services.snag.metrics = PrometheusMetrics()

    def value(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(name, labels or SLACK) or 0.0

    return value


def say(services, text: str, **kw):  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", "U1")
    return services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1", **kw))


def test_a_report_kept_in_the_outbox_is_deferred_not_failed_and_stored_on_replay(services) -> None:  # type: ignore[no-untyped-def]
    value = counted(services)
    working = services.snag.repository
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    assert [say(services, f"parcel number {i}").kind for i in range(2)] == ["saved", "saved"]
    assert value("snag_reports_deferred_total") == 2
    assert value("snag_reports_failed_total", platform="slack", reason="outbox") == 0
    assert value("snag_reports_failed_total", platform="slack", reason="error") == 0
    assert value("snag_reports_stored_total") == 0 and value("snag_reports_received_total") == 0

    services.snag.repository = working
    assert services.snag.replay_outbox() == 2
    assert value("snag_reports_stored_total") == 2
    assert value("snag_reports_received_total") == 2  # each once, now that it is stored
    assert value("snag_reports_duplicate_total") == 0
    assert services.extras["metrics"].registry.get_sample_value("snag_outbox_depth") == 0.0  # was 2 until a scrape


def test_a_retried_delivery_is_a_duplicate_not_another_report_received(services) -> None:  # type: ignore[no-untyped-def]
    value = counted(services)
    for _ in range(3):  # Slack's first delivery and two retries of the same event
        say(services, "the label printer jams every morning", event_id="Ev1")
    assert value("snag_reports_received_total") == 1
    assert value("snag_reports_stored_total") == 1
    assert value("snag_reports_duplicate_total") == 2


def test_a_retry_during_an_outage_is_kept_once_and_is_one_report_and_one_duplicate(services) -> None:  # type: ignore[no-untyped-def]
    value = counted(services)
    working = services.snag.repository
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    say(services, "scanner offline again", event_id="Ev7")
    say(services, "scanner offline again", event_id="Ev7")  # Slack retried while the database was down
    assert value("snag_reports_deferred_total") == 1  # the retry is not kept a second time
    assert value("snag_reports_duplicate_total") == 1
    services.snag.repository = working
    assert services.snag.replay_outbox() == 1
    assert value("snag_reports_received_total") == 1 and value("snag_reports_stored_total") == 1
    assert value("snag_reports_duplicate_total") == 1


def test_without_an_outbox_a_report_is_received_and_failed(services) -> None:  # type: ignore[no-untyped-def]
    value = counted(services)
    services.snag.outbox = None
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    assert say(services, "nowhere to keep this one").kind != "saved"
    assert value("snag_reports_failed_total", platform="slack", reason="error") == 1
    assert value("snag_reports_received_total") == 1 and value("snag_reports_deferred_total") == 0


async def test_metrics_endpoint_shows_deferred_and_duplicate(services) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(TestServer(make_web_app(services)))
    await client.start_server()
    try:
        say(services, "tills freeze at close", event_id="Ev9")
        say(services, "tills freeze at close", event_id="Ev9")
        text = await (await client.get("/metrics")).text()
        assert 'snag_reports_received_total{platform="slack"} 1.0' in text
        assert 'snag_reports_duplicate_total{platform="slack"} 1.0' in text
        assert "# TYPE snag_reports_deferred_total counter" in text
    finally:
        await client.close()


def test_the_same_delivery_kept_twice_waits_once_and_counts_once(services) -> None:  # type: ignore[no-untyped-def]
    # A platform's retries during an outage, or a write past its adapter's deadline that failed
    # after the adapter had kept the report: one outbox entry and one deferred report, not one each.
    value = counted(services)
    services.snag.repository = SqlRepository(make_engine(DOWN_URL))
    for _ in range(3):
        assert say(services, "the lift is broken again", event_id="Ev7").kind == "saved"
    say(services, "the lift is broken again", event_id="Ev8")  # another delivery: its own entry
    say(services, "no event id at all")
    assert services.snag.outbox.depth() == 3
    assert value("snag_reports_deferred_total") == 3 and value("snag_reports_duplicate_total") == 2
