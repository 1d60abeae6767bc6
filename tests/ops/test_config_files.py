"""Files and URLs an admin configures: read as they are saved, or refused with a sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.errors import ConfigError
from bot.history import ColumnMap, read_history
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy
from store.db import make_engine, upgrade
from store.models import Report, Tenant
from tests.conftest import SENTINEL

SHIPPED = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_a_taxonomy_is_read_as_notepad_saves_it(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "taxonomy.yml"
    if encoding.endswith("-bom"):
        codec = encoding.removesuffix("-bom")
        path.write_bytes("\ufeff".encode(codec) + SHIPPED.encode(codec))
    else:
        path.write_bytes(SHIPPED.encode(encoding))
    assert load_taxonomy(path).stage_labels == load_taxonomy().stage_labels


def test_a_taxonomy_in_another_encoding_is_refused_naming_the_expected_one(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_bytes("stages:\n  - label: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(path)
    assert caught.value.message.startswith(f"SNAG_TAXONOMY: {path} is not UTF-8 text")
    assert "save it as UTF-8" in caught.value.message


def test_a_database_url_sqlalchemy_cannot_parse_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="^SNAG_DATABASE_URL: .*e.g. SNAG_DATABASE_URL=postgresql"):
        make_engine("notaurl")


def test_a_database_folder_behind_a_file_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ConfigError, match="^SNAG_DATA_DIR: cannot create the database folder"):
        make_engine(f"sqlite:///{tmp_path / 'a-file' / 'var' / 'snag.db'}")


def test_database_errors_never_carry_the_report_text(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'snag.db'}")
    upgrade(engine)
    far = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    with Session(engine) as session:
        tenant = Tenant(platform="console", external_id="local")
        session.add(tenant)
        session.commit()
        report = Report(tenant_id=tenant.id, platform="console", channel="c", reporter_key="k", text=SENTINEL)
        report.created_at = far
        session.add(report)
        with pytest.raises(Exception) as caught:
            session.commit()
    assert "OverflowError" in str(caught.value) and SENTINEL not in str(caught.value)
    engine.dispose()


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("9999-12-31T23:00:00-05:00", "is out of range"),
        ("0001-01-01T00:00:00+05:00", "is out of range"),
        ("1989-12-31", "is before 1990"),
        ("2026-11-03", "is more than a day in the future"),
    ],
)
def test_absurd_dates_are_rows_with_a_problem(tmp_path: Path, when: str, says: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"id,text,created_at\n1,refunds slow,{when}\n2,couriers late,2026-11-02T10:00:00+01:00\n")
    rows, problems = read_history(path, ColumnMap(), now=datetime(2026, 11, 1, 12, tzinfo=UTC))
    assert [(p.line, p.problem) for p in problems] == [(2, f"'{when}' {says}; dates from 1990 to today are accepted")]
    assert [r.created_at for r in rows] == [datetime(2026, 11, 2, 9, tzinfo=UTC)]


def test_read_history_keeps_the_length_of_a_cut_row(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"text": "' + "y" * 500 + '"}\n{"text": "short"}\n')
    rows, _ = read_history(path, ColumnMap(created_at=None), limit=100)
    assert [(r.line, len(r.text), r.truncated_from) for r in rows] == [(1, 100, 500), (2, 5, None)]


def test_the_report_size_limit_stays_under_what_the_tagger_takes() -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError):
        Settings(_env_file=None, max_report_chars=2_000_000)  # spaCy refuses texts over 1,000,000 characters
    assert Settings(_env_file=None, max_report_chars=1_000_000).max_report_chars == 1_000_000


def test_an_empty_line_in_the_env_file_means_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting `SNAG_TAXONOMY=` from .env.example made every command read the taxonomy "file" `.`."""
    from bot.config import Settings

    (tmp_path / ".env").write_text("SNAG_TAXONOMY=\nSNAG_DATABASE_URL=\nSNAG_ANONYMITY_K=\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert (settings.taxonomy, settings.database_url, settings.anonymity_k) == (None, None, 3)
