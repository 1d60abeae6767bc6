"""Pattern titles and dates after the retention policy removed report texts: regrouping, live
grouping and erasure keep what the removed texts said and never title by the placeholder."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from digests.engine import PatternState, features_of
from digests.pattern_rows import TITLED, write_pattern
from store.models import Pattern, Report, TermCount
from store.privacy import RETAINED_TEXT, apply_retention
from tests.digests.conftest import NOW


def _patterns(engine) -> dict[int, Pattern]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {p.id: p for p in s.exec(select(Pattern)).all()}  # type: ignore[misc]


def _wordless(title: str) -> bool:
    return title == "Reports" or title.endswith(": reports")


def test_a_rebuild_keeps_the_titles_and_dates_of_patterns_whose_texts_were_removed(demo_services) -> None:  # type: ignore[no-untyped-def]
    engine = demo_services.engine
    before = _patterns(engine)
    with Session(engine) as s:
        assert apply_retention(session=s, older_than=NOW - timedelta(days=28)) > 50
        s.commit()
        retained = s.exec(select(Report).where(Report.text == RETAINED_TEXT)).all()
        oldest = {r.pattern_id: r.created_at for r in sorted(retained, key=lambda r: r.created_at, reverse=True)}
    demo_services.extras["grouper"].rebuild(platform="console", tenant="local")
    after = _patterns(engine)
    with Session(engine) as s:
        kept = Counter(r.pattern_id for r in s.exec(select(Report).where(Report.text == RETAINED_TEXT)).all())
    # a title with words never turns into "Assessment: reports" (nine did)
    assert [
        pid for pid, p in after.items() if pid in before and _wordless(p.title) and not _wordless(before[pid].title)
    ] == []
    mostly_removed = [
        pid
        for pid, p in after.items()
        if 2 * kept[pid] >= p.report_count and kept[pid] < p.report_count and before[pid].report_count >= 3
    ]
    assert mostly_removed and all(after[pid].title == before[pid].title for pid in mostly_removed)
    # a pattern is as old as its oldest report, text or not: not "new this week" after a rebuild
    for pid, first in oldest.items():
        if pid in after and kept[pid]:
            assert after[pid].first_seen <= first, (pid, after[pid].first_seen, first)
    # the next report to join such a pattern does not retitle it by the few words left either
    row = next(after[pid] for pid in mostly_removed if 2 * kept[pid] > after[pid].report_count)
    state = PatternState.from_terms(row.id, row.terms, row.first_seen, row.last_seen)  # type: ignore[arg-type]
    assert state.wordless == kept[row.id]
    state.add(features_of("one more report", stage=row.stage, kinds=(), teams=(), handoff=None, created_at=NOW))
    title = row.title
    write_pattern(row, state, demo_services.taxonomy)
    assert row.title == title


ONE_REPORT = "the zembla depot scanner drops every quixbury parcel on monday mornings"  # one person's words


def _row(title: str, *, shared: bool, stage: str = "billing") -> Pattern:
    """A pattern row whose title was made of words two people wrote (`shared`), or before that rule."""
    return Pattern(tenant_id=1, title=title, stage=stage, terms={"_n": 5.0} | ({TITLED: 1.0} if shared else {}))


def _state(words: list[str], wordless: int) -> PatternState:
    state = PatternState(id=1, words={}, chars={}, n=0)
    at = datetime(2026, 1, 5, tzinfo=UTC)
    for text in [*words, *[""] * wordless]:
        state.add(features_of(text, stage="billing", kinds=(), teams=(), handoff=None, created_at=at))
    return state


def test_a_title_is_kept_only_if_it_was_made_of_shared_words_for_the_same_stage(digest_services) -> None:  # type: ignore[no-untyped-def]
    tx = digest_services.taxonomy
    row = _row("Billing: refund, sheet", shared=True)
    write_pattern(row, _state([ONE_REPORT], wordless=4), tx)
    assert row.title == "Billing: refund, sheet"
    # made before titles took only words two people wrote (it may show one person's): kept only
    # where retention removed texts that could have told (test_legacy_titles), not otherwise
    row = _row("Billing: zembla, priya", shared=False)
    write_pattern(row, _state([ONE_REPORT], wordless=0), tx)
    assert row.title == "Billing: reports"
    row = _row("Delivery: van, depot", shared=True, stage="delivery")  # another stage
    write_pattern(row, _state([ONE_REPORT], wordless=4), tx)
    assert row.title == "Billing: reports"
    row = _row("Billing: refund, sheet", shared=True)
    write_pattern(row, _state([ONE_REPORT], wordless=4), tx, keep_title=False)
    assert row.title == "Billing: reports"
    # reports with words are the majority and share words: they title the pattern
    row = _row("Billing: refund, sheet", shared=True)
    write_pattern(row, _state(["invoice vat wrong", "invoice vat again", "vat invoice late"], wordless=1), tx)
    assert row.title in ("Billing: invoice, vat", "Billing: vat, invoice")


def test_erasure_after_retention_titles_no_pattern_by_the_placeholder(digest_services) -> None:  # type: ignore[no-untyped-def]
    snag, engine = digest_services.snag, digest_services.engine
    people = [snag.person("slack", "T1", u) for u in ("A", "B", "C", "D")]
    for person in people:
        snag.handle_message(IncomingMessage(person, "refund forms are scanned twice by finance", "C1"))
    snag.handle_message(
        IncomingMessage(snag.person("slack", "T1", "E"), "nobody reads the retention policy text", "C1")
    )
    with Session(engine) as s:
        rows = s.exec(select(Report).order_by(Report.id)).all()
        assert len({r.pattern_id for r in rows[:4]}) == 1
        for r in rows[:3]:
            r.created_at = NOW - timedelta(days=400)
            s.add(r)
        s.commit()
        pattern_id = rows[0].pattern_id

    def counts() -> dict[str, int]:
        with Session(engine) as s:
            return dict(s.exec(select(TermCount.term, TermCount.docs)).all())  # type: ignore[arg-type]

    assert digest_services.repository.apply_retention(older_than=NOW - timedelta(days=365)) == 3
    known = counts()
    assert known["w:policy"] == 1 and known["#"] == 5
    assert snag.erase(people[0]) == 1  # A's one report, its text already removed
    after = counts()
    assert after["w:policy"] == 1 and after["w:retention"] == 1  # E's words are still counted
    assert after["#"] == 4
    title = _patterns(engine)[pattern_id].title.lower()
    assert not any(word in title for word in ("retention", "policy", "removed", "kept", "text"))
