"""Grouping quality (B-cubed F1 on the labelled set), near misses, file contract, rebuild consistency."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from digests.demo import DEMO_FILE
from digests.engine import Engine, MemoryStore, features_of
from digests.files import bcubed
from tests.digests.file_grouping import group_rows

ROWS = [json.loads(line) for line in DEMO_FILE.read_text(encoding="utf-8").splitlines()]


def test_bcubed_on_known_groupings() -> None:
    gold = ["a", "a", "b", "b"]
    assert bcubed([1, 1, 2, 2], gold) == (1.0, 1.0, 1.0)
    assert bcubed([1, 1, 1, 1], gold)[:2] == (0.5, 1.0)  # one big pattern: precision halves
    assert bcubed([1, 2, 3, 4], gold)[:2] == (1.0, 0.5)  # every report alone: recall halves


def _f1(rows: list[dict]) -> float:
    out = list(group_rows([{k: v for k, v in r.items() if k != "group"} for r in rows]))
    p, r, f1 = bcubed([o["pattern"] for o in out], [r["group"] for r in rows])
    print(f"\nB-cubed on {len(rows)} reports: precision {p:.3f} recall {r:.3f} F1 {f1:.3f}")
    return f1


def test_bcubed_on_the_held_out_half() -> None:
    # Weights were tuned on the even-numbered problems; the odd half was only measured (0.798).
    held_out = [r for r in ROWS if int(r["group"][1:]) % 2 == 1]
    assert _f1(held_out) >= 0.75


def test_bcubed_on_the_whole_set_is_printed() -> None:
    # The whole set is harder (twice the problems to confuse); measured 0.711, floor against regressions.
    assert _f1(ROWS) >= 0.65


def _features(text: str, stage: str, kinds: tuple[str, ...], teams: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return features_of(
        text, stage=stage, kinds=kinds, teams=teams, handoff=None, created_at=datetime(2026, 11, 2, tzinfo=UTC)
    )


def test_near_misses_stay_apart_and_rewordings_join() -> None:
    engine = Engine(MemoryStore())
    refunds = [
        "refund requests sit in the finance inbox for a week before anyone picks them up",
        "customers chasing refunds again, the finance inbox has refund requests from last week untouched",
        "refund emails to finance still not picked up after 6 days, customers ringing us",
    ]
    invoices = "invoices show the wrong VAT rate since the finance system update"
    ids = [engine.assign(_features(t, "billing", ("waiting",), ("finance",)))[0].id for t in refunds]
    other = engine.assign(_features(invoices, "billing", ("system_failure",), ("finance",)))[0].id
    assert len(set(ids)) == 1
    assert other != ids[0]


def test_different_stages_never_share_a_pattern() -> None:
    engine = Engine(MemoryStore())
    a = engine.assign(_features("survey photos missing from the job pack", "delivery", ("handoff",), ("operations",)))[
        0
    ]
    b = engine.assign(
        _features("survey photos missing from the job pack", "assessment", ("handoff",), ("operations",))
    )[0]
    assert a.id != b.id


def test_group_command_adds_a_pattern_to_every_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from bot.cli import _register_commands, app

    source = tmp_path / "in.jsonl"
    lines = [{k: v for k, v in r.items() if k != "group"} for r in ROWS[:40]]
    source.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    _register_commands()
    result = CliRunner().invoke(app, ["group", str(source)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == [r["id"] for r in lines]
    assert all(isinstance(o["pattern"], int) for o in out)
    assert all(o["text"] == r["text"] for o, r in zip(out, lines, strict=True))


def test_group_command_scores_itself_against_the_files_groups(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from bot.cli import _register_commands, app

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    _register_commands()
    result = CliRunner().invoke(app, ["group", "--score", str(source)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    p, r, f1 = bcubed([o["pattern"] for o in out], [o["group"] for o in out])
    assert f"precision {p:.3f}, recall {r:.3f}, F1 {f1:.3f} (300 reports," in result.stderr
    assert f"{len({o['group'] for o in out})} groups)" in result.stderr


def test_untagged_lines_are_grouped_on_their_words() -> None:
    out = list(
        group_rows(
            [
                {"text": "refunds stuck in finance for weeks"},
                {"text": "refunds stuck in finance again for weeks"},
                {"text": "the van left the depot without the pallets"},
            ]
        )
    )
    assert out[0]["pattern"] == out[1]["pattern"] != out[2]["pattern"]


def _bare(row: dict) -> dict:
    return {"id": row["id"], "text": row["text"], "created_at": row["created_at"]}


def _untagged_f1(rows: list[dict], label: str) -> float:
    out = list(group_rows([_bare(r) for r in rows]))
    p, r, f1 = bcubed([o["pattern"] for o in out], [row["group"] for row in rows])
    print(f"\n{label}: untagged B-cubed P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    return f1


def test_untagged_grouping_quality_is_measured() -> None:
    # Measured 0.554 (P 0.661, R 0.476): a regression floor, well below the 0.75 target.
    assert _untagged_f1(ROWS, "all 300") >= 0.53


def test_a_word_in_every_report_of_a_file_does_not_lump_them() -> None:
    # A company or product name the shipped corpus never saw, said in every report: with the
    # shipped IDF alone it weighs as a rare word and pulls everything into one pattern (F1 0.08);
    # counting the organisation's own reports makes it as common as it is (measured 0.523).
    rows = [{**r, "text": f"zorvex {r['text']}"} for r in ROWS]
    assert _untagged_f1(rows, "every report says 'zorvex'") >= 0.50


HELD_OUT = DEMO_FILE.parent.parent.parent / "classifier/data/heldout/fleet_leasing.jsonl"


@pytest.mark.skipif(not HELD_OUT.exists(), reason="no independent held-out set")
def test_untagged_grouping_on_the_independent_held_out_set() -> None:
    # Another industry, written by someone who never saw this data and never tuned on:
    # the honest estimate. Measured 0.540 (P 0.717, R 0.433); target 0.75 not met.
    rows = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert _untagged_f1(rows, "held-out fleet leasing") >= 0.50


@pytest.mark.parametrize("count", [120])
def test_incremental_grouping_equals_a_rebuild(digest_services, count: int) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from sqlmodel import select

    from bot.domain import Role
    from digests.demo import _rows, _tags
    from store.db import session_scope
    from store.models import Report

    services = digest_services
    person = replace(services.snag.person("console", "local", "admin"), role=Role.ADMIN)
    rows = _rows(datetime(2026, 11, 25, tzinfo=UTC))[:count]
    items = [(r["text"], r["when"], f"key-{r['reporter']}", f"t:{r['id']}", _tags(r)) for r in rows]
    records = services.repository.import_reports(person=person, items=items)
    grouper = services.extras["grouper"]
    for record in records:  # one by one, as reports arrive
        grouper.assign(record)

    def partition() -> set[frozenset[int]]:
        with session_scope(services.engine) as session:
            groups: dict[int, set[int]] = defaultdict(set)
            for report in session.exec(select(Report)).all():
                groups[report.pattern_id].add(report.id)  # type: ignore[index,arg-type]
            return {frozenset(v) for v in groups.values()}

    before = partition()
    grouper.rebuild(platform="console", tenant="local")
    assert partition() == before
    assert 10 < len(before) < count


def test_the_word_index_ranks_like_summing_each_patterns_shared_weights() -> None:
    import random

    from digests.index import MAX_POSTINGS, WordIndex

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(60)]
    index, words_of = WordIndex(), {}
    for pid in rng.sample(range(1, 10_000), 400):  # ids sparse and out of order, as in a shared database
        words_of[pid] = set(rng.sample(vocab, rng.randint(1, 12)))
        index.update(pid, (), words_of[pid])
    for pid in rng.sample(sorted(words_of), 100):  # centroids that changed: words dropped and gained
        new = set(rng.sample(vocab, rng.randint(1, 12)))
        index.update(pid, words_of[pid], new)
        words_of[pid] = new
    assert len(index) == 400
    for _ in range(50):
        query = {w: rng.choice([0.25, 0.5, 1.0]) for w in rng.sample(vocab, rng.randint(1, 8))}  # many ties
        limit = rng.choice([1, 5, 40])
        scores: dict[int, float] = {}
        for term, weight in query.items():
            for pid, words in words_of.items():
                if term in words:
                    scores[pid] = scores.get(pid, 0.0) + weight
        expected = sorted(scores, key=lambda pid: (-scores[pid], pid))[:limit]
        assert index.top(query, limit) == expected
    assert MAX_POSTINGS > 400  # no term was skipped as too common above


def test_a_handoff_that_is_not_an_object_is_ignored_not_fatal() -> None:
    rows = [
        {"text": "refunds stuck in finance for weeks", "kinds": ["waiting"], "handoff": "finance"},
        {"text": "refunds stuck in finance again for weeks", "kinds": ["waiting"], "handoff": None},
    ]
    out = list(group_rows(rows))
    assert [o["handoff"] for o in out] == ["finance", None]  # carried through as written
    assert out[0]["pattern"] == out[1]["pattern"]


def test_an_organisations_own_words_are_learnt_live_on_both_databases(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    # Every report names the organisation's product, a word the shipped tables never saw (so it
    # would weigh as the rarest of all and pull every report into one pattern). Live grouping
    # learns the word is everyday; a restart, a rebuild and `snag group` on a file agree with it.
    from dataclasses import replace

    from sqlmodel import select

    from bot.domain import Role
    from digests.demo import _rows, _tags
    from digests.features import DOCS
    from digests.grouper import SqlGrouper
    from store.db import session_scope
    from store.models import Report, TermCount
    from tests.digests.conftest import make_services

    services = make_services(tmp_path, db_url)
    person = replace(services.snag.person("console", "local", "admin"), role=Role.ADMIN)
    rows = _rows(datetime(2026, 11, 25, tzinfo=UTC))[:150]
    for row in rows:
        row["text"] += " (Zorvex)"
    items = [(r["text"], r["when"], f"key-{r['reporter']}", f"t:{r['id']}", _tags(r)) for r in rows]
    records = services.repository.import_reports(person=person, items=items)
    for record in records[:75]:
        services.extras["grouper"].assign(record)
    restarted = SqlGrouper(services.engine, services.taxonomy)  # a new process: the counts come from the database
    for record in records[75:]:
        restarted.assign(record)

    def partition() -> list[set[str]]:
        with session_scope(services.engine) as session:
            groups: dict[int, set[str]] = defaultdict(set)
            for report in session.exec(select(Report)).all():
                groups[report.pattern_id].add(report.text)  # type: ignore[index]
            return sorted(groups.values(), key=sorted)

    live = partition()
    by_text = {r["text"]: r["id"] for r in rows}
    pattern_of = {by_text[t]: n for n, group in enumerate(live) for t in group}
    _, _, f1 = bcubed([pattern_of[r["id"]] for r in rows], [r["group"] for r in rows])
    assert len(live) > 20 and f1 >= 0.6  # measured 0.75 (0.78 without it); shipped tables alone 0.31

    file_rows = [
        {"id": r["id"], "text": r["text"], "created_at": r["when"].isoformat()}
        | {k: r[k] for k in ("stage", "kinds", "teams", "handoff") if k in r}
        for r in rows
    ]
    grouped: dict[int, set[str]] = defaultdict(set)
    for out in group_rows(file_rows):
        grouped[out["pattern"]].add(out["text"])
    assert sorted(grouped.values(), key=sorted) == live  # a file is grouped as the bot groups

    with session_scope(services.engine) as session:
        counted = {t.term: t.docs for t in session.exec(select(TermCount)).all()}
    assert counted[DOCS] == 150 and counted["w:zorvex"] == 150
    restarted.rebuild(platform="console", tenant="local")
    assert partition() == live
    with session_scope(services.engine) as session:
        assert {t.term: t.docs for t in session.exec(select(TermCount)).all()} == counted

    zorvexers = {r["reporter"] for r in rows[:3]}
    gone = sum(1 for r in rows if r["reporter"] in zorvexers)
    for reporter in zorvexers:
        learnt = restarted.words_of(platform="console", tenant="local", reporter_key=f"key-{reporter}")
        assert learnt is not None
        restarted.forget(learnt)
    with session_scope(services.engine) as session:
        left = {t.term: t.docs for t in session.exec(select(TermCount)).all()}
    assert left[DOCS] == 150 - gone and left["w:zorvex"] == 150 - gone
    assert all(n > 0 for n in left.values())
    services.engine.dispose()


def test_a_second_process_catches_up_with_the_counts_the_first_one_made(digest_services) -> None:  # type: ignore[no-untyped-def]
    from collections import Counter
    from dataclasses import replace

    from bot.domain import Role
    from digests.demo import _rows, _tags
    from digests.features import DOCS
    from digests.grouper import RESYNC, SqlGrouper

    services = digest_services
    person = replace(services.snag.person("console", "local", "admin"), role=Role.ADMIN)
    rows = _rows(datetime(2026, 11, 25, tzinfo=UTC))[: RESYNC + 12]
    items = [(r["text"], r["when"], f"key-{r['reporter']}", f"t:{r['id']}", _tags(r)) for r in rows]
    records = services.repository.import_reports(person=person, items=items)
    first, second = SqlGrouper(services.engine, services.taxonomy), SqlGrouper(services.engine, services.taxonomy)
    second.assign(records[0])  # the second process starts and learns from one report
    for record in records[1 : RESYNC + 10]:  # then the first files many more
        first.assign(record)
    store = second._stores[("console", "local")]
    assert store.own is not None and store.own.docs == 1
    second.assign(records[RESYNC + 10])  # more than RESYNC behind: it reloads before weighing this one
    ahead = first._stores[("console", "local")].own
    assert ahead is not None and ahead.docs == RESYNC + 10
    assert store.own.docs == RESYNC + 11
    assert store.own.counts == ahead.counts + Counter(store.own.keys(records[RESYNC + 10].text))
    assert store.own.counts[DOCS] == RESYNC + 11


def test_a_rebuild_leaves_reports_reduced_by_retention_in_their_patterns(demo_services) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import func
    from sqlmodel import select

    from store.db import session_scope
    from store.models import PatternWeek, Report
    from store.privacy import RETAINED_TEXT, apply_retention
    from tests.digests.conftest import NOW

    def patterns() -> dict[int, int | None]:
        with session_scope(demo_services.engine) as session:
            return {r.id: r.pattern_id for r in session.exec(select(Report)).all()}  # type: ignore[misc]

    before = patterns()
    with session_scope(demo_services.engine) as session:
        reduced = apply_retention(session=session, older_than=NOW - timedelta(days=28))
        old = {r.id for r in session.exec(select(Report).where(Report.text == RETAINED_TEXT)).all()}
    assert 50 < reduced == len(old) < len(before)
    demo_services.extras["grouper"].rebuild(platform="console", tenant="local")
    after = patterns()
    # their identical placeholder text once pulled them all into a few patterns (39 of 140 stayed)
    assert all(after[rid] == before[rid] for rid in old) and len({after[rid] for rid in old}) > 10
    with session_scope(demo_services.engine) as session:
        weekly = session.exec(select(func.sum(PatternWeek.reports))).one()
    assert weekly == sum(1 for pid in after.values() if pid is not None)


def test_erasure_takes_a_persons_words_out_of_pattern_centroids_and_titles(digest_services) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from bot.domain import IncomingMessage
    from store.db import session_scope
    from store.models import Pattern

    snag = digest_services.snag
    gone, stays = snag.person("slack", "T1", "U1"), snag.person("slack", "T1", "U2")
    for person, text in [
        (gone, "quixbury invoices double charge the quixbury account every month"),
        (stays, "invoices double charge the account every month, finance rekey them"),
        (gone, "the zembla depot scanner drops every zembla parcel"),
    ]:
        snag.handle_message(IncomingMessage(person, text, "C1"))

    def patterns() -> list[Pattern]:
        with session_scope(digest_services.engine) as session:
            return list(session.exec(select(Pattern)).all())

    said = " ".join(p.title.lower() + " " + " ".join(p.terms) for p in patterns())
    assert "quixbury" in said and "zembla" in said
    assert snag.erase(gone) == 2
    after = patterns()
    said = " ".join(p.title.lower() + " " + " ".join(p.terms) for p in after)
    assert "quixbury" not in said and "zembla" not in said and "quixb" not in said
    assert any("w:rekey" in p.terms for p in after)  # the other person's words are still grouped on
    assert [p.report_count for p in after if p.title == "Reports erased on request"] == [0]


def test_a_pattern_title_does_not_repeat_its_stage() -> None:
    from digests.engine import PatternState
    from digests.titles import title_for

    state = PatternState(id=1, words={}, chars={}, n=0)
    for text in ["billing run sent the invoice twice", "invoice billed twice again", "billing invoice doubled"]:
        state.add(_features(text, "billing", ("duplicate_entry",), ("finance",)))
    title = title_for(state, "Billing")
    assert title.startswith("Billing: invoice") and "bill" not in title.split(":", 1)[1]
    delivered = PatternState(id=2, words={}, chars={}, n=0)
    for _ in range(2):  # two people's reports: a title shows only words two people wrote
        delivered.add(_features("parcel delivered to the wrong depot", "delivery", ("handoff",), ()))
    assert "deliver" not in title_for(delivered, "Delivery").split(":", 1)[1]
    app = PatternState(id=3, words={}, chars={}, n=0)
    for _ in range(2):
        app.add(_features("the app logs people out mid application", "application", ("system_failure",), ()))
    assert "app" in title_for(app, "Application").split(":", 1)[1].split(", ")
    decided = PatternState(id=4, words={}, chars={}, n=0)
    for _ in range(2):
        decided.add(_features("approval came back approved after weeks", "assessment", ("waiting",), ()))
    assert len({"approved", "approval"} & set(title_for(decided, "Assessment").split(": ", 1)[1].split(", "))) == 1


def test_an_erasure_that_fails_leaves_grouping_as_it_was_and_one_that_works_forgets_once(digest_services) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest
    from sqlmodel import select

    from bot.domain import IncomingMessage
    from store.db import session_scope
    from store.models import TermCount

    snag = digest_services.snag
    gone, stays = snag.person("slack", "T1", "U1"), snag.person("slack", "T1", "U2")
    snag.handle_message(IncomingMessage(gone, "quixbury invoices double charge the account", "C1"))
    snag.handle_message(IncomingMessage(stays, "invoices double charge the account again", "C1"))

    def counted() -> dict[str, int]:
        with session_scope(digest_services.engine) as session:
            return {t.term: t.docs for t in session.exec(select(TermCount)).all()}

    before = counted()
    real = snag.repository.erase_reporter

    def down(**_kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    snag.repository.erase_reporter = down
    with _pytest.raises(RuntimeError):
        snag.erase(gone)
    assert counted() == before  # nothing erased, nothing forgotten
    snag.repository.erase_reporter = real
    assert snag.erase(gone) == 1
    after = counted()
    assert after["#"] == before["#"] - 1 == 1 and "w:quixbury" not in after
    assert after["w:account"] == before["w:account"] - 1 == 1


def test_warming_indexes_every_tenant_s_patterns_before_the_first_report(demo_services) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from digests.grouper import SqlGrouper
    from store.db import session_scope
    from store.models import Pattern

    with session_scope(demo_services.engine) as session:
        worded = sum(1 for terms in session.exec(select(Pattern.terms)).all() if any(k.startswith("w:") for k in terms))
    grouper = SqlGrouper(demo_services.engine, demo_services.taxonomy)
    assert worded > 30
    assert grouper.warm() == worded
    assert grouper.warm() == worded  # a second call reads only what is new: nothing


def test_a_pattern_title_leaves_out_words_that_name_nothing() -> None:
    """ "Offboarding: cancelled, us, kit, crew" and "Assessment: decision, see, approved" (a leader's audit)."""
    from digests.engine import PatternState
    from digests.titles import title_for

    state = PatternState(id=1, words={}, chars={}, n=0)
    for text in [
        "leavers kit never comes back to us, see the cancelled crew list",
        "crew leavers kit still with us, see cancelled",
        "cancelled crew kit not returned to us see",
    ]:
        state.add(_features(text, "offboarding", ("waiting",), ()))
    words = title_for(state, "Offboarding").split(": ", 1)[1].split(", ")
    assert "kit" in words and "crew" in words
    assert not {"us", "see"} & set(words), words
