"""An organisation's own taxonomy (SNAG_TAXONOMY) is the one quotes are scrubbed with and the one
usage examples name: "Priya from pharm here" reads [name] to leaders when `pharm` is one of its
teams, "Thanks Pharm" stays as typed, and `top` shows `team:pharmacy`, not a team it lacks.
The shipped taxonomy's behaviour is tests/bot/test_signoffs.py and test_self_intros.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import IncomingMessage, Reply, Tags
from bot.roles import RolePolicy
from bot.signoffs import names_writer, plain_first, scrub
from bot.taxonomy import Taxonomy, load_taxonomy
from digests.digest import Audience, build_digest
from digests.quotes import pick
from store.models import Pattern, Report, Tenant
from store.privacy import RETAINED_TEXT
from tests.conftest import FixedClassifier
from tests.digests.test_digest import _snapshot

HOSPITAL = """
stages:
  - label: admission
    words: [admitted, admission]
  - label: discharge
    words: [discharge, discharged, TTO]
kinds:
  - label: waiting
    words: [wait, waiting, hours]
  - label: workaround
    words: [spreadsheet, printed]
teams:
  - label: pharmacy
    aliases: [pharm, pharmacy team]
  - label: bed_bureau
    aliases: [bed bureau, bed managers]
  - label: radiology
    aliases: [x-ray, imaging]
  - label: ward_nursing
    aliases: [ward nurses, nursing]
"""
BEFORE_RELOAD = HOSPITAL.replace("pharm, pharmacy team", "pharmacy team")  # `pharm` added by the reload

INTRODUCED = "Priya from pharm here: patients wait hours for TTOs on the discharge lounge"
THANKED = "TTOs for the discharge lounge are printed twice a day. Thanks Pharm"
PLAIN = ["patients wait hours for TTOs", "the TTO list is kept in a spreadsheet", "discharge waits on TTOs"]
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _written(tmp_path: Path, text: str = HOSPITAL) -> Path:
    path = tmp_path / "hospital.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def hospital(tmp_path: Path) -> Taxonomy:
    return load_taxonomy(_written(tmp_path))


def test_an_introduction_from_one_of_its_teams_is_scrubbed_and_a_team_thanked_is_not(hospital: Taxonomy) -> None:
    assert scrub(INTRODUCED, hospital) == "[name] from pharm here: patients wait hours for TTOs on the discharge lounge"
    assert names_writer(INTRODUCED, hospital)
    assert scrub(THANKED, hospital) == THANKED, "Pharm is a team of this organisation, not a name"
    assert not names_writer(THANKED, hospital)
    assert scrub("Sam on ward nurses here: the bed board is wrong again", hospital).startswith("[name] on ward nurses")
    # the shipped taxonomy has no `pharm`: read with it, the same texts are read the other way round
    assert scrub(INTRODUCED, None) == INTRODUCED
    assert scrub(THANKED, None).endswith("Thanks [name]")


def test_quotes_that_name_nobody_come_first_by_its_teams(hospital: Taxonomy) -> None:
    assert pick([INTRODUCED, PLAIN[0]], hospital) == PLAIN[0], "the digest's quote: the one naming nobody"
    assert plain_first([INTRODUCED, *PLAIN], 3, text=str, taxonomy=hospital) == PLAIN


def test_the_digest_quotes_an_introduction_with_its_name_scrubbed(hospital: Taxonomy) -> None:
    snap = _snapshot()
    snap.quotes = {1: INTRODUCED}
    quotes = dict(build_digest(snap, Audience("all"), hospital, k=3).quotes)
    assert quotes[1].startswith("[name] from pharm here:")


def _services(tmp_path: Path, taxonomy: Path):  # type: ignore[no-untyped-def]
    from bot.app import build

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
        taxonomy=taxonomy,
    )
    tags = Tags(stage="discharge", kinds=("waiting",), teams=("pharmacy",), confidence={"discharge": 0.9})
    services = build(settings, classifier=FixedClassifier(tags), migrate=True)
    services.snag.grouper = None
    services.snag.roles = RolePolicy.from_lists(["slack:A1"], ["slack:M1"])
    return services


def _ask(services, text: str, user: str = "M1") -> Reply:  # type: ignore[no-untyped-def]
    return services.snag.handle_message(IncomingMessage(services.snag.person("slack", "T1", user), text, "D1"))


def _one_pattern(services) -> int:  # type: ignore[no-untyped-def]
    """Five people's reports, two of them the texts above, in one pattern built by hand."""
    snag = services.snag
    for n, text in enumerate([INTRODUCED, THANKED, *PLAIN]):
        person = snag.person("slack", "T1", f"U{n}")
        message = IncomingMessage(person, text, "D1", received_at=NOW - timedelta(hours=n))
        assert snag.handle_message(message).kind == "receipt"
    with Session(services.engine) as s:
        tenant = s.exec(select(Tenant)).one()
        pattern = Pattern(tenant_id=tenant.id, title="TTO waits")
        s.add(pattern)
        s.commit()
        for report in s.exec(select(Report)).all():
            report.pattern_id = pattern.id
            s.add(report)
        s.commit()
        assert pattern.id is not None
    snag.clock = lambda: NOW + timedelta(days=1)  # asked the next day: a day's reports count from its midnight
    return pattern.id


