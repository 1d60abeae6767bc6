"""`snag demo` goes only into a tenant of its own: never among real reports, never twice over what people set."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.domain import IncomingMessage
from store.db import session_scope
from store.models import Pattern, Report, Tenant
from tests.conftest import run_snag
from tests.digests.conftest import NOW

# three reports of the sample's problem p13 (owner IT, resolved), as a real workspace might file them
REAL = (
    "warm transfers to the sales queue not working again, taking numbers and emailing them over",
    "transferred a customer over to sales and it just cut off, 3rd time today",
    "telephony: transfers between queues failing on and off, vendor ticket open",
)


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` as the console script does: (exit code, stdout, stderr)."""
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def _reports(services, platform: str, tenant: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        query = select(func.count()).select_from(Report).join(Tenant, col(Tenant.id) == col(Report.tenant_id))
        query = query.where(col(Tenant.platform) == platform, col(Tenant.external_id) == tenant)
        return int(session.execute(query).scalar() or 0)


def _patterns(services) -> dict[int, tuple[str | None, str, int]]:  # type: ignore[no-untyped-def]
    """Every pattern's (owner, status, report count)."""
    with session_scope(services.engine) as session:
        rows = session.execute(select(Pattern.id, Pattern.owner, Pattern.status, Pattern.report_count)).all()
        return {pid: (owner, status, count) for pid, owner, status, count in rows}


def _file_real(services) -> int:  # type: ignore[no-untyped-def]
    """Three Slack reporters of workspace T9 file REAL; the pattern the first landed in."""
    ids = []
    for n, text in enumerate(REAL):
        person = services.snag.person("slack", "T9", f"U{n}")
        reply = services.snag.handle_message(IncomingMessage(person=person, text=text, channel="C1"))
        assert reply.report_id is not None
        ids.append((person, reply.report_id))
    person, first = ids[0]
    return int(services.repository.get_report(person=person, report_id=first).pattern_id)


def test_demo_into_a_workspace_with_reports_is_refused_and_changes_nothing(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    # It mixed 300 made-up reports into slack:T9 and gave Dana's pattern the sample's owner IT, resolved.
    pid = _file_real(digest_services)
    code, _, err = snag(
        "pattern",
        "set",
        str(pid),
        "--owner",
        "Dana",
        "--status",
        "in progress",
        "--platform",
        "slack",
        "--tenant",
        "T9",
    )
    assert code == 0, err
    before = _patterns(digest_services)
    assert before[pid][:2] == ("Dana", "in_progress")

    code, out, err = snag("demo", "--platform", "slack", "--tenant", "T9")
    assert code == 2 and out == ""
    said = " ".join(err.split())
    assert "slack:T9 already holds 3 report(s), so the sample organisation was not loaded there" in said
    assert "could set the owners and statuses of its real patterns. Nothing was changed." in said
    assert "give it a tenant of its own: run `snag demo` without --platform and --tenant" in said
    assert "another SNAG_DATA_DIR" in said and "Traceback" not in err
    assert _reports(digest_services, "slack", "T9") == 3
    assert _patterns(digest_services) == before


def test_demo_into_the_console_s_own_tenant_with_reports_points_to_another_database(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    staff = digest_services.snag.person("console", "local", "u1")
    digest_services.snag.handle_message(IncomingMessage(person=staff, text=REAL[0], channel="C1"))
    code, _, err = snag("demo")
    said = " ".join(err.split())
    assert code == 2 and "console:local already holds 1 report(s)" in said
    assert "run `snag demo` with another SNAG_DATA_DIR, for a database of its own." in said
    assert "without --platform" not in said  # it was the console's already
    assert _reports(digest_services, "console", "local") == 1


def test_demo_run_twice_keeps_what_a_manager_set(snag, digest_services) -> None:  # type: ignore[no-untyped-def]
    # Running it again regrouped the tenant and set every sample pattern's owner and status back.
    code, out, _ = snag("demo")
    assert code == 0 and "Loaded 300 sample report(s)" in out
    owned = next(pid for pid, (owner, _, _) in sorted(_patterns(digest_services).items()) if owner)
    code, _, err = snag("pattern", "set", str(owned), "--owner", "Dana", "--status", "won't fix")
    assert code == 0, err
    before = _patterns(digest_services)

    code, out, _ = snag("demo")
    said = " ".join(out.split())
    assert code == 0
    assert "The sample organisation is already loaded in console:local (300 sample report(s))" in said
    assert "nothing was loaded again, and owners and statuses set since stay as they are." in said
    assert _patterns(digest_services) == before and before[owned][:2] == ("Dana", "wont_fix")
    assert _reports(digest_services, "console", "local") == 300


def test_the_sample_s_owners_go_only_on_patterns_of_sample_reports_alone(demo_services, snag) -> None:  # type: ignore[no-untyped-def]
    """A real report filed while the sample loads may land among its reports: that pattern keeps its owner."""
    from digests.demo import PROBLEMS_FILE, _annotate, _rows

    assert json.loads(PROBLEMS_FILE.read_text(encoding="utf-8"))["p13"]["owner_team"] == "it"
    rows = _rows(NOW)
    p13 = {f"demo:{r['id']}" for r in rows if r["group"] == "p13"}
    staff = demo_services.snag.person("console", "local", "u1")
    filed = demo_services.snag.handle_message(IncomingMessage(person=staff, text=REAL[1], channel="C1"))
    with session_scope(demo_services.engine) as session:
        pid = _most(session, p13)
        real = session.get(Report, filed.report_id)
        assert real is not None
        real.pattern_id = pid  # it landed with the sample's p13 reports
        session.add(real)
    code, _, err = snag("pattern", "set", str(pid), "--owner", "Dana", "--status", "in progress")
    assert code == 0, err

    _annotate(demo_services, rows, NOW, "local")
    assert _patterns(demo_services)[pid][:2] == ("Dana", "in_progress")


def _most(session, keys: set[str]) -> int:  # type: ignore[no-untyped-def]
    """The pattern most of these reports are in."""
    query = (
        select(Report.pattern_id, func.count())
        .where(col(Report.event_key).in_(keys))
        .group_by(col(Report.pattern_id))
        .order_by(func.count().desc())
    )
    return int(session.execute(query).first()[0])


def test_demo_help_does_not_invite_a_real_workspace(snag) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = snag("demo", "--help")
    said = " ".join(out.split())
    assert code == 0 and "team id" not in said and "Teams tenant id" not in said
    assert "into a tenant holding no reports." in said and "already holds reports is refused" in said
