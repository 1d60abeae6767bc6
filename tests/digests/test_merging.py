"""A manager merges one pattern into another (`merge 12 into 7`): one problem told through
different symptoms that grouping kept apart.

Every report of the first moves to the second, which is worked out again from them all (title,
counts, weekly counts, centroid) and keeps its owner and status; the first stays as a row marked
merged, leaves `top`, digests and exports, and `pattern <id>` says where it went. The word index,
here and in another process, groups the next such report into the merged pattern; a rebuild
keeps the merge; its reporters are told nothing now, and are told with the others on a change.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from digests.grouper import SqlGrouper
from store.conversations import save_reference
from store.db import session_scope
from store.models import Pattern, PatternWeek, Report
from tests.conftest import run_snag
from tests.digests.conftest import NOW, RecordingMessenger, make_services

# One problem (the surgery's prescriptions go missing), told through two symptoms.
PHONE = (
    "the pharmacy phone rings out every morning",
    "nobody answers the pharmacy phone in the morning",
    "pharmacy phone rings and rings each morning",
)
FAX = (
    "prescriptions faxed from the surgery never arrive",
    "faxed prescriptions from the surgery go missing",
    "the surgery fax of prescriptions never reaches us",
)
LATER = "the fax from the surgery with prescriptions never arrives"
WEEK = NOW - timedelta(days=7)  # in the digest's week, 16-22 Nov
TENANT = ("slack", "T1")


@pytest.fixture
def services(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = make_services(tmp_path)
    made.snag.roles = RolePolicy.from_lists([], ["slack:BOSS"])
    made.snag.clock = lambda: NOW
    yield made
    made.engine.dispose()


def say(services, user: str, text: str, at=NOW, platform: str = "slack") -> Reply:  # type: ignore[no-untyped-def]
    tenant = TENANT[1] if platform == "slack" else "local"
    person = services.snag.person(platform, tenant, user)
    message = IncomingMessage(person=person, text=text, channel=f"D-{user}", received_at=at)
    return services.snag.handle_message(message)


def two_patterns(services, platform: str = "slack") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Three people report each symptom in the digest's week: the phone's pattern, the fax's."""
    for i, text in enumerate(PHONE):
        assert say(services, f"P{i}", text, WEEK + timedelta(minutes=i), platform).kind == "receipt"
    for i, text in enumerate(FAX):
        assert say(services, f"F{i}", text, WEEK + timedelta(hours=1, minutes=i), platform).kind == "receipt"
    found = members(services)
    phone, fax = sorted(set(found.values()))
    assert len(found) == 6 and list(found.values()).count(phone) == 3
    return phone, fax


def members(services) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return {rid: pid for rid, pid in session.exec(select(Report.id, Report.pattern_id)).all()}  # type: ignore[misc]


def row(services, pid: int) -> Pattern:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        found = session.get(Pattern, pid)
        assert found is not None
        session.expunge(found)
        return found


