"""Search on SQLite and the real PostgreSQL: each word starts a word of the text (a prefix finds
plurals, never the inside of another word), the count is of every match, and a search with more
candidates than it checks says that its count is a floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Person, Platform
from store import reports as verbs
from store.repository import SqlRepository

ALICE = Person(Platform.SLACK, "T1", "U1")
BOB = Person(Platform.SLACK, "T2", "U2")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEXTS = (
    "Refunds sit in the finance inbox",  # 0
    "the refund form is scanned twice",  # 1
    "'where is my certificate' calls every day",  # 2
    "an authenticator code with no signal",  # 3
    "the cat flap order was lost",  # 4
    "e-mail REFUND-requests bounce; 100% of them",  # 5
    "nonrefundable deposits confuse people",  # 6
    "Ärger mit der Rückerstattung",  # 7
)


def _fill(repo: SqlRepository) -> list[int]:
    ids = []
    for n, text in enumerate(TEXTS):
        record, _ = repo.add_report(
            person=ALICE, reporter_key="k1", text=text, channel="C1", created_at=NOW - timedelta(hours=n)
        )
        ids.append(record.id)
    repo.add_report(person=BOB, reporter_key="k2", text="refund in another tenant", channel="C1", created_at=NOW)
    return ids


@pytest.mark.parametrize(
    ("words", "found"),
    [
        (("refund",), [0, 1, 5]),  # "Refunds", "refund", "REFUND-requests"; not "nonrefundable"
        (("cat",), [4]),  # not "certificate" or "authenticator"
        (("certif",), [2]),
        (("refund", "scanned"), [1]),
        (("100%",), [5]),
        (("mail",), [5]),  # "e-mail": a hyphen starts a word
        (("rückerstattung",), [7]),
        (("cat", "refund"), []),
    ],
)
def test_words_start_words_of_the_text(engine, words: tuple[str, ...], found: list[int]) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    ids = _fill(repo)
    assert [r.id for r in repo.list_reports(person=ALICE, words=words, limit=10)] == [ids[i] for i in found]
    assert repo.count_reports(person=ALICE, words=words) == (len(found), False)


def test_the_count_is_of_every_match_not_of_those_shown(engine) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    ids = _fill(repo)
    assert [r.id for r in repo.list_reports(person=ALICE, words=("refund",), limit=2)] == [ids[0], ids[1]]
    assert repo.count_reports(person=ALICE, words=("refund",)) == (3, False)
    assert repo.count_reports(person=Person(Platform.SLACK, "T-none", "U9"), words=("refund",)) == (0, False)


def test_too_many_candidates_are_not_all_checked_and_the_count_says_so(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    ids = _fill(repo)
    assert repo.count_reports(person=ALICE, words=("refund",)) == (3, False)
    # "refund" is inside texts 0, 1, 5 and 6 (newest first); with room to check only two, #5 is never read
    monkeypatch.setattr(verbs, "SEARCH_CANDIDATES", 2)
    assert repo.count_reports(person=ALICE, words=("refund",)) == (2, True)
    assert [r.id for r in repo.list_reports(person=ALICE, words=("refund",), limit=10)] == [ids[0], ids[1]]


@pytest.mark.parametrize("words", [("refund",), ("refund", "finance"), ("cat",), ("rückerstattung",)])
def test_search_counted_agrees_with_the_list_and_the_count_in_one_scan(engine, words) -> None:  # type: ignore[no-untyped-def]
    """`search` ran the LIKE scan twice for a full list (once to list, once to count): at 1M reports
    a common word took 1.6-1.8 s on PostgreSQL."""
    from sqlalchemy import event

    repo = SqlRepository(engine)
    _fill(repo)
    listed = [r.id for r in repo.list_reports(person=ALICE, words=words, limit=2)]
    counted = repo.count_reports(person=ALICE, words=words)
    scans: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "LIKE" in statement.upper():
            scans.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        records, matched, capped = repo.search_counted(person=ALICE, words=words, limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [r.id for r in records] == listed and (matched, capped) == counted
    assert len(scans) == 1


def test_search_counted_says_when_the_candidates_were_too_many(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = SqlRepository(engine)
    _fill(repo)
    monkeypatch.setattr(verbs, "SEARCH_CANDIDATES", 2)
    _, matched, capped = repo.search_counted(person=ALICE, words=("refund",))
    assert (matched, capped) == (2, True)
    assert repo.search_counted(person=Person(Platform.SLACK, "T-none", "U9"), words=("refund",)) == ([], 0, False)
