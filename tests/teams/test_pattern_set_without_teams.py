"""`snag pattern set` run where Teams is not configured still gets Teams reporters told: by the
running `snag serve`, which has Teams' settings. Real aiohttp endpoint, fake connector.

Found by running the command beside a Teams bot: it printed "told 0 reporter(s)" and owed nothing,
so nobody ever told them, and running it again said nothing had changed."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build
from bot.config import Settings
from tests.conftest import FixedClassifier, run_snag
from tests.teams.connector import fixture, reports

SAID = "refund requests sit in the finance inbox for a week before anyone looks"


def reporter(n: int) -> dict:
    return {"id": f"29:1user-p{n}", "name": f"Person {n}", "aadObjectId": f"aad-p{n}"}


def chat(n: int) -> dict:
    return {"conversationType": "personal", "tenantId": "tenant-a", "id": f"a:1personal-p{n}"}


def updates(connector, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    sent = [json.dumps(body, ensure_ascii=False) for body in connector.sent_to(chat(n)["id"])]
    return [body for body in sent if "An update on your report" in body]


@pytest.fixture
def snag(teams, tmp_path: Path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """`snag ARGS...` as an admin runs it on the same database, with no Teams settings."""
    served = teams[0].settings
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "cli",
        database_url=served.database_url,
        reporter_secret="test-secret",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=False)
    monkeypatch.setattr("digests.cli._services", lambda train=False: services)
    yield lambda *args: run_snag(monkeypatch, capsys, *args)
    services.engine.dispose()


async def test_teams_reporters_are_owed_to_the_running_bot(teams, snag) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    for n in (1, 2, 3):
        said = fixture("message_personal", connector.url, id=f"17000000002{n}", text=f"{SAID} ({n})")
        await client.post("/api/messages", json={**said, "conversation": chat(n), "from": reporter(n)})
    pid = reports(services)[0].pattern_id
    assert {r.pattern_id for r in reports(services)} == {pid}
    calls = len(connector.calls)
    args = ("pattern", "set", str(pid), "--status", "resolved", "--owner", "Dana", "--platform", "teams")

    code, out, err = await asyncio.to_thread(snag, *args, "--tenant", "tenant-a")

    assert code == 0, err
    assert out == (
        f"Pattern #{pid}: status resolved, owner Dana; told 0 reporter(s); 3 will be told within a minute "
        "by the `snag serve` or `snag scheduler` running with Teams settings (this command has none).\n"
    )
    assert len(connector.calls) == calls  # the command sent nothing itself
    assert await asyncio.to_thread(services.extras["retry_updates"], datetime.now(UTC)) == 3  # serve's recovery loop
    for n in (1, 2, 3):
        [update] = updates(connector, n)
        assert f"({n})" in update and "resolved" in update and "Dana" in update
    assert await asyncio.to_thread(services.extras["retry_updates"], datetime.now(UTC)) == 0
    code, out, _ = await asyncio.to_thread(snag, *args, "--tenant", "tenant-a")
    assert code == 0 and out.endswith("nothing changed; nobody was told again.\n")
