"""`snag demo` loads the sample organisation only into a Snag whose taxonomy has the sample's labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.errors import InputError
from store.db import session_scope
from store.models import Report
from tests.conftest import run_snag
from tests.digests.conftest import NOW, make_services

OWN = """\
stages: [{label: intake}, {label: fulfilment}]
kinds: [{label: waiting}, {label: workaround}]
teams: [{label: finance}, {label: logistics}]
"""


def _shipped_plus_one(tmp_path: Path) -> Path:
    """The shipped taxonomy with one more team: every label of the sample is there."""
    from bot.taxonomy import DEFAULT_TAXONOMY_PATH

    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    assert "\nteams:\n" in text
    path = tmp_path / "bigger.yml"
    path.write_text(text.replace("\nteams:\n", "\nteams:\n  - label: legal\n", 1), encoding="utf-8")
    return path


@pytest.fixture
def own_services(tmp_path: Path):  # type: ignore[no-untyped-def]
    taxonomy = tmp_path / "own.yml"
    taxonomy.write_text(OWN, encoding="utf-8")
    services = make_services(tmp_path, taxonomy=taxonomy)
    yield services
    services.engine.dispose()


def _reports(services) -> int:  # type: ignore[no-untyped-def]
    with session_scope(services.engine) as session:
        return int(session.execute(select(func.count()).select_from(Report)).scalar() or 0)


def test_the_demo_refuses_a_taxonomy_without_its_labels_and_loads_nothing(own_services) -> None:  # type: ignore[no-untyped-def]
    # It loaded 300 reports tagged enquiry, operations... that `top team:operations` then refused.
    from digests.demo import load_demo

    with pytest.raises(InputError) as refused:
        load_demo(own_services, now=NOW)
    said = refused.value.message
    assert "tagged with the taxonomy Snag ships" in said and "own.yml" in said
    assert "lacks 8 of their stages (application, assessment, billing, delivery, ...), " in said
    assert "6 of their kinds (duplicate_entry, handoff, policy_conflict, shadow_system, ...) and " in said
    assert "8 of their teams (compliance, digital, it, onboarding, ...)." in said  # finance is there
    assert "nothing was loaded" in said and "SNAG_TAXONOMY unset" in said
    assert "waiting" not in said and "workaround" not in said
    assert _reports(own_services) == 0


def test_one_missing_axis_is_named_alone(tmp_path: Path) -> None:
    from bot.taxonomy import load_taxonomy
    from digests.demo import _refuse_another_taxonomy

    bigger = _shipped_plus_one(tmp_path).read_text(encoding="utf-8")
    fewer = tmp_path / "no-it.yml"
    fewer.write_text(bigger.replace("  - label: it\n", "  - label: it_team\n", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"lacks 1 of their teams \(it\)\. Stats"):
        _refuse_another_taxonomy(load_taxonomy(fewer))


def test_snag_demo_says_so_and_exits_2(own_services, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: own_services)
    code, out, err = run_snag(monkeypatch, capsys, "demo")
    assert code == 2 and out == ""
    assert "The sample organisation's reports are tagged with the taxonomy Snag ships" in err
    assert "Error" not in err and "Traceback" not in err


def test_the_console_does_not_offer_a_demo_that_does_not_fit(own_services) -> None:  # type: ignore[no-untyped-def]
    from digests.demo import offer_demo

    class Session:
        def ask(self, question: str) -> str:
            raise AssertionError(f"offered: {question}")

    offer_demo(own_services)(Session())
    assert _reports(own_services) == 0


def test_a_taxonomy_holding_every_label_of_the_sample_takes_it(tmp_path: Path) -> None:
    from digests.demo import load_demo, missing_labels

    services = make_services(tmp_path, taxonomy=_shipped_plus_one(tmp_path))
    try:
        assert missing_labels(services.taxonomy) == {}
        found = load_demo(services, now=NOW)
        assert found["reports"] == _reports(services) == 300
    finally:
        services.engine.dispose()


def test_the_shipped_taxonomy_has_every_label_of_the_sample() -> None:
    from bot.taxonomy import load_taxonomy
    from digests.demo import missing_labels

    assert missing_labels(load_taxonomy()) == {}
