"""Load: 200 concurrent reports against the running server on loopback, SQLite and PostgreSQL.

Every request must be acknowledged within Slack's 3 s and stored exactly once; duplicate
deliveries (the same Teams activity or Slack retries, concurrently) must make one report.

    python -m benchmarks.load_bench [--n 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from sqlalchemy import text

from adapters.server import make_web_app
from bot.app import build
from bot.config import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "teams" / "message_personal.json"
MODELS = Path(__file__).resolve().parents[1] / "var" / "models"  # `make model`'s


def with_trained_model(data_dir: Path) -> None:
    """Give a benchmark's data folder the project's trained model, as a deployment has one (the image
    trains it at build time). Without it the server trained one in the background during the burst,
    and the figures measured the training's use of the two cores as much as the server."""
    import shutil

    latest = MODELS / "LATEST"
    if not latest.is_file():
        raise SystemExit("No trained model in var/models: run `make model` first.")
    version = latest.read_text(encoding="utf-8").strip()
    shutil.copytree(MODELS / version, data_dir / "models" / version)
    (data_dir / "models" / "LATEST").write_text(version, encoding="utf-8")


async def _fake_connector() -> tuple[web.AppRunner, str]:
    app = web.Application()

    async def ok(_request: web.Request) -> web.Response:
        return web.json_response({"id": "x"})

    app.router.add_post("/v3/conversations/{cid}/activities", ok)
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/"


async def _serve(services) -> tuple[web.AppRunner, str]:  # type: ignore[no-untyped-def]
    runner = web.AppRunner(make_web_app(services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def teams_load(database_url: str, n: int) -> dict:
    """n distinct activities plus n/4 duplicated ones, all concurrently."""
    with tempfile.TemporaryDirectory() as tmp:
        with_trained_model(Path(tmp))
        settings = Settings(
            _env_file=None,
            env="dev",
            teams=True,
            data_dir=Path(tmp),
            database_url=database_url or f"sqlite:///{tmp}/load.db",
            reporter_secret="bench",
        )
        services = build(settings, migrate=True)
        connector, connector_url = await _fake_connector()
        server, base = await _serve(services)
        template = json.loads(FIXTURE.read_text())
        latencies: list[float] = []

        async def post(session: ClientSession, i: int) -> int:
            activity = dict(
                template,
                id=f"load-{i}",
                serviceUrl=connector_url,
                text=f"load test report {i}: refunds stuck with finance again",
            )
            started = time.perf_counter()
            async with session.post(f"{base}/api/messages", json=activity) as response:
                await response.read()
                latencies.append(time.perf_counter() - started)
                return response.status

        async with ClientSession() as session:
            jobs = [post(session, i) for i in range(n)] + [post(session, i) for i in range(n // 4)]
            statuses = await asyncio.gather(*jobs)
        with services.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*), count(DISTINCT event_key) FROM reports")).one()
        await server.cleanup()
        await connector.cleanup()
        services.engine.dispose()
        return {
            "requests": len(statuses),
            "ok": sum(1 for s in statuses if s in (200, 201)),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "within_3s": sum(1 for v in latencies if v < 3.0),
            "reports_stored": stored[0],
            "distinct_events": stored[1],
            "exactly_once": stored[0] == n and stored[1] == n,
        }


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema for one run (its URL), dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    schema = f"snag_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _on_postgres(load: Callable[[str, int], Coroutine[Any, Any, dict]], url: str, n: int) -> dict:
    try:
        with postgres_schema(url) as schema_url:
            return asyncio.run(load(schema_url, n))
    except Exception as exc:  # no PostgreSQL here: say so, don't pretend
        return {"skipped": f"{exc.__class__.__name__} (is PostgreSQL running at {url}?)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = {"teams/sqlite": asyncio.run(teams_load("", args.n))}
    results["teams/postgres"] = _on_postgres(teams_load, args.postgres, args.n)
    try:
        from benchmarks.slack_load import slack_load
    except ImportError:
        pass
    else:
        results["slack/sqlite"] = asyncio.run(slack_load("", args.n))
        results["slack/postgres"] = _on_postgres(slack_load, args.postgres, args.n)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
