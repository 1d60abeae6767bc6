"""Run from another folder, a command that reads or deletes finds no database and creates none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import load_settings
from bot.config import Settings
from bot.domain import IncomingMessage
from tests.conftest import FixedClassifier

READ_OR_DELETE = [
    ["erase", "--user", "console:local:dave", "--yes"],
    ["export"],
    ["export", "reports", "--role", "manager"],
    ["retention", "--days", "30"],
    ["digest", "--preview"],
    ["group", "--rebuild"],
    ["pattern", "set", "1", "--status", "resolved"],
    ["subscribe", "all"],
    ["unsubscribe"],
]


@pytest.fixture
def project(bare_snag, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A Snag folder whose var/snag.db holds one report by dave, filed under a generated reporter key."""
    from bot.app import build

    folder = tmp_path / "project"
    services = build(Settings(_env_file=None, data_dir=folder / "var"), classifier=FixedClassifier(), migrate=True)  # type: ignore[call-arg]
    dave = services.snag.person("console", "local", "dave")
    services.snag.handle_message(IncomingMessage(dave, "refunds sit in the finance inbox for a week", "C1"))
    services.engine.dispose()
    assert (folder / "var" / "reporter.key").exists()
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("args", READ_OR_DELETE, ids=lambda a: " ".join(a[:2]))
def test_from_another_folder_it_says_where_it_looked_and_creates_nothing(  # type: ignore[no-untyped-def]
    bare_snag, project: Path, elsewhere: Path, args: list[str]
) -> None:
    code, out, err = bare_snag(*args)
    assert code == 2, err
    assert f"No Snag database at {elsewhere / 'var' / 'snag.db'}" in err
    assert f"relative to the current folder ({elsewhere})" in err and ".env" in err
    assert "SNAG_DATA_DIR=" in err and "Erased" not in out
    assert not (elsewhere / "var").exists()
    assert load_settings().may_create_store  # the rule ends with the command that set it


def test_erase_from_the_project_folder_or_with_snag_data_dir_finds_the_reports(  # type: ignore[no-untyped-def]
    bare_snag, project: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAG_DATA_DIR", str(project / "var"))
    code, out, _ = bare_snag("export", "reports", "--role", "manager", "--format", "jsonl")
    # one person's report: its tags are exported, its text is not (fewer than k reporters)
    assert code == 0 and '"handoff_to": "finance"' in out and '"id": 1,' in out
    monkeypatch.delenv("SNAG_DATA_DIR")
    monkeypatch.chdir(project)
    code, out, _ = bare_snag("erase", "--user", "console:local:dave", "--yes")
    assert code == 0 and "Erased 1 report(s)." in out


def test_a_database_found_without_its_reporter_key_is_refused_not_given_a_new_key(  # type: ignore[no-untyped-def]
    bare_snag, project: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{project / 'var' / 'snag.db'}")
    code, out, err = bare_snag("erase", "--user", "console:local:dave", "--yes")
    assert code == 2 and "Erased" not in out
    assert f"No reporter key at {elsewhere / 'var' / 'reporter.key'}" in err and "SNAG_REPORTER_SECRET" in err
    assert not (elsewhere / "var").exists()


def test_setting_up_in_a_new_folder_still_creates_the_database(bare_snag, elsewhere: Path) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text("text\nrefunds sit in the finance inbox\n")
    code, out, _ = bare_snag("import", "h.csv", "--no-dates")
    assert code == 0 and "Imported 1 report(s)" in out
    assert (elsewhere / "var" / "snag.db").exists() and (elsewhere / "var" / "reporter.key").exists()


def test_a_command_that_reads_a_database_named_by_url_leaves_no_folder_behind(  # type: ignore[no-untyped-def]
    bare_snag, project: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{project / 'var' / 'snag.db'}")
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "a-secret-of-its-own")
    code, _, err = bare_snag("export")
    assert code == 0 and "row(s) exported" in err
    assert not (elsewhere / "var").exists()


def test_a_database_set_up_with_db_upgrade_can_be_subscribed_at_once(bare_snag, elsewhere: Path) -> None:  # type: ignore[no-untyped-def]
    """`snag db upgrade` on a new SQLite database makes its reporter key too: the commands that
    only read found a database without one and said a new key would match none of its reports."""
    code, out, _ = bare_snag("db", "upgrade")
    assert code == 0 and "Created the database's tables" in out
    assert (elsewhere / "var" / "reporter.key").exists()
    code, out, err = bare_snag("subscribe", "all", "--destination", "board")
    assert code == 0, err
    assert "Subscription 1: all to console:board" in out
    code, out, _ = bare_snag("subscriptions")
    assert code == 0 and out.startswith('#1 all digest to console:board (local), "0 9 * * mon" UTC')
