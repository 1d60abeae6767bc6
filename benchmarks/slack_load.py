"""Slack load: concurrent signed slash-command reports and retried events against the running app.

Used by benchmarks/load_bench.py; the fake Slack Web API from the test suite records the replies.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import ClientSession, web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from adapters.server import make_web_app
from benchmarks.load_bench import with_trained_model
from bot.app import build
from bot.config import Settings
from tests.slack.fake_slack import FakeSlack

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "slack"

SECRET = "bench-signing-secret-0123456789"
TOKEN = "xoxb-bench-0000-token"


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or "",
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _start_serve(env: dict[str, str], port: int):  # type: ignore[no-untyped-def]
    """`snag serve` in its own process, as in production; returns once /healthz answers."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        env={**os.environ, **env},
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    async with ClientSession() as session:
        for _ in range(300):
            try:  # ready: the database answers and the model is loaded
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return proc
            except OSError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise RuntimeError("snag serve did not start")


async def slack_load(database_url: str, n: int, *, own_process: bool = True) -> dict:
    """n slash-command reports and n/4 DM events each delivered 4 times (retries 1-3), concurrently.

    With own_process the server is a separate `snag serve` process, as in production, so the
    load generator does not share its event loop.
    """
    fake = FakeSlack()
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        with_trained_model(Path(tmp))
        db = database_url or f"sqlite:///{tmp}/slack.db"
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            reporter_secret="bench",
            database_url=db,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
        )
        services = build(settings, migrate=True)
        proc = runner = None
        if own_process:
            port = _free_port()
            env = {
                "SNAG_DATA_DIR": tmp,
                "SNAG_DATABASE_URL": db,
                "SNAG_REPORTER_SECRET": "bench",
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SNAG_SLACK_API_URL": fake.api_url,
                "SNAG_PORT": str(port),
                "SNAG_HOST": "127.0.0.1",
                "SNAG_LOG_LEVEL": "WARNING",
            }
            proc = await _start_serve(env, port)
            url = f"http://127.0.0.1:{port}/slack/events"
        else:
            runner = web.AppRunner(make_web_app(services), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        command = json.loads((FIXTURES / "slash_command.json").read_text())
        event = json.loads((FIXTURES / "event_message_im.json").read_text())
        latencies: list[float] = []

        async def post(session: ClientSession, body: str, ctype: str, extra: dict) -> int:
            started = time.perf_counter()
            headers = {"Content-Type": ctype, **_signed(body), **extra}
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                latencies.append(time.perf_counter() - started)
                return response.status

        jobs = []
        async with ClientSession() as session:
            for i in range(n):
                fields = dict(
                    command,
                    text=f"slash load report {i}: quotes retyped into the CRM",
                    trigger_id=f"1334522{i:04d}.738474920.8088930838d88f008e0",
                    response_url=f"{fake.api_url.rstrip('/')}/hooks/commands/{i}",
                )
                jobs.append(post(session, urlencode(fields), "application/x-www-form-urlencoded", {}))
            for i in range(n // 4):
                payload = json.loads(json.dumps(event))
                payload["event_id"] = f"EvLoad{i}"
                payload["event"]["text"] = f"dm load report {i}: the portal drops attachments"
                payload["event"]["ts"] = payload["event"]["event_ts"] = f"1700000{i:03d}.000100"
                body = json.dumps(payload)
                for retry in range(4):
                    extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
                    jobs.append(post(session, body, "application/json", extra))
            statuses = await asyncio.gather(*jobs)
        with services.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
            distinct = conn.execute(text("SELECT count(DISTINCT text) FROM reports")).scalar_one()
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if runner is not None:
            await runner.cleanup()
        services.engine.dispose()
    fake.stop()
    ordered = sorted(latencies)
    expected = n + n // 4
    return {
        "requests": len(statuses),
        "ok": sum(1 for s in statuses if s == 200),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "within_3s": sum(1 for v in ordered if v < 3.0),
        "reports_stored": stored,
        "distinct_texts": distinct,
        "exactly_once": stored == expected and distinct == expected,
    }
