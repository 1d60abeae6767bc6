"""A pattern's title shows words its own reports wrote, not the word the shipped corpus wrote most
for the same stem ("pass" for a hospital's PAS, "port" for porters, "statement" for state), nor a
bare stem ("unacknowledg"). The words are kept in Pattern.terms for the heaviest stems only, grouping
never reads them, and an erasure takes the erased reports' words out of them too. A hospital's
audit found these."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from digests.engine import FORMS, SURFACE, TITLE_STEMS, Engine, MemoryStore, PatternState, features_of, similarity
from digests.features import OwnIdf, written
from digests.titles import title_for
from store.models import Pattern, Report
from store.privacy import RETAINED_TEXT, apply_retention
from tests.digests.conftest import NOW

AT = datetime(2026, 11, 2, tzinfo=UTC)
PAS = [
    "PAS is down again",
    "the PAS will not load referrals",
    "PAS froze and referrals were lost",
    "GP referrals stuck because PAS is down",
]
PORTERS = [
    "porters never come for X-ray patients",
    "no porters for the x-ray list again",
    "porters late so x-ray patients wait",
]
STATE = [
    "unacknowledged referrals pile up, look at the state of the inbox",
    "unacknowledged referrals again, nobody checks the state of it",
    "the state of unacknowledged referrals is bad",
]


def _state(texts: list[str], stage: str | None = None) -> PatternState:
    """The texts grouped into one pattern, read back from its row after each, as live grouping does."""
    terms: dict[str, float] = {}
    for text in texts:
        state = PatternState.from_terms(1, terms)
        state.add(features_of(text, stage=stage, kinds=(), teams=(), handoff=None, created_at=AT))
        terms = state.to_terms()
    return PatternState.from_terms(1, terms)


def _words(title: str) -> list[str]:
    return title.split(": ", 1)[-1].lower().split(", ")


def test_a_title_shows_the_words_the_pattern_s_reports_wrote() -> None:
    pas = _words(title_for(_state(PAS, "referral"), "Referral"))
    assert "pas" in pas and "pass" not in pas, pas
    porters = _words(title_for(_state(PORTERS)))
    assert "porters" in porters and "port" not in porters, porters
    state = _words(title_for(_state(STATE, "referral"), "Referral"))
    assert "state" in state and "statement" not in state, state
    assert "unacknowledged" in state and "unacknowledg" not in state, state


def test_the_word_most_of_its_reports_wrote_wins_and_a_tie_is_decided_the_same_way_every_time() -> None:
    texts = ["porter late for x-ray", "porters late for x-ray", "porters late again for x-ray"]
    assert "porters" in _words(title_for(_state(texts)))
    for tied in (
        ["porters late for x-ray", "porter late for x-ray"],
        ["porter late for x-ray", "porters late for x-ray"],
    ):
        assert _state(tied).surface("port") == "porter"  # as many wrote each: the shorter


def test_the_words_kept_are_few_and_grouping_never_reads_them() -> None:
    texts = [f"ward {i} porters wait for x-ray number {i} with trolley{i % 7} and chair{i % 11}" for i in range(200)]
    state = _state(texts)
    kept = [k for k in state.to_terms() if k.startswith(SURFACE)]
    assert 0 < len(kept) <= TITLE_STEMS * FORMS
    assert set(state.surfaces) <= set(state.words) and all(len(f) <= FORMS for f in state.surfaces.values())
    bare = PatternState.from_terms(1, {k: v for k, v in state.to_terms().items() if not k.startswith(SURFACE)})
    assert (bare.words, bare.chars, bare.tags, bare.n) == (state.words, state.chars, state.tags, state.n)
    report = features_of(PORTERS[0], stage=None, kinds=(), teams=(), handoff=None, created_at=AT)
    assert similarity(report, bare, Engine(MemoryStore()).params) == similarity(
        report, state, Engine(MemoryStore()).params
    )


def test_a_pattern_grouped_before_its_words_were_kept_titles_by_the_shipped_words_until_reports_bring_its_own() -> None:
    old = _state(["invoices sent twice to the wrong ward", "invoices sent twice again", "invoices twice, wrong ward"])
    terms = {k: v for k, v in old.to_terms().items() if not k.startswith(SURFACE)}  # as a row written before
    before = PatternState.from_terms(1, terms)
    assert "invoices" in _words(title_for(before)) and "invoic" not in _words(title_for(before))  # the shipped table
    for _ in range(2):  # two people write it: a title shows only words two people wrote
        before.add(features_of("porters porters invoices", stage=None, kinds=(), teams=(), handoff=None, created_at=AT))
    words = _words(title_for(before))
    assert "invoices" in words and "porters" in words and "port" not in words, words


def test_live_grouping_and_a_rebuild_title_a_pattern_alike_by_its_own_words(digest_services) -> None:  # type: ignore[no-untyped-def]
    snag, engine = digest_services.snag, digest_services.engine
    texts = [*PAS, *PORTERS]
    for n, text in enumerate(texts):
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", f"U{n}"), text, "C1"))

    def rows() -> dict[int | None, tuple[str, dict[str, float]]]:
        with Session(engine) as s:
            return {p.id: (p.title, p.terms) for p in s.exec(select(Pattern)).all()}

    live = rows()
    assert any("pas" in _words(title) and "pass" not in _words(title) for title, _ in live.values()), live
    digest_services.extras["grouper"].rebuild(platform="slack", tenant="T1")
    assert rows() == live
    # the same history through the engine in memory (the path `snag group FILE` takes) keeps the same words
    memory, own = MemoryStore(), OwnIdf()
    with Session(engine) as s:
        reports = s.exec(select(Report).order_by(Report.created_at, Report.id)).all()  # type: ignore[arg-type]
        for report in reports:
            own.add(report.text)
            tags = (report.stage, report.kinds or (), report.teams or ())
            handoff = (report.handoff_from, report.handoff_to) if report.handoff_from or report.handoff_to else None
            Engine(memory).assign(
                features_of(
                    report.text,
                    stage=tags[0],
                    kinds=tags[1],
                    teams=tags[2],
                    handoff=handoff,
                    created_at=report.created_at,
                    idf=own.tables,
                )
            )
    assert sorted(json.dumps(s.surfaces, sort_keys=True) for s in memory.patterns.values()) == sorted(
        json.dumps(PatternState.from_terms(0, terms).surfaces, sort_keys=True) for _, terms in live.values()
    )


def _kept_words(engine) -> dict[int | None, set[str]]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {p.id: {k for k in p.terms if k.startswith(SURFACE)} for p in s.exec(select(Pattern)).all()}


def _erase_the_only_porter(digest_services, *, inline: int) -> None:  # type: ignore[no-untyped-def]
    snag, grouper = digest_services.snag, digest_services.extras["grouper"]
    grouper.inline = inline
    people = [snag.person("slack", "T1", u) for u in ("A", "B", "C")]
    texts = ["porters never come for x-ray patients", "porters late for the x-ray patients", "porter Dave late x-ray"]
    for person, text in zip(people, texts, strict=True):
        snag.handle_message(IncomingMessage(person, text, "C1"))
    (kept,) = _kept_words(digest_services.engine).values()
    assert f"{SURFACE}port:porter" in kept and f"{SURFACE}port:porters" in kept
    assert snag.erase(people[2]) == 1
    (kept,) = _kept_words(digest_services.engine).values()
    assert not [k for k in kept if k.endswith(":porter") or k.endswith(":dave")], kept
    grouper.settle()
    (kept,) = _kept_words(digest_services.engine).values()
    assert f"{SURFACE}port:porters" in kept and not [k for k in kept if k.endswith((":porter", ":dave"))], kept


def test_erasing_the_only_report_that_wrote_a_word_takes_it_out_of_the_title_words(digest_services) -> None:  # type: ignore[no-untyped-def]
    _erase_the_only_porter(digest_services, inline=2_000)  # worked out again from the reports left at once


def test_an_erasure_left_to_the_background_takes_the_words_out_at_once_too(digest_services) -> None:  # type: ignore[no-untyped-def]
    _erase_the_only_porter(digest_services, inline=0)  # every word they used goes now, the rest later


def test_a_rebuild_after_retention_keeps_no_word_of_the_removed_texts(digest_services) -> None:  # type: ignore[no-untyped-def]
    snag, engine = digest_services.snag, digest_services.engine
    old = ["porters never turn up for x-ray", "porters never came, x-ray waited", "porters never there for x-ray"]
    for n, text in enumerate([*old, *PORTERS]):
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", f"U{n}"), text, "C1"))
    with Session(engine) as s:
        for report in s.exec(select(Report).order_by(Report.id)).all()[:3]:  # type: ignore[arg-type]
            report.created_at = NOW - timedelta(days=400)
            s.add(report)
        s.commit()
        assert apply_retention(session=s, older_than=NOW - timedelta(days=365)) == 3
        s.commit()
    digest_services.extras["grouper"].rebuild(platform="slack", tenant="T1")
    with Session(engine) as s:
        said = {
            f"{SURFACE}{st}:{w}"
            for r in s.exec(select(Report)).all()
            if r.text != RETAINED_TEXT
            for st, w in written(r.text)
        }
        rows = s.exec(select(Pattern)).all()
    kept = {k for p in rows for k in p.terms if k.startswith(SURFACE)}
    assert kept and kept <= said, kept - said
    assert not [k for k in kept if k.endswith((":turn", ":came", ":waited"))]
    (row,) = rows  # half its texts gone: it keeps the title they made (titles.title_for)
    assert "porters" in _words(row.title), row.title
