"""A tag corrected after a report was grouped leaves it where live grouping put it; `snag group
--rebuild` groups it by its corrected tags, and may move it out of a pattern whose owner and status
its reporter was told. The admin is told which patterns lost reports that way."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.domain import IncomingMessage
from store.models import Pattern, Report
from tests.conftest import run_snag

REFUNDS = "refund requests sit in the finance inbox for a week before anyone looks"


def _file(services, who: str, text: str) -> None:  # type: ignore[no-untyped-def]
    person = services.snag.person("console", "local", who)
    services.snag.handle_message(IncomingMessage(person=person, text=text, channel="console"))


def _patterns(services) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return {r.id: r.pattern_id for r in s.exec(select(Report).order_by(col(Report.id))).all()}


def test_a_rebuild_names_the_tended_patterns_it_took_reports_from(digest_services, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    for who, tail in (("p1", ""), ("p2", " again"), ("p3", " too")):
        _file(digest_services, who, REFUNDS + tail)
    before = _patterns(digest_services)
    [tended] = set(before.values())
    with Session(digest_services.engine) as s:  # a manager set it; p3 then corrected their stage
        s.exec(update(Pattern).values(owner="Dana", status="in_progress"))  # type: ignore[call-overload]
        s.exec(update(Report).where(col(Report.id) == max(before)).values(stage="onboarding"))  # type: ignore[call-overload]
        s.commit()

    code, _, err = run_snag(monkeypatch, capsys, "group", "--rebuild")
    after = _patterns(digest_services)
    assert code == 0
    assert after[max(before)] != tended  # two known, different stages keep reports apart
    said = "1 report(s) moved out of patterns with an owner or a status, whose reporters were told it"
    assert f"{said}: #{tended} (1)" in err


def test_a_rebuild_that_moves_nothing_says_nothing_more(digest_services, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    for who in ("p1", "p2"):
        _file(digest_services, who, REFUNDS)
    with Session(digest_services.engine) as s:
        s.exec(update(Pattern).values(owner="Dana", status="in_progress"))  # type: ignore[call-overload]
        s.commit()
    code, _, err = run_snag(monkeypatch, capsys, "group", "--rebuild")
    assert code == 0 and "Regrouped the history of console:local into 1 pattern(s)." in err
    assert "moved out" not in err
