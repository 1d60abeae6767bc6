"""`snag subscribe` / `snag unsubscribe`: one reading of the audience, and a clear word when nothing matched."""

from __future__ import annotations

import pytest

from tests.conftest import run_snag


@pytest.fixture
def snag(digest_services, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag ARGS...` as the console script does: (exit code, stdout, stderr)."""
    monkeypatch.setattr("digests.cli._services", lambda train=False: digest_services)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


def test_unsubscribe_reads_the_audience_as_subscribe_does(snag) -> None:  # type: ignore[no-untyped-def]
    assert snag("subscribe", "Team:Finance", "--destination", "C2")[0] == 0
    code, out, _ = snag("unsubscribe", "Team:Finance", "--destination", "C2")
    assert code == 0 and "Removed 1 subscription(s)." in out


def test_unsubscribe_refuses_an_unknown_audience_as_subscribe_does(snag) -> None:  # type: ignore[no-untyped-def]
    sub_code, _, sub_err = snag("subscribe", "team:astronauts", "--destination", "C2")
    code, out, err = snag("unsubscribe", "team:astronauts", "--destination", "C2")
    assert code == sub_code == 2
    assert "`astronauts` is not a team I know; the teams are" in err and err == sub_err
    assert "Removed" not in out


def test_unsubscribe_that_matches_nothing_lists_what_the_destination_has(snag) -> None:  # type: ignore[no-untyped-def]
    snag("subscribe", "team:finance", "--destination", "C2")
    snag("subscribe", "all", "--destination", "C2")
    code, out, err = snag("unsubscribe", "stage:billing", "--destination", "C2")
    assert code == 2 and "Removed" not in out
    assert "No stage:billing subscription at console:C2; its subscriptions: team:finance, all." in err


def test_unsubscribe_at_a_destination_without_subscriptions_says_where_they_are(snag) -> None:  # type: ignore[no-untyped-def]
    snag("subscribe", "team:finance", "--destination", "C2")
    code, _, err = snag("unsubscribe", "--destination", "C9")
    assert code == 2
    assert "No subscription at console:C9; this tenant's digests go to: C2 (see --destination)." in err
    code, _, err = snag("unsubscribe", "--tenant", "elsewhere", "--destination", "C2")
    assert code == 2 and "this tenant has no digest subscriptions (add one with `snag subscribe`)" in err
