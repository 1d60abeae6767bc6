"""`snag serve` in Socket Mode with Slack unreachable: the port opens, health answers, one line a try.

It used to wait for Slack before opening its port (health, metrics and Teams refused), after
logging "listening", and logged a traceback every ~12 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from tests.conftest import FixedClassifier, run_snag

PLATFORM_PREFIXES = ("SNAG_", "SLACK_", "MICROSOFT", "MicrosoftApp")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_listens_and_answers_health_while_slack_cannot_be_reached(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.app

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in os.environ if n.startswith(PLATFORM_PREFIXES)]:
        monkeypatch.delenv(name)
    port, nobody = free_port(), free_port()  # nothing listens on `nobody`: Slack refuses
    env = {
        "SNAG_DATA_DIR": str(settings.data_dir),
        "SNAG_DATABASE_URL": settings.resolved_database_url,
        "SNAG_REPORTER_SECRET": "test-secret",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SNAG_SLACK_API_URL": f"http://127.0.0.1:{nobody}/api/",
        "SNAG_HOST": "127.0.0.1",
        "SNAG_PORT": str(port),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    seen: dict[str, Any] = {}
    real_run_app = web.run_app

    async def probe() -> None:
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as health:
                    seen["healthz"] = health.status
                async with session.get(f"http://127.0.0.1:{port}/readyz") as ready:
                    seen["readyz"] = await ready.json()
            await asyncio.sleep(2.5)  # the first try to connect fails meanwhile
        finally:
            seen["watchdog"].cancel()
            os.kill(os.getpid(), signal.SIGINT)  # stops run_app as Ctrl+C does

    async def watch(_app: web.Application) -> None:
        """Never hang the suite: a start that never opens the port is cancelled (the test fails)."""
        seen["watchdog"] = asyncio.get_running_loop().call_later(20, asyncio.current_task().cancel)  # type: ignore[union-attr]

    def run_app(app: web.Application, **kw: Any) -> None:
        said_listening = kw["print"]

        def listening(*args: object) -> None:  # aiohttp calls it once the port is open
            said_listening(*args)
            seen["probe"] = asyncio.get_running_loop().create_task(probe())

        app.on_startup.insert(0, watch)
        real_run_app(app, **{**kw, "print": listening})

    monkeypatch.setattr(web, "run_app", run_app)
    code, _out, err = run_snag(monkeypatch, capsys, "serve")

    assert code == 0, err
    assert seen.get("healthz") == 200, "health answers while Slack cannot be reached"
    assert seen["readyz"]["slack"]["connected"] is False and seen["readyz"]["slack"]["mode"] == "socket"
    assert f"listening on 127.0.0.1:{port} for slack" in err
    failures = [line for line in err.splitlines() if "cannot connect to Slack in Socket Mode" in line]
    assert failures and all("ClientConnectorError" in line for line in failures), err
    assert "cannot reach Slack to check SLACK_BOT_TOKEN" in err
    assert "Traceback" not in err
