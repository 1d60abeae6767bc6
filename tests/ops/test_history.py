"""snag import / export: bad rows reported by line, nothing twice, roles and k-anonymity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.domain import Role
from bot.errors import PermissionDenied
from bot.exporting import pattern_rows, report_rows
from bot.history import ColumnMap, read_history
from store.models import Pattern, Report, Tenant


def test_read_history_reports_bad_rows_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "Ref,Issue,Logged\n"
        'A1,"refund forms, scanned twice",01/10/2026\n'
        "A2,,02/10/2026\n"
        'A3,"multi\nline issue",2026-10-03\n'
        'A4,"bad date",yesterday\n'
    )
    rows, problems = read_history(path, ColumnMap(text="Issue", created_at="Logged", id="Ref"))
    assert [(r.source_id, r.text) for r in rows] == [("A1", "refund forms, scanned twice"), ("A3", "multi\nline issue")]
    assert rows[0].created_at is not None and rows[0].created_at.day == 1 and rows[0].created_at.month == 10
    assert [(p.line, p.problem.split(" ")[0]) for p in problems] == [(3, "no"), (6, "'yesterday'")]


def test_jsonl_history_with_a_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "courier lost it"}) + "\n{broken\n[1,2]\n")
    rows, problems = read_history(path, ColumnMap(created_at=None))
    assert [r.text for r in rows] == ["courier lost it"]
    assert [p.line for p in problems] == [2, 3]


def test_import_is_idempotent_and_tags_everything(services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"issue {i} with invoices"}) + "\n" for i in range(5)))
    rows, _ = read_history(path, ColumnMap(created_at=None))
    person = services.snag.person("console", "local", "admin")
    assert len(services.snag.import_history(person, rows)) == 5
    assert services.snag.import_history(person, rows) == []
    with Session(services.engine) as s:
        stored = s.exec(select(Report)).all()
    assert len(stored) == 5 and all(r.tag_source == "model" for r in stored)
    assert len({r.reporter_key for r in stored}) == 1  # no reporter column: one unknown reporter


def test_export_respects_roles_and_folds_small_patterns(services) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    snag.grouper = None  # this test builds its own patterns
    from bot.domain import IncomingMessage

    for i, user in enumerate(["a", "b", "c", "d"]):
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", user), f"refunds slow {i}", "C"))
    with Session(services.engine) as s:
        tenant = s.exec(select(Tenant)).one()
        big, small = Pattern(tenant_id=tenant.id, title="Refunds slow"), Pattern(tenant_id=tenant.id, title="Tiny")
        s.add(big)
        s.add(small)
        s.commit()
        reports = s.exec(select(Report).order_by(Report.id)).all()
        for r, p in zip(reports, [big, big, big, small], strict=True):
            r.pattern_id = p.id
            s.add(r)
        big.report_count, small.report_count = 3, 1
        s.add(big)
        s.add(small)
        s.commit()
    staff = snag.person("slack", "T1", "a")
    rows = list(pattern_rows(services.repository, staff, k=3))
    assert [r["title"] for r in rows] == ["Refunds slow", "Patterns with fewer than 3 reporters each"]
    assert rows[0]["reporters"] == 3 and rows[1]["reports"] is None and rows[1]["reporters"] == "fewer than 3"
    with pytest.raises(PermissionDenied):
        list(report_rows(services.repository, staff, k=3, taxonomy=services.taxonomy))
    from dataclasses import replace

    manager = replace(staff, role=Role.MANAGER)
    exported = list(report_rows(services.repository, manager, k=3, taxonomy=services.taxonomy))
    assert len(exported) == 4 and all("reporter" not in key for row in exported for key in row)
