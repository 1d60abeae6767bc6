"""`snag relabel`: what was stored under a renamed team or a removed stage follows the taxonomy, on
SQLite and PostgreSQL; labels the taxonomy no longer has are warned of at start and on `reload`,
digests of an audience that is gone are given up at once, and the fix-tags form, `stats` and
`pattern` cope with such labels."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.domain import ActionEvent, IncomingMessage, Reply
from bot.roles import RolePolicy
from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from store.models import Alert, Correction, DigestRun, Pattern, Report, Subscription
from tests.digests.conftest import make_services
from tests.ops.conftest import Snag

OLD, NEW, ALIAS = "finance", "money", "accounts"  # the team renamed; an alias it keeps
GONE = "offboarding"  # the stage removed
KEY = "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E="


def edited_taxonomy(tmp_path: Path) -> Path:
    """The shipped taxonomy with team finance renamed money (its alias `accounts` kept, `finance`
    no longer a name of it) and stage offboarding removed."""
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    renamed = text.replace(
        "  - label: finance\n    aliases: [finance, finance team, ", "  - label: money\n    aliases: ["
    )
    assert renamed != text
    start = renamed.index(f"  - label: {GONE}\n    description: leaving")
    edited = renamed[:start] + renamed[renamed.index("\nkinds:", start) + 1 :]
    path = tmp_path / "taxonomy.yml"
    path.write_text(edited, encoding="utf-8")
    return path


@dataclass
class OldDatabase:
    url: str
    taxonomy: Path  # the edited one
    corrected: int  # the report a person corrected to stage offboarding, team finance
    team_subscription: int
    stage_subscription: int


def _say(services: Any, person: Any, text: str) -> Reply:
    reply: Reply = services.snag.handle_message(IncomingMessage(person, text, "D1"))
    return reply


@pytest.fixture
def old_db(tmp_path: Path, db_url: str) -> OldDatabase:
    """The demo, a correction, two subscriptions and a digest run, all made under the shipped taxonomy."""
    from digests.demo import load_demo
    from digests.subscriptions import claim_run, finish_run, run_key, subscribe
    from store.db import session_scope

    services = make_services(tmp_path, db_url)
    load_demo(services)
    person = services.snag.person("console", "local", "u1")
    filed = _say(services, person, "refund requests sit in the finance inbox for a week")
    assert filed.report_id is not None
    values = {"stage": GONE, "kinds": ["waiting"], "teams": [OLD], "handoff_from": "support", "handoff_to": OLD}
    services.snag.handle_action(ActionEvent(person, filed.report_id, "correct", values=values))
    ids: list[int] = []
    with session_scope(services.engine) as session:
        for audience, channel in ((f"team:{OLD}", "C1"), (f"stage:{GONE}", "C2")):
            sub = subscribe(
                session=session,
                platform="console",
                tenant="local",
                audience=audience,
                destination=channel,
                cron="0 9 * * mon",
                timezone="UTC",
            )
            assert sub.id is not None
            ids.append(sub.id)
            run = claim_run(
                session=session, tenant_id=sub.tenant_id, audience=run_key(sub), period="2026-W40", now=_now()
            )
            assert run is not None and run.id is not None
            finish_run(session=session, run_id=run.id, attempt=1, now=_now())
        first = _patterns(session)[0].id
        assert first is not None
        session.add(
            Alert(
                tenant_id=sub.tenant_id,
                pattern_id=first,
                audience=f"team:{OLD}#{ids[0]}",
                day="2026-11-20",
                reason="spike",
            )
        )
    services.engine.dispose()
    return OldDatabase(db_url, edited_taxonomy(tmp_path), filed.report_id, *ids)


def _now() -> datetime:
    return datetime.now(UTC)


def _patterns(session: Any) -> list[Pattern]:
    return list(session.exec(select(Pattern).order_by(col(Pattern.id))).all())


@pytest.fixture
def relabel(bare_snag: Snag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_db: OldDatabase) -> Snag:
    """`snag ARGS...` on the old database, with the edited taxonomy."""
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_DATABASE_URL", old_db.url)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.setenv("SNAG_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("SNAG_TAXONOMY", str(old_db.taxonomy))
    return bare_snag


def _edited_services(tmp_path: Path, old_db: OldDatabase) -> Any:
    services = make_services(tmp_path, old_db.url, taxonomy=old_db.taxonomy)
    services.snag.roles = RolePolicy.from_lists(["console:boss"], [])
    return services


def _stored(url: str) -> dict[str, Any]:
    """Every row the relabelling may touch, as plain values."""
    from store.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = {
                "reports": [
                    (r.id, r.stage, r.kinds, r.teams, r.handoff_from, r.handoff_to)
                    for r in session.exec(select(Report).order_by(col(Report.id))).all()
                ],
                "patterns": [(p.id, p.stage, p.kinds, p.teams, p.title, p.terms) for p in _patterns(session)],
                "corrections": [
                    (c.id, c.before, c.after)
                    for c in session.exec(select(Correction).order_by(col(Correction.id))).all()
                ],
                "subscriptions": [
                    (s.id, s.audience) for s in session.exec(select(Subscription).order_by(col(Subscription.id))).all()
                ],
                "runs": [(r.id, r.audience) for r in session.exec(select(DigestRun).order_by(col(DigestRun.id))).all()],
                "alerts": [(a.id, a.audience) for a in session.exec(select(Alert).order_by(col(Alert.id))).all()],
            }
    finally:
        engine.dispose()
    return rows


def _team_reports(stored: dict[str, Any], team: str) -> set[int]:
    return {rid for rid, _, _, teams, h_from, h_to in stored["reports"] if team in (*teams, h_from, h_to)}


def test_a_renamed_team_finds_its_history_again(relabel: Snag, old_db: OldDatabase, tmp_path: Path) -> None:
    before = _stored(old_db.url)
    finance = _team_reports(before, OLD)
    assert len(finance) > 40
    services = _edited_services(tmp_path, old_db)
    staff = services.snag.person("console", "local", "u1")
    assert "Nothing here" in _say(services, staff, f"top 30d team:{ALIAS}").plain_text()  # the audit's finding
    services.engine.dispose()

    code, out, err = relabel("relabel", "team", OLD, NEW)

    assert code == 0, err
    assert f"Relabelled team {OLD} to {NEW}, in one transaction:" in out
    assert f"  reports: {len(finance)}" in out and "  subscriptions: 1" in out and "  digest runs: 1" in out
    after = _stored(old_db.url)
    assert _team_reports(after, OLD) == set() and _team_reports(after, NEW) == finance
    for _, _, _, teams, _, terms in after["patterns"]:
        assert OLD not in teams and not any(
            OLD in key.split(":", 1)[1].split(">") for key in terms if key[:3] in ("xt:", "xh:")
        )
    assert any(f"xt:{NEW}" in terms for *_, terms in after["patterns"])
    assert any(key.startswith("xh:") and NEW in key for *_, terms in after["patterns"] for key in terms)
    corrected = [(b, a) for _, b, a in after["corrections"] if a["stage"] == GONE]
    assert corrected and corrected[0][1]["teams"] == [NEW] and corrected[0][1]["handoff"]["to"] == NEW
    assert (old_db.team_subscription, f"team:{NEW}") in after["subscriptions"]
    assert (old_db.stage_subscription, f"stage:{GONE}") in after["subscriptions"]  # another axis: left alone
    assert [a for _, a in after["runs"] if a.startswith("team:")] == [f"team:{NEW}#{old_db.team_subscription}"]
    assert [a for _, a in after["alerts"]] == [f"team:{NEW}#{old_db.team_subscription}"]

    services = _edited_services(tmp_path, old_db)
    top = _say(services, staff, f"top 30d team:{ALIAS}")
    assert "Nothing here" not in top.plain_text() and any(s.heading for s in top.sections)
    digest = services.extras["digests"].build(platform="console", tenant="local", audience=f"team:{ALIAS}", now=_now())
    assert digest.total > 0
    services.engine.dispose()


def test_a_removed_stage_is_cleared(relabel: Snag, old_db: OldDatabase) -> None:
    before = _stored(old_db.url)
    staged = {rid for rid, stage, *_ in before["reports"] if stage == GONE}
    assert len(staged) > 10 and any(title.startswith("Offboarding: ") for *_, title, _ in before["patterns"])

    code, out, err = relabel("relabel", "stage", GONE, "none")

    assert code == 0, err
    assert f"Relabelled stage {GONE} to no stage" in out and f"  reports: {len(staged)}" in out
    assert "removed: with no stage in its place" in out
    after = _stored(old_db.url)
    assert all(stage is None for rid, stage, *_ in after["reports"] if rid in staged)
    assert [r for r in after["reports"] if r[1] == GONE] == []
    for _, stage, _, _, title, terms in after["patterns"]:
        assert stage != GONE and f"xs:{GONE}" not in terms and not title.startswith("Offboarding:")
    assert all(
        a["stage"] is None for _, _, a in after["corrections"] if a.get("source") == "person" and a["teams"] == [OLD]
    )
    assert [s for s in after["subscriptions"] if s[0] == old_db.stage_subscription] == []


def test_a_dry_run_counts_and_changes_nothing(relabel: Snag, old_db: OldDatabase) -> None:
    before = _stored(old_db.url)

    code, out, err = relabel("relabel", "team", OLD, NEW, "--dry-run")

    assert code == 0, err
    assert f"Would relabel team {OLD} to {NEW} (nothing written):" in out
    assert _stored(old_db.url) == before
    code, real, err = relabel("relabel", "team", OLD, NEW)
    assert code == 0, err
    counted = [line for line in out.splitlines() if line.startswith("  ")]
    assert counted and counted == [line for line in real.splitlines() if line.startswith("  ")]
    assert relabel("relabel", "team", OLD, NEW)[1].startswith(f"Nothing is tagged team {OLD}")


def test_a_label_the_taxonomy_lacks_is_refused(relabel: Snag, old_db: OldDatabase) -> None:
    before = _stored(old_db.url)

    code, _, err = relabel("relabel", "team", OLD, "mony")
    assert code == 2 and "`mony` is not a team of the taxonomy" in err and f"did you mean {NEW}" in err
    code, _, err = relabel("relabel", "colour", OLD, NEW)
    assert code == 2 and "is not stage, kind or team" in err
    assert _stored(old_db.url) == before

    code, out, err = relabel("relabel", "team", OLD, "Money")  # a label's title names it too
    assert code == 0 and f"Relabelled team {OLD} to {NEW}" in out


def test_start_and_reload_say_which_labels_the_taxonomy_no_longer_has(
    relabel: Snag, old_db: OldDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="snag.app"):
        services = _edited_services(tmp_path, old_db)
    logged = [r.getMessage() for r in caplog.records if r.name == "snag.app"]
    team = next(line for line in logged if f"tagged team {OLD}," in line)
    assert team.endswith(
        f"which the taxonomy no longer has: `snag relabel team {OLD} <new label>`; "
        f"1 digest subscription to team:{OLD} cannot be sent until then (the latest week given up is sent "
        "again once relabelled)"
    )
    assert " reports and " in team and " patterns are tagged" in team
    stage = next(line for line in logged if f"tagged stage {GONE}," in line)
    assert f"`snag relabel stage {GONE} <new label>` (or `none` for no stage)" in stage
    services.engine.dispose()

    services = make_services(tmp_path, old_db.url)  # the shipped taxonomy: nothing to say
    services.snag.roles = RolePolicy.from_lists(["console:boss"], [])
    boss = services.snag.person("console", "local", "boss")
    services.settings = services.settings.model_copy(update={"taxonomy": old_db.taxonomy})
    reply = _say(services, boss, "reload")
    assert "Taxonomy reloaded" in reply.title
    assert [n for n in reply.notices if f"tagged team {OLD}," in n] == [team]
    assert any(f"tagged stage {GONE}," in n for n in reply.notices)
    services.engine.dispose()

    assert relabel("relabel", "team", OLD, NEW)[0] == 0
    assert relabel("relabel", "stage", GONE, "none")[0] == 0
    services = _edited_services(tmp_path, old_db)
    assert _say(services, boss, "reload").notices == ()
    services.engine.dispose()


def test_a_digest_of_a_removed_stage_is_given_up_at_once(old_db: OldDatabase, tmp_path: Path) -> None:
    from digests.delivery import DigestSender
    from digests.subscriptions import run_key
    from tests.digests.conftest import RecordingMessenger, run_async

    services = _edited_services(tmp_path, old_db)
    messenger = RecordingMessenger()
    sender = DigestSender(
        engine=services.engine,
        digests=services.extras["digests"],
        messengers={"console": messenger},
        runner=run_async,
        charts=False,
    )
    assert sender.send(old_db.stage_subscription, _now()) == "failed"
    with Session(services.engine) as session:
        sub = session.get(Subscription, old_db.stage_subscription)
        assert sub is not None
        runs = [
            r for r in session.exec(select(DigestRun)).all() if r.audience == run_key(sub) and r.period != "2026-W40"
        ]
    assert [(r.status, r.attempts) for r in runs] == [("gave_up", 1)]
    assert f"`{GONE}` is not a stage I know" in (runs[0].error or "")
    assert sender.send(old_db.stage_subscription, _now()) == "skipped" and messenger.sent == []
    services.engine.dispose()


def test_a_team_merged_into_another_adds_up_its_counts(relabel: Snag, old_db: OldDatabase, tmp_path: Path) -> None:
    from digests.subscriptions import subscribe
    from store.db import session_scope

    services = make_services(tmp_path, old_db.url)
    with session_scope(services.engine) as session:  # the finance digest's channel also gets support's
        subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="team:support",
            destination="C1",
            cron="0 9 * * mon",
            timezone="UTC",
        )
    services.engine.dispose()
    before = _stored(old_db.url)
    both = _team_reports(before, OLD) | _team_reports(before, "support")

    code, out, err = relabel("relabel", "team", OLD, "support")

    assert code == 0, err
    assert "subscription(s) to team:finance were removed: the same channel already gets the team:support digest" in out
    after = _stored(old_db.url)
    assert _team_reports(after, "support") == both
    assert all(len(set(teams)) == len(teams) for _, _, _, teams, _, _ in after["reports"])
    old_terms = {pid: terms for pid, *_, terms in before["patterns"]}
    merged = 0
    for pid, *_, terms in after["patterns"]:
        was = old_terms[pid]
        expected = was.get(f"xt:{OLD}", 0) + was.get("xt:support", 0)
        assert terms.get("xt:support", 0) == min(expected, was["_n"]) and f"xt:{OLD}" not in terms
        merged += f"xt:{OLD}" in was and "xt:support" in was
    assert merged  # some patterns held both keys
    assert [a for _, a in after["subscriptions"] if a.startswith("team:")] == ["team:support"]


def test_the_fix_form_preselects_only_labels_the_taxonomy_has(old_db: OldDatabase, tmp_path: Path) -> None:
    services = _edited_services(tmp_path, old_db)
    person = services.snag.person("console", "local", "u1")
    form = services.snag.handle_action(ActionEvent(person, old_db.corrected, "fix")).form
    assert form is not None
    selected = {c.action: c.selected for c in form.choices}
    assert selected == {"stage": (), "kinds": ("waiting",), "teams": (), "handoff_from": ("support",), "handoff_to": ()}
    unchanged = {c.action: list(c.selected) if c.multi else "".join(c.selected) for c in form.choices}
    sent = services.snag.handle_action(ActionEvent(person, old_db.corrected, "correct", values=unchanged))
    assert sent.kind == "receipt" and "corrected" in sent.title, sent.title
    services.engine.dispose()


def test_stats_and_pattern_mark_labels_the_taxonomy_lacks(old_db: OldDatabase, tmp_path: Path) -> None:
    services = _edited_services(tmp_path, old_db)
    person = services.snag.person("console", "local", "u1")
    stats = _say(services, person, "stats")
    labels = [name for section in stats.sections for name, _ in section.fields]
    assert f"{OLD} (not in the taxonomy)" in labels and f"{GONE} (not in the taxonomy)" in labels
    assert "Money" not in labels and "Finance" not in labels
    with Session(services.engine) as session:
        found = [p for p in _patterns(session) if OLD in p.teams and p.report_count >= 5]
    shown = _say(services, person, f"pattern {found[0].id}")
    assert f"{OLD} (not in the taxonomy)" in dict(shown.sections[0].fields)["Teams"], shown.plain_text()
    services.engine.dispose()


def test_a_patterns_tag_counts_follow_the_label() -> None:
    from digests.relabel import Relabel

    terms = {"w:refund": 1.2, "_n": 4.0, "xt:finance": 3.0, "xt:support": 2.0, "xh:support>finance": 2.0}
    terms |= {"xh:finance>": 1.0, "xh:support>money": 1.0, "xs:billing": 4.0}
    assert Relabel("team", "finance", "support").terms(terms) == {
        "w:refund": 1.2,
        "_n": 4.0,
        "xt:support": 4.0,  # 3 + 2, but the pattern has 4 reports: some had both
        "xh:support>support": 2.0,
        "xh:support>": 1.0,
        "xh:support>money": 1.0,
        "xs:billing": 4.0,
    }
    assert Relabel("team", "finance", "money").terms(terms)["xh:support>money"] == 3.0  # merged keys add up
    dropped = Relabel("team", "finance", None).terms(terms)
    assert "xt:finance" not in dropped and "xh:finance>" not in dropped and dropped["xh:support>"] == 2.0
    assert Relabel("stage", "billing", None).terms(terms).keys() == terms.keys() - {"xs:billing"}
    assert Relabel("kind", "finance", "x").terms(terms) == terms  # another axis's label of the same name


def test_the_warning_names_the_label_an_old_name_now_belongs_to() -> None:
    from bot.taxonomy import load_taxonomy
    from digests.stale_labels import Stale, warning

    shipped = load_taxonomy()
    assert warning(Stale("team", "accounts", patterns=1, reports=1, subscriptions=1), shipped) == (
        "1 report and 1 pattern are tagged team accounts, which the taxonomy no longer has (only a name of team "
        "finance now): `snag relabel team accounts finance`; until then 1 digest subscription to team:accounts "
        "gets the digest of team finance, which leaves them out"  # `accounts` names finance: its reports are not
    )
    assert warning(Stale("stage", "follow_up", subscriptions=2), shipped) == (
        "2 digest subscriptions are to stage:follow_up, which the taxonomy no longer has, so no digest can be "
        "built: `snag relabel stage follow_up <new label>` (or `none` for no stage)"
    )
    assert warning(Stale("kind", "rework", patterns=1, reports=1), shipped).startswith(
        "1 report and 1 pattern are tagged kind rework,"
    )
    assert warning(Stale("kind", "rework", patterns=1), shipped).startswith("1 pattern is tagged kind rework,")


def test_relabel_moves_the_labelled_files_kept_for_training(tmp_path: Path) -> None:
    """Lines naming the old label were skipped by every later training once the taxonomy renamed it."""
    import json

    from digests.relabel import Relabel, relabel_files

    folder = tmp_path / "labelled"
    folder.mkdir()
    rows = [
        {"id": 1, "text": "a", "stage": "billing", "kinds": ["waiting"], "teams": ["finance", "sales"],
         "handoff": {"from": "sales", "to": "finance"}},
        {"id": 2, "text": "b", "stage": "billing", "kinds": [], "teams": ["support"], "handoff": None},
    ]  # fmt: skip
    path = folder / "history.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    change = Relabel("team", "finance", "money")
    assert relabel_files(folder, change, write=False) == 1
    assert path.read_text(encoding="utf-8") == before  # a dry run writes nothing
    assert relabel_files(folder, change, write=True) == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert first["teams"] == ["money", "sales"] and first["handoff"] == {"from": "sales", "to": "money"}
    assert second == rows[1] and lines[2] == "not json"
    assert relabel_files(folder, Relabel("team", "sales", None), write=True) == 1
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["teams"] == ["money"] and first["handoff"] is None
