"""Patterns stored before titles took only words two people wrote keep their words after the
upgrade. Their terms hold no writers (`_p:`) and no TITLED mark: the first report to join one read
as if nobody had shared a word ("Enquiry: quote, lead, customer, vat" became "Enquiry: reports"),
and a rebuild where retention had removed texts left such patterns "Delivery: reports" for good."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from digests.engine import SHARED, SHARERS, TITLED
from digests.features import stem
from store.models import Pattern, Report
from store.privacy import RETAINED_TEXT, apply_retention
from tests.digests.conftest import NOW

PEOPLE = {
    "alice": "The till printer jammed again on till 2. Thanks, Priya",
    "bob": "The till printer jammed again on till 3",
    "carol": "Printer on till 5 jammed again",
    "dave": "till printer jammed again, paper everywhere",
}


def _wordless(title: str) -> bool:
    return title == "Reports" or title.endswith(": reports")


def _as_stored_before(engine) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Every pattern's terms as the code before the upgrade stored them (no writers, no TITLED
    mark); returns their titles."""
    with Session(engine) as s:
        rows = s.exec(select(Pattern)).all()
        for row in rows:
            row.terms = {k: v for k, v in row.terms.items() if not k.startswith((SHARERS, TITLED))}
            s.add(row)
        s.commit()
        return {row.id: row.title for row in rows if row.id is not None}


def _titles(engine) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {p.id: p.title for p in s.exec(select(Pattern)).all() if p.id is not None}


def test_a_report_joining_a_pattern_stored_before_keeps_its_title_words(digest_services) -> None:  # type: ignore[no-untyped-def]
    snag = digest_services.snag
    snag.clock = lambda: NOW
    for user, text in PEOPLE.items():
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", user), text, f"D-{user}", via="dm"))
    (before,) = _as_stored_before(digest_services.engine).values()
    assert "printer" in before.lower() and "priya" not in before.lower(), before
    erin = snag.person("slack", "T1", "erin")
    snag.handle_message(IncomingMessage(erin, "till printer jammed again this morning", "D-erin", via="dm"))
    ((pid, after),) = _titles(digest_services.engine).items()
    assert after == before
    with Session(digest_services.engine) as s:
        terms = s.get(Pattern, pid).terms  # type: ignore[union-attr]
    # its writers were read from its reports once: the next report needs no reading
    assert terms[TITLED] and terms[f"{SHARERS}{stem('printer')}"] == SHARED


def test_a_rebuild_after_retention_keeps_the_words_of_patterns_stored_before(demo_services) -> None:  # type: ignore[no-untyped-def]
    engine = demo_services.engine
    before = _as_stored_before(engine)
    with Session(engine) as s:
        assert apply_retention(session=s, older_than=NOW - timedelta(days=30)) > 50
        s.commit()
    with Session(engine) as s:
        reporters = Counter(
            pid for pid, _ in set(s.exec(select(Report.pattern_id, Report.reporter_key)).all()) if pid is not None
        )
        retained = Counter(r.pattern_id for r in s.exec(select(Report).where(Report.text == RETAINED_TEXT)).all())
    demo_services.extras["grouper"].rebuild(platform="console", tenant="local")
    after = _titles(engine)
    emptied = [(pid, before[pid], title) for pid, title in after.items() if pid in before and _wordless(title)]
    emptied = [e for e in emptied if not _wordless(e[1])]
    # only a pattern of one person's words has none to show: it never had two people's
    assert [e for e in emptied if reporters[e[0]] > 1 or retained[e[0]]] == []
    assert any(retained[pid] for pid in after if pid in before)
