"""Health, readiness and metrics on the serving port, over real HTTP."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from bot.domain import IncomingMessage


async def client_for(services) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(TestServer(make_web_app(services)))
    await client.start_server()
    return client


async def test_healthz_and_readyz(services) -> None:  # type: ignore[no-untyped-def]
    client = await client_for(services)
    try:
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 200 and body["checks"] == {"database": True, "model": True, "outbox": True}
        assert ready.headers["X-Request-Id"]
    finally:
        await client.close()


async def test_readyz_fails_when_the_outbox_is_backed_up(services) -> None:  # type: ignore[no-untyped-def]
    services.settings.outbox_max = 1
    person = services.snag.person("slack", "T1", "U1")
    services.snag.outbox.put(IncomingMessage(person, "waiting in the outbox", "C1"))
    client = await client_for(services)
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503 and (await ready.json())["checks"]["outbox"] is False
    finally:
        await client.close()


async def test_metrics_count_reports_in_prometheus_format(services) -> None:  # type: ignore[no-untyped-def]
    client = await client_for(services)
    try:
        person = services.snag.person("slack", "T1", "U1")
        services.snag.handle_message(IncomingMessage(person, "stock counts live on a whiteboard", "C1"))
        text = await (await client.get("/metrics")).text()
        assert 'snag_reports_received_total{platform="slack"} 1.0' in text
        assert 'snag_reports_stored_total{platform="slack"} 1.0' in text
        assert "snag_classify_seconds_count 1.0" in text
        assert "snag_outbox_depth 0.0" in text
    finally:
        await client.close()


async def test_bodies_over_1mb_get_413(services) -> None:  # type: ignore[no-untyped-def]
    app = make_web_app(services)

    async def echo(request):  # type: ignore[no-untyped-def]
        from aiohttp import web

        await request.read()
        return web.Response(text="ok")

    app.router.add_post("/echo", echo)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        response = await client.post("/echo", data=b"x" * (1024 * 1024 + 1))
        assert response.status == 413
    finally:
        await client.close()


async def test_ack_latency_is_observed_for_platform_endpoints(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build
    from bot.config import Settings
    from tests.conftest import FixedClassifier

    services = build(
        Settings(
            _env_file=None,
            env="dev",
            teams=True,
            data_dir=tmp_path / "v",
            database_url=f"sqlite:///{tmp_path / 'a.db'}",
            reporter_secret="s",
        ),
        classifier=FixedClassifier(),
        migrate=True,
    )
    client = await client_for(services)
    try:
        await client.post("/api/messages", data=b"{broken", headers={"Content-Type": "application/json"})
        text = await (await client.get("/metrics")).text()
        assert 'snag_ack_seconds_count{platform="teams"} 1.0' in text
    finally:
        await client.close()


async def test_the_recovery_loop_files_the_outbox_while_serving(services) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from adapters.health import add_recovery
    from adapters.server import make_web_app

    person = services.snag.person("slack", "T1", "U1")
    services.snag.outbox.put(IncomingMessage(person, "kept while the database was down", "C1"))
    app = make_web_app(services)
    app.on_startup.clear()
    add_recovery(app, every=0.05)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        for _ in range(100):
            if services.snag.outbox.depth() == 0:
                break
            await asyncio.sleep(0.05)
        assert services.snag.outbox.depth() == 0
        texts = [r.text for r in services.repository.list_reports(person=person, limit=5)]
        assert texts == ["kept while the database was down"]
    finally:
        await client.close()


async def test_the_server_builds_the_grouping_index_as_it_starts(services, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    person = services.snag.person("slack", "T1", "U1")
    services.snag.handle_message(IncomingMessage(person, "stock counts live on a whiteboard", "C1"))
    services.extras["grouper"]._stores.clear()  # as after a restart: nothing indexed yet
    caplog.set_level(logging.INFO, logger="snag.server")
    client = await client_for(services)
    try:
        await client.app["warming"]
        assert "grouping index ready: 1 pattern(s)" in caplog.text
    finally:
        await client.close()


async def test_a_server_alone_applies_the_retention_policy(services) -> None:  # type: ignore[no-untyped-def]
    """SNAG_RETENTION_DAYS was applied only by `snag scheduler`: `snag serve` alone kept every text for ever."""
    import asyncio
    from dataclasses import replace as with_field
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select

    from adapters.health import add_recovery
    from adapters.server import make_web_app
    from bot.domain import RETAINED_TEXT
    from store.models import Report

    person = services.snag.person("slack", "T1", "U1")
    services.snag.handle_message(IncomingMessage(person, "the old rota lives in a spreadsheet", "C1"))
    services.snag.handle_message(IncomingMessage(person, "the new rota lives in a spreadsheet", "C1"))
    with Session(services.engine) as session:
        old = session.exec(select(Report).where(Report.text.startswith("the old"))).one()  # type: ignore[attr-defined]
        old.created_at = datetime.now(UTC) - timedelta(days=60)
        session.add(old)
        session.commit()
    services = with_field(services, settings=services.settings.model_copy(update={"retention_days": 30}))
    app = make_web_app(services)
    app.on_startup.clear()
    add_recovery(app, every=0.05, retention_every=0)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        for _ in range(100):
            texts = sorted(r.text for r in services.repository.list_reports(person=person, limit=5))
            if RETAINED_TEXT in texts:
                break
            await asyncio.sleep(0.05)
        assert texts == sorted([RETAINED_TEXT, "the new rota lives in a spreadsheet"])
    finally:
        await client.close()


async def test_a_server_alone_sends_the_reporters_updates_owed(services) -> None:  # type: ignore[no-untyped-def]
    """Updates owed to reporters (their platform failed when their pattern changed) were tried again
    only by `snag scheduler`: `snag serve`'s recovery loop tries them too."""
    import asyncio
    from datetime import datetime

    from adapters.health import add_recovery
    from adapters.server import make_web_app

    assert callable(services.extras.get("retry_updates")), "digests' wiring gives the server its retry"
    tried: list[datetime] = []
    services.extras["retry_updates"] = lambda now: tried.append(now) or 0
    app = make_web_app(services)
    app.on_startup.clear()
    add_recovery(app, every=0.05)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        for _ in range(100):
            if tried:
                break
            await asyncio.sleep(0.05)
        assert tried and tried[0].tzinfo is not None
    finally:
        await client.close()
