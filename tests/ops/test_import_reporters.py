"""`snag import` never counts more reporters than the file shows: unknown reporters are one reporter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlmodel import Session, select

from bot.domain import Role
from bot.exporting import pattern_rows
from store.models import Report

SAME_PROBLEM = (
    "id,text,created_at\n"
    "1,refund forms are scanned twice at the front desk,2024-01-02\n"
    "2,the front desk scans refund forms twice,2024-01-03\n"
    "3,refund forms get scanned twice at the front desk again,2024-01-04\n"
)


def _reporter_keys(services) -> set[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return {r.reporter_key for r in s.exec(select(Report)).all()}


def test_rows_without_a_reporter_column_count_as_one_reporter_and_it_says_so(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(SAME_PROBLEM)
    for args in (["--dry-run"], []):
        code, _, err = snag_cli("import", "h.csv", *args)
        assert code == 0
        assert "the 3 row(s) count as one reporter" in err and "--reporter-column" in err
    assert len(_reporter_keys(services)) == 1


def test_one_person_s_imported_rows_are_not_listed_as_a_pattern_of_three_reporters(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(SAME_PROBLEM)
    assert snag_cli("import", "h.csv")[0] == 0
    staff = services.snag.person("console", "local", "someone")
    patterns = services.repository.list_patterns(person=staff)
    assert [(p.report_count, p.reporter_count) for p in patterns] == [(3, 1)]
    rows = list(pattern_rows(services.repository, staff, k=3))
    assert [(r["pattern"], r["reporters"]) for r in rows] == [("other", "fewer than 3")]
    manager = replace(staff, role=Role.MANAGER)
    assert [r["pattern"] for r in pattern_rows(services.repository, manager, k=3)] == ["other"]


def test_re_importing_an_edited_file_adds_no_reporter(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(SAME_PROBLEM)
    assert snag_cli("import", "h.csv")[0] == 0
    Path("h.csv").write_text(SAME_PROBLEM + "4,refund forms scanned twice once more,2024-01-05\n")
    code, out, _ = snag_cli("import", "h.csv")
    assert code == 0 and "Imported 1 report(s); 3 already there" in out
    Path("other.csv").write_text("id,text\n9,parcels go missing at the depot\n")
    assert snag_cli("import", "other.csv", "--no-dates")[0] == 0
    assert len(_reporter_keys(services)) == 1


def test_a_reporter_column_counts_its_people_and_empty_cells_as_one_unknown(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(
        "id,text,created_at,who\n"
        "1,refund forms are scanned twice,2024-01-02,ann\n"
        "2,refund forms scanned twice again,2024-01-03,ann\n"
        "3,the front desk scans refund forms twice,2024-01-03,bob\n"
        "4,refund forms get scanned twice,2024-01-04,\n"
        "5,refund forms scanned twice at the desk,2024-01-04,\n"
    )
    code, _, err = snag_cli("import", "h.csv", "--reporter-column", "who")
    assert code == 0 and "2 row(s) without a reporter count as one reporter" in err
    assert len(_reporter_keys(services)) == 3
