"""A sent digest's charts are uploaded where the platform takes files: all three, each only when it has cells.

Slack got the trend and the handoff matrix but never the stage x kind heat map, which only the
HTML preview showed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from digests.snapshot import digest_week
from tests.digests import world
from tests.digests.conftest import NOW, RecordingMessenger, console_scheduler, subscribe_console

MONDAY_9 = NOW.replace(day=23, hour=9)  # the week 16-22 Nov (2026-W47) is due
START, _ = digest_week(MONDAY_9)


class Uploads(RecordingMessenger):
    """Records each chart uploaded, as Slack's messenger takes them."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict] = []

    async def upload_chart(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        assert kwargs["png"].startswith(b"\x89PNG")
        self.charts.append(kwargs)


def _send(services) -> Uploads:  # type: ignore[no-untyped-def]
    sub = subscribe_console(services)
    messenger = Uploads()
    assert console_scheduler(services, messenger, MONDAY_9, charts=True).catch_up() == {sub: "sent"}
    return messenger


def test_the_demo_digest_uploads_its_three_charts(demo_services) -> None:  # type: ignore[no-untyped-def]
    messenger = _send(demo_services)
    assert [c["filename"] for c in messenger.charts] == ["trend.png", "handoffs.png", "heat.png"]
    assert [c["title"] for c in messenger.charts][-1] == "2026-W47 heat"
    assert {c["destination"] for c in messenger.charts} == {"C1"}


def test_a_chart_without_cells_is_not_uploaded(digest_services) -> None:  # type: ignore[no-untyped-def]
    """Reports with a stage and kind but no handoff: the handoff matrix has nothing to draw."""
    with Session(digest_services.engine) as s:
        tenant = world.tenant(s)
        pid = world.pattern(s, tenant, "refunds wait", START - timedelta(days=30))
        filed = [(START + timedelta(days=2, minutes=i), f"k{i}") for i in range(3)]
        world.reports(s, tenant, pid, filed, stage="billing", kinds=["waiting"])
    messenger = _send(digest_services)
    assert [c["filename"] for c in messenger.charts] == ["trend.png", "heat.png"]