def test_a_manager_merges_in_chat_and_the_merged_pattern_is_worked_out_again(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    titled = row(services, phone).title
    answer = say(services, "BOSS", f"merge #{fax} into #{phone}")
    merged = row(services, phone)
    assert answer.kind == "saved"
    assert f"Merged pattern #{fax} into #{phone}: 3 reports moved" in answer.title
    assert f"“{merged.title}”" in answer.title and merged.title != titled
    assert "F0" not in answer.title and "P0" not in answer.title  # nobody named
    assert set(members(services).values()) == {phone}
    assert merged.report_count == 6 and merged.terms.get("_n") == 6
    assert any(w in merged.title for w in ("prescriptions", "fax", "faxed", "surgery"))  # its words now too
    assert row(services, fax).merged_into == phone and row(services, fax).report_count == 0
    with session_scope(services.engine) as session:
        weeks = {(w.pattern_id, w.week): w.reports for w in session.exec(select(PatternWeek)).all()}
    assert list(weeks.values()) == [6] and {pid for pid, _ in weeks} == {phone}  # the weekly counts summed


@pytest.mark.parametrize(
    "typed", ["merge {fax} {phone}", "merge {fax} into {phone}", "Merge pattern #{fax} into #{phone}."]
)
def test_the_ways_of_typing_it(services, typed: str) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    assert say(services, "BOSS", typed.format(fax=fax, phone=phone)).kind == "saved"
    assert row(services, fax).merged_into == phone


def test_merges_that_cannot_be_are_refused_kindly_and_change_nothing(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    before = members(services)
    assert "There is no pattern #99" in say(services, "BOSS", f"merge 99 into {phone}").title
    assert "There is no pattern #99" in say(services, "BOSS", f"merge {fax} into 99").title
    assert "can't be merged into itself" in say(services, "BOSS", f"merge {fax} into {fax}").title
    staff = say(services, "F0", f"merge {fax} into {phone}")
    assert "for managers" in staff.title and staff.kind != "receipt"
    assert members(services) == before and row(services, fax).merged_into is None
    assert say(services, "BOSS", f"merge {fax} into {phone}").kind == "saved"
    again = say(services, "BOSS", f"merge {fax} into {phone}").title
    assert f"Pattern #{fax} was merged into #{phone} already" in again
    into = say(services, "BOSS", f"merge {phone} into {fax}").title
    assert f"Pattern #{fax} was merged into #{phone}" in into
    assert "set" in say(services, "BOSS", f"status {fax} resolved").title  # merged: set #phone's instead
    assert row(services, phone).status == "new"
    assert say(services, "F1", "merge the two rotas into one please").kind == "receipt"  # a sentence: a report


def test_merged_pattern_leaves_top_digest_and_export_and_pattern_says_where_it_went(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    say(services, "BOSS", f"merge {fax} into {phone}")
    top = say(services, "BOSS", "top 30d")
    headings = [s.heading or "" for s in top.sections]
    assert any(h.startswith(f"#{phone} ") for h in headings)
    assert not any(h.startswith(f"#{fax} ") for h in headings)
    assert any("6 from 6 people" in str(s.fields) for s in top.sections)
    shown = say(services, "BOSS", f"pattern {fax}")
    assert shown.title.startswith(f"Pattern #{fax} was merged into #{phone}.")
    assert f"#{phone} " in (shown.sections[0].heading or "")
    digests = services.extras["digests"]
    digest = digests.build(platform=TENANT[0], tenant=TENANT[1], audience="all", now=NOW)
    listed = {line.id: line for part in (digest.new, digest.top) for line in part}
    assert fax not in listed and listed[phone].this_week == 6 and listed[phone].reporters == 6
    person = services.snag.person("slack", TENANT[1], "BOSS")
    exported = services.snag.repository.list_patterns(person=person)
    assert [p.id for p in exported] == [phone] and exported[0].report_count == 6


def test_the_next_report_of_either_symptom_joins_the_merged_pattern(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    say(services, "BOSS", f"merge {fax} into {phone}")
    assert say(services, "N1", LATER, NOW).kind == "receipt"
    assert members(services)[max(members(services))] == phone
    assert row(services, phone).report_count == 7


def test_another_processs_word_index_is_brought_up_to_date_when_it_meets_the_merged_pattern(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    other = SqlGrouper(services.engine, services.taxonomy)  # `snag serve` elsewhere: its index built before
    assert other.warm() == 2
    services.extras["grouper"].merge(platform=TENANT[0], tenant=TENANT[1], source=fax, target=phone)
    services.snag.grouper = other
    assert say(services, "N1", LATER, NOW).kind == "receipt"
    assert members(services)[max(members(services))] == phone
    store = other._stores[TENANT]
    assert fax not in store.index.top({"prescript": 1.0, "surgeri": 1.0, "fax": 1.0}, 10)


def test_a_rebuild_keeps_the_merge(services, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    say(services, "BOSS", f"merge {fax} into {phone}")
    monkeypatch.setattr("digests.cli._services", lambda train=False: services)
    code, _, err = run_snag(monkeypatch, capsys, "group", "--rebuild", "--platform", "slack", "--tenant", "T1")
    assert code == 0, err
    assert set(members(services).values()) == {phone}  # the two symptoms were not split apart again
    assert row(services, phone).report_count == 6
    assert row(services, fax).merged_into == phone  # kept, still marked
    assert "into 1 pattern(s)" in err


def test_merging_from_a_shell(services, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    with session_scope(services.engine) as session:
        found = session.get(Pattern, fax)
        assert found is not None
        found.owner = "Dana Lee"
    monkeypatch.setattr("digests.cli._services", lambda train=False: services)
    code, out, err = run_snag(
        monkeypatch, capsys, "pattern", "merge", str(fax), str(phone), "--tenant", "T1", "--platform", "slack"
    )
    assert code == 0, err
    assert f"Merged pattern #{fax} into #{phone}: 3 reports moved" in out
    assert f"snag pattern set {phone} --owner 'Dana Lee'" in err  # the target has no owner: suggested
    assert row(services, fax).merged_into == phone and row(services, phone).owner is None
    code, _, err = run_snag(
        monkeypatch, capsys, "pattern", "merge", str(fax), str(phone), "--tenant", "T1", "--platform", "slack"
    )
    assert code == 2 and "already" in err


def test_the_target_keeps_its_owner_and_status_and_the_answer_suggests_the_sources_owner(services) -> None:  # type: ignore[no-untyped-def]
    phone, fax = two_patterns(services)
    assert say(services, "BOSS", f"own {fax} Dana Lee").kind == "saved"
    assert say(services, "BOSS", f"status {phone} in progress").kind == "saved"
    answer = say(services, "BOSS", f"merge {fax} into {phone}")
    assert f"`own {phone} Dana Lee`" in " ".join(answer.notices)
    merged = row(services, phone)
    assert merged.owner is None and merged.status == "in_progress"


def test_reporters_hear_nothing_at_the_merge_and_all_hear_of_the_next_change(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    messenger = RecordingMessenger()
    services.extras["messengers"] = {"console": messenger}
    try:
        phone, fax = two_patterns(services, platform="console")
        with session_scope(services.engine) as session:
            for user in [f"P{i}" for i in range(3)] + [f"F{i}" for i in range(3)]:
                person = services.snag.person("console", "local", user)
                save_reference(
                    session=session,
                    platform="console",
                    tenant="local",
                    conversation_id=f"D-{user}",
                    reference={},
                    reporter_key=services.snag.key_of(person),
                )
        assert say(services, "admin", f"merge {fax} into {phone}", platform="console").kind == "saved"
        assert messenger.sent == []
        answer = say(services, "admin", f"status {phone} resolved", platform="console")
        assert "Told 6 reporters" in answer.title
        told = sorted(destination for _, _, destination, _ in messenger.sent)
        assert told == sorted(f"D-{u}" for u in ("P0", "P1", "P2", "F0", "F1", "F2"))
        update = messenger.sent[0][3]
        assert "5 other people reported the same problem" in str(update.sections)
    finally:
        services.engine.dispose()


def test_alerts_count_the_merged_pattern_as_one(tmp_path: Path) -> None:
    """Three reports of each symptom cross no threshold of 5; merged, the six do, as one pattern."""
    from store.models import Alert
    from tests.digests.conftest import check_alerts_now, subscribe_console

    services = make_services(tmp_path)
    try:
        subscribe_console(services, "C-alerts")
        phone, fax = two_patterns(services, platform="console")
        messenger = RecordingMessenger()
        assert check_alerts_now(services, messenger, WEEK + timedelta(hours=2)) == 0
        assert say(services, "admin", f"merge {fax} into {phone}", platform="console").kind == "saved"
        assert check_alerts_now(services, messenger, WEEK + timedelta(hours=3)) == 1
        with session_scope(services.engine) as session:
            assert session.exec(select(Alert.pattern_id)).all() == [phone]
        assert "6 reports this week" in str(messenger.sent[0][3])
    finally:
        services.engine.dispose()