def _quotes(reply: Reply) -> list[str]:
    return [s.text.strip("“”") for s in reply.sections if s.text and s.text.startswith("“")]


def test_pattern_and_search_read_the_running_taxonomy(tmp_path: Path) -> None:
    services = _services(tmp_path, _written(tmp_path))
    pid = _one_pattern(services)
    assert "Priya" not in _ask(services, f"pattern {pid}").plain_text()
    assert _ask(services, "search Priya").sections[0].text == "No reports match those words."
    found = _ask(services, "search discharge lounge")
    texts = {s.text for s in found.sections if s.text}
    assert any(t.startswith("[name] from pharm here: patients wait hours") for t in texts), texts
    assert THANKED in texts, "Thanks Pharm is read as typed"
    assert "Priya" not in found.plain_text()
    services.engine.dispose()


def test_pattern_quotes_read_the_running_taxonomy(tmp_path: Path) -> None:
    services = _services(tmp_path, _written(tmp_path))
    pid = _one_pattern(services)
    with Session(services.engine) as s:  # the plain ones reduced to their tags: the two texts are left to quote
        for report in s.exec(select(Report)).all():
            if report.text in PLAIN:
                report.text = RETAINED_TEXT
                s.add(report)
        s.commit()
    quotes = _quotes(_ask(services, f"pattern {pid}"))
    assert len(quotes) == 2 and quotes[0].startswith("[name] from pharm here: patients wait hours"), quotes
    assert quotes[1] == THANKED
    services.engine.dispose()


def test_reload_brings_the_new_teams_to_the_scrubber(tmp_path: Path) -> None:
    path = _written(tmp_path, BEFORE_RELOAD)
    services = _services(tmp_path, path)
    _one_pattern(services)
    assert _ask(services, "search Priya").sections[0].text != "No reports match those words."  # no `pharm` yet
    path.write_text(HOSPITAL, encoding="utf-8")
    assert _ask(services, "reload", user="A1").title.startswith("Taxonomy reloaded")
    assert _ask(services, "search Priya").sections[0].text == "No reports match those words."
    services.engine.dispose()


@pytest.mark.parametrize(
    ("typed", "user", "example"),
    [
        ("top soon", "U1", "`top 30d team:pharmacy`"),
        ("digest foo bar", "U1", "`digest team:pharmacy`"),
        ("own 12", "M1", "`own 12 Pharmacy`"),
    ],
)
def test_usage_examples_name_one_of_its_teams(tmp_path: Path, typed: str, user: str, example: str) -> None:
    services = _services(tmp_path, _written(tmp_path))
    said = _ask(services, typed, user=user)
    assert said.kind == "usage" and example in said.title, said.title
    assert "finance" not in said.title.lower()
    assert f"report {typed}" in said.title, "the line typed is repeated as typed"
    services.engine.dispose()


def test_the_usage_example_works_as_typed(tmp_path: Path) -> None:
    services = _services(tmp_path, _written(tmp_path))
    said = _ask(services, "top 30d team:pharmacy", user="U1")
    assert said.kind == "list", said.plain_text()
    services.engine.dispose()


def test_the_shipped_taxonomy_keeps_its_examples(tmp_path: Path) -> None:
    from bot.app import build

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    said = _ask(services, "top soon", user="U1")
    assert "`top 30d team:finance`" in said.title and "report top soon" in said.title
    services.engine.dispose()


def test_only_the_usage_part_of_a_message_names_its_team(hospital: Taxonomy) -> None:
    from bot.commands import with_examples

    said = "`unsubscribe` takes an audience at most, e.g. `unsubscribe team:finance`."
    typed = " To file it as a report instead, type: report unsubscribe `unsubscribe team:finance`"
    assert with_examples(said + typed, hospital) == said.replace("team:finance", "team:pharmacy") + typed
    assert with_examples(said + typed, load_taxonomy()) == said + typed
    assert with_examples("`x` is not a team I know.", hospital) == "`x` is not a team I know."
