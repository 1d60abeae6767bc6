"""`snag import` skips only a row it filed before: a row is its id, or else its text, date and reporter."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session, select

from bot.history import ColumnMap, read_history
from store.models import Report

SENTENCE = "The customer portal login page times out for every new account"
MONTH = (
    "date,who,text\n2026-10-05,alice,Refunds wait a week in the finance inbox\n2026-10-06,bob,Couriers lose parcels\n"
)


def _stored(services) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        reports = s.exec(select(Report).order_by(Report.id)).all()  # type: ignore[arg-type]
        return [(r.text, r.created_at.date().isoformat(), r.reporter_key) for r in reports]


def _import(snag_cli, name: str, *options: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return snag_cli("import", name, "--date-column", "date", "--reporter-column", "who", *options)  # type: ignore[no-any-return]


def test_the_same_sentence_on_the_same_line_of_another_month_is_a_new_report(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("october.csv").write_text(f"date,who,text\n2026-10-05,alice,{SENTENCE}\n")
    Path("november.csv").write_text(f"date,who,text\n2026-11-17,carol,{SENTENCE}\n")
    for name in ("october.csv", "november.csv"):
        code, out, _ = _import(snag_cli, name)
        assert code == 0 and "Imported 1 report(s); 0 already there; 0 skipped." in out
    stored = _stored(services)
    assert [(text, day) for text, day, _ in stored] == [(SENTENCE, "2026-10-05"), (SENTENCE, "2026-11-17")]
    assert len({key for _, _, key in stored}) == 2  # alice and carol


def test_another_reporter_or_date_alone_makes_a_new_report(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("a.csv").write_text(f"date,who,text\n2026-10-05,alice,{SENTENCE}\n")
    Path("b.csv").write_text(f"date,who,text\n2026-10-05,carol,{SENTENCE}\n")
    Path("c.csv").write_text(f"date,who,text\n2026-10-06,alice,{SENTENCE}\n")
    for name in ("a.csv", "b.csv", "c.csv"):
        assert "Imported 1 report(s); 0 already there" in _import(snag_cli, name)[1]
    assert len(_stored(services)) == 3


def test_re_importing_the_same_file_files_nothing_twice(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(MONTH)
    assert "Imported 2 report(s); 0 already there" in _import(snag_cli, "h.csv")[1]
    assert "Imported 0 report(s); 2 already there" in _import(snag_cli, "h.csv")[1]
    Path("h.csv").write_text(MONTH.replace("2026-10-05", "05/10/2026"))  # the same date, written otherwise
    assert "Imported 0 report(s); 2 already there" in _import(snag_cli, "h.csv")[1]
    assert len(_stored(services)) == 2


def test_a_row_added_above_the_others_is_the_only_one_filed(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(MONTH)
    assert _import(snag_cli, "h.csv")[0] == 0
    header, rest = MONTH.split("\n", 1)
    Path("h.csv").write_text(f"{header}\n2026-10-04,dan,Invoices arrive twice\n{rest}")  # every line moves down
    assert "Imported 1 report(s); 2 already there" in _import(snag_cli, "h.csv")[1]
    assert sorted(text for text, _, _ in _stored(services))[0] == "Couriers lose parcels"
    assert len(_stored(services)) == 3


def test_rows_without_dates_or_reporters_are_filed_once_at_every_import(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text\nRefunds wait a week\nCouriers lose parcels\n")
    for expected in ("Imported 2 report(s); 0 already there", "Imported 0 report(s); 2 already there"):
        code, out, _ = snag_cli("import", "h.csv", "--no-dates")
        assert code == 0 and expected in out
    assert len(_stored(services)) == 2


def test_two_alike_rows_of_one_file_are_two_reports_filed_once(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(f"date,text\n2026-10-05,{SENTENCE}\n2026-10-05,{SENTENCE}\n")
    for expected in ("Imported 2 report(s); 0 already there", "Imported 0 report(s); 2 already there"):
        assert expected in snag_cli("import", "h.csv", "--date-column", "date")[1]
    Path("h.csv").write_text(f"date,text\n2026-10-05,{SENTENCE}\n2026-10-05,{SENTENCE}\n2026-10-05,{SENTENCE}\n")
    assert "Imported 1 report(s); 2 already there" in snag_cli("import", "h.csv", "--date-column", "date")[1]
    assert len(_stored(services)) == 3


def test_an_id_column_names_the_row_whatever_else_changes(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(f"id,date,who,text\nT-1,2026-10-05,alice,{SENTENCE}\n")
    assert "Imported 1 report(s)" in _import(snag_cli, "h.csv")[1]
    Path("h.csv").write_text(f"id,date,who,text\nT-2,2026-10-05,alice,{SENTENCE}\nT-1,2026-10-06,alice,{SENTENCE}!\n")
    assert "Imported 1 report(s); 1 already there" in _import(snag_cli, "h.csv")[1]
    assert len(_stored(services)) == 2


def test_an_id_on_two_rows_of_one_file_is_a_problem_on_the_second(snag_cli, services) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(f"id,date,who,text\n7,2026-10-05,alice,{SENTENCE}\n7,2026-11-17,carol,Couriers lose it\n")
    code, out, err = _import(snag_cli, "h.csv")
    assert code == 1 and "Imported 1 report(s); 0 already there; 1 skipped." in out
    assert "h.csv:3: skipped, id '7' is also on line 2 (an id names one row)" in err
    assert [text for text, _, _ in _stored(services)] == [SENTENCE]


def test_the_stored_key_is_keyed_with_the_reporter_secret(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"date,who,text\n2026-10-05,alice,{SENTENCE}\n")
    [row], _ = read_history(path, ColumnMap(created_at="date", reporter="who"))
    assert row.event_key("one secret") != row.event_key("another secret")
    assert row.event_key("s").startswith("import:") and len(row.event_key("s")) <= 200
    unkeyed = hashlib.sha1(f"{row.line}\x1f{row.text}".encode()).hexdigest()[:32]  # the key as it was
    assert unkeyed not in row.event_key("s") and "alice" not in row.event_key("s")
