"""A pattern's title never shows a reporter's own words: it takes words only from the reports as
leaders may read them (a sign-off is [name], as in quotes) and only words two or more people wrote.
An anonymity audit found "Till, jammed, printer, priya" in `top` (staff see it too), `pattern`,
digests and the export, while the quotes read [name]: one person had signed two reports "Priya"."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage, Reply
from bot.exporting import pattern_rows
from digests.engine import Engine, MemoryStore, PatternState, features_of, similarity
from digests.pattern_rows import TITLED
from store.models import Pattern
from tests.digests.conftest import NOW

OTHERS = ["The till printer jammed again on till 3", "Printer on till 5 jammed again"]


def _file(services, user: str, text: str) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    snag.handle_message(IncomingMessage(snag.person("slack", "T1", user), text, f"D-{user}", via="dm"))


def _top(services) -> Reply:  # type: ignore[no-untyped-def]
    """`top` the next day: the day's reports count from its midnight."""
    snag = services.snag
    today = snag.clock
    snag.clock = lambda: today() + timedelta(days=1)
    try:
        return snag.handle_message(IncomingMessage(snag.person("slack", "T1", "staff"), "top", "D-staff", via="dm"))
    finally:
        snag.clock = today


def _titles(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [p.title for p in s.exec(select(Pattern)).all()]


def _shown_titles(services) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles `top` and `export patterns` show (patterns of at least k people)."""
    headings = [s.heading for s in _top(services).sections if s.heading]
    person = services.snag.person("slack", "T1", "staff")
    exported = [r["title"] for r in pattern_rows(services.repository, person, k=3) if r["pattern"] != "other"]
    assert headings and exported, (headings, exported)
    return [*headings, *exported]


def test_one_persons_sign_off_never_titles_the_pattern(digest_services) -> None:  # type: ignore[no-untyped-def]
    digest_services.snag.clock = lambda: NOW
    _file(digest_services, "alice", "The till printer jammed again on till 2. Priya")
    _file(digest_services, "alice", "Till 4 printer jammed again. Thanks, Priya")
    for user, text in zip(("bob", "carol"), OTHERS, strict=True):
        _file(digest_services, user, text)
    for title in _shown_titles(digest_services):
        assert "printer" in title.lower() and "priya" not in title.lower(), title
    live = _titles(digest_services)
    digest_services.extras["grouper"].rebuild(platform="slack", tenant="T1")
    assert _titles(digest_services) == live


def test_two_people_who_sign_with_the_same_name_do_not_title_it_either(digest_services) -> None:  # type: ignore[no-untyped-def]
    """The words are read as leaders read them: two Priyas' sign-offs are [name] twice, not a word."""
    digest_services.snag.clock = lambda: NOW
    _file(digest_services, "alice", "The till printer jammed again on till 2. Thanks, Priya")
    _file(digest_services, "dave", "Till 4 printer jammed again. Thanks, Priya")
    for user, text in zip(("bob", "carol"), OTHERS, strict=True):
        _file(digest_services, user, text)
    for title in _shown_titles(digest_services):
        assert "priya" not in title.lower(), title


def test_a_word_one_person_repeats_is_not_in_the_title(digest_services) -> None:  # type: ignore[no-untyped-def]
    """However often one person writes a word (their kiosk, a nickname), it is theirs alone."""
    digest_services.snag.clock = lambda: NOW
    for n in (2, 4, 6):
        _file(digest_services, "alice", f"The zembla till printer jammed again on till {n}")
    for user, text in zip(("bob", "carol"), OTHERS, strict=True):
        _file(digest_services, user, text)
    for title in _shown_titles(digest_services):
        assert "printer" in title.lower() and "zembla" not in title.lower(), title


def test_a_title_made_before_gives_way_when_the_pattern_is_next_written(digest_services) -> None:  # type: ignore[no-untyped-def]
    """A stored title from before may hold one person's word: it stays until the pattern is written
    again (a report joins it, an edit, an erasure, a rebuild), which titles it by shared words."""
    digest_services.snag.clock = lambda: NOW
    _file(digest_services, "alice", "The till printer jammed again on till 2. Priya")
    _file(digest_services, "alice", "Till 4 printer jammed again. Thanks, Priya")
    for user, text in zip(("bob", "carol"), OTHERS, strict=True):
        _file(digest_services, user, text)
    with Session(digest_services.engine) as s:
        (row,) = s.exec(select(Pattern)).all()
        row.title = f"{row.title.split(':')[0]}: till, printer, priya"  # as the old rule made it
        row.terms = {k: v for k, v in row.terms.items() if not k.startswith(("_p:", TITLED))}
        s.add(row)
        s.commit()
    _file(digest_services, "erin", "till printer jammed again this morning")
    (title,) = _titles(digest_services)
    assert "priya" not in title.lower(), title
    digest_services.extras["grouper"].rebuild(platform="slack", tenant="T1")
    (title,) = _titles(digest_services)
    assert "printer" in title.lower() and "priya" not in title.lower(), title


def test_who_wrote_a_word_never_changes_grouping() -> None:
    """Titles read the scrubbed text and who wrote it; similarity reads neither."""
    text = "The till printer jammed again on till 2. Thanks, Priya"
    kw = {"stage": None, "kinds": (), "teams": (), "handoff": None, "created_at": NOW}
    plain = features_of(text, **kw)
    read = features_of(text, **kw, reporter="alice-key", read="The till printer jammed again on till 2. Thanks, [name]")
    assert (plain.words, plain.chars) == (read.words, read.chars)
    assert "priya" in plain.said and "priya" not in read.said
    state, other = PatternState(id=1, words={}, chars={}, n=0), PatternState(id=1, words={}, chars={}, n=0)
    state.add(plain)
    other.add(read)
    probe = features_of(OTHERS[0], **kw)
    params = Engine(MemoryStore()).params
    assert similarity(probe, state, params) == similarity(probe, other, params)
