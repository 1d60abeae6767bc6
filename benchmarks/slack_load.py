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
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        or "",
    }


async def slack_load(database_url: str, n: int) -> dict:
    """n slash-command reports and n/4 DM events each delivered 4 times (retries 1-3), concurrently."""
    fake = FakeSlack()
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            reporter_secret="bench",
            database_url=database_url or f"sqlite:///{tmp}/slack.db",
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
        )
        services = build(settings, migrate=True)
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
                jobs.append(
                    post(session, urlencode(fields), "application/x-www-form-urlencoded", {})
                )
            for i in range(n // 4):
                payload = json.loads(json.dumps(event))
                payload["event_id"] = f"EvLoad{i}"
                payload["event"]["text"] = f"dm load report {i}: the portal drops attachments"
                payload["event"]["ts"] = payload["event"]["event_ts"] = f"1700000{i:03d}.000100"
                body = json.dumps(payload)
                for retry in range(4):
                    extra = (
                        {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                        if retry
                        else {}
                    )
                    jobs.append(post(session, body, "application/json", extra))
            statuses = await asyncio.gather(*jobs)
        with services.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
            distinct = conn.execute(text("SELECT count(DISTINCT text) FROM reports")).scalar_one()
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
