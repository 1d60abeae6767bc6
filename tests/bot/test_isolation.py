"""Tenant isolation: interleaved concurrent traffic from two tenants never crosses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.app import build
from bot.config import Settings
from bot.domain import ActionEvent, IncomingMessage
from bot.roles import RolePolicy
from store.models import Report, Tenant
from tests.conftest import FixedClassifier


def test_two_tenants_interleaved_and_concurrent(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    services = build(
        Settings(_env_file=None, data_dir=tmp_path / "var", database_url=db_url, reporter_secret="s"),
        classifier=FixedClassifier(),
        migrate=True,
    )
    snag = services.snag
    snag.roles = RolePolicy.from_lists([], ["slack:M"])
    tenants = ("TA", "TB")
    yesterday = datetime.now(UTC) - timedelta(days=1)

    def traffic(i: int) -> tuple[str, list[int], list[str]]:
        tenant = tenants[i % 2]
        staff = snag.person("slack", tenant, f"U{i % 3}")
        said = IncomingMessage(staff, f"{tenant} report {i} about invoices", "C", received_at=yesterday)
        receipt = snag.handle_message(said)  # filed yesterday: a search finds it today (bot.commands.cut_of)
        snag.handle_action(ActionEvent(staff, receipt.report_id, "frequency", "weekly"))  # type: ignore[arg-type]
        manager = snag.person("slack", tenant, "M")
        found = snag.handle_message(IncomingMessage(manager, "search invoices", "C"))
        mine = snag.handle_message(IncomingMessage(staff, "mine", "C"))
        # a search lists nothing of a pattern under k reporters, as it may be early on
        texts = [s.text for s in found.sections + mine.sections if s.text != "No reports match those words."]
        return tenant, [receipt.report_id], texts  # type: ignore[list-item]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(traffic, range(40)))

    with Session(services.engine) as s:
        owner = {
            r.id: t.external_id for r, t in s.exec(select(Report, Tenant).where(Report.tenant_id == Tenant.id)).all()
        }
        assert len(owner) == 40
    for tenant, ids, texts in results:
        assert all(owner[i] == tenant for i in ids)
        assert texts and all(t.startswith(tenant) for t in texts), (tenant, texts)
    # A person of one tenant cannot act on the other tenant's report.
    a_report = next(i for i, t in owner.items() if t == "TA")
    intruder = snag.person("slack", "TB", "M")
    reply = snag.handle_action(ActionEvent(intruder, a_report, "confirm"))
    assert reply.kind == "error" and "is no longer stored" in reply.title
    never = snag.handle_action(ActionEvent(intruder, 10_000, "confirm"))  # the same words: nothing to tell apart
    assert never.title == reply.title.replace(f"#{a_report}", "#10000")
    services.engine.dispose()
