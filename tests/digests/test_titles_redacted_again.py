"""A pattern's title is redacted when it is written; a redaction pattern added to the taxonomy later
hid the quotes but not the title ("Billing: hinges, wardrobe, zx4471, okafor" in `pattern`, `top`
and `export patterns`). Stored titles are redacted again on `reload`, when a process notices the
file changed, and at every start; titles written after a reload are redacted by the new patterns."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import IncomingMessage, Reply
from bot.roles import RolePolicy
from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from tests.conftest import FixedClassifier, run_snag
from tests.digests.conftest import make_services

SHIPPED = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
SKU = SHIPPED.replace("redact: []", "redact:\n  - name: sku\n    pattern: '(?i)ZX\\d{4}'")
# A pattern that also matches its own placeholder: "[sku]" redacted again would be "[[sku]]".
GREEDY_SKU = SHIPPED.replace("redact: []", "redact:\n  - name: sku\n    pattern: '(?i)\\b(?:sku|zx)\\d*\\b'")
WARDROBE = "wardrobe ZX4471 for Mrs Okafor came without hinges, wardrobe ZX4471 hinges again"
PEOPLE = ("t1", "t2", "t3", "t4")


@pytest.fixture
def org(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Services on the shipped taxonomy copied to the organisation's own file, and its path."""
    path = tmp_path / "taxonomy.yml"
    path.write_text(SHIPPED, encoding="utf-8")
    services = make_services(tmp_path, taxonomy=path)
    services.snag.roles = RolePolicy.from_lists(["slack:BOSS"], [])
    yield services, path
    services.engine.dispose()


def _say(services, text: str, user: str = "t1", platform: str = "console", at: datetime | None = None) -> Reply:  # type: ignore[no-untyped-def]
    person = services.snag.person(platform, "local", user)
    return services.snag.handle_message(IncomingMessage(person, text, platform, received_at=at))


def _reported_by_four(services, text: str) -> None:  # type: ignore[no-untyped-def]
    yesterday = datetime.now(UTC) - timedelta(days=1)  # `pattern` and `top` count a day's reports from its midnight
    for user in PEOPLE:
        assert _say(services, text, user, at=yesterday).report_id is not None


def _shown(reply: Reply) -> str:
    return "\n".join([reply.title, *(f"{s.heading or ''} {s.text or ''}" for s in reply.sections)])


def _title_in_pattern(services, pid: int = 1) -> str:  # type: ignore[no-untyped-def]
    (heading,) = [s.heading for s in _say(services, f"pattern {pid}").sections if s.heading]
    return heading


def _exported(services, monkeypatch, capsys, taxonomy: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles `snag export patterns` writes, run as the console script on these services' store."""
    import bot.app

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SNAG_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("SNAG_DATABASE_URL", services.settings.resolved_database_url)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.setenv("SNAG_ENCRYPTION_KEY", "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=")
    monkeypatch.setenv("SNAG_TAXONOMY", str(taxonomy))
    code, out, err = run_snag(monkeypatch, capsys, "export", "patterns", "--format", "jsonl")
    assert code == 0, err
    return [json.loads(line)["title"] for line in out.splitlines() if line.strip()]


def test_pattern_top_and_the_export_show_the_title_redacted_after_reload(org, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    services, path = org
    _reported_by_four(services, WARDROBE)
    assert _title_in_pattern(services) == "#1 Billing: hinges, wardrobe, zx4471, okafor"

    path.write_text(SKU, encoding="utf-8")
    assert _say(services, "reload", "BOSS", "slack").title.startswith("Taxonomy reloaded")
    assert _title_in_pattern(services) == "#1 Billing: hinges, wardrobe, [sku], okafor"
    top = _shown(_say(services, "top"))
    assert "#1 Billing: hinges, wardrobe, [sku], okafor" in top and "zx4471" not in top.lower()
    assert _exported(services, monkeypatch, capsys, path) == ["Billing: hinges, wardrobe, [sku], okafor"]


def test_a_command_run_after_the_file_changed_redacts_titles_at_start(org, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    services, path = org
    _reported_by_four(services, WARDROBE)
    path.write_text(GREEDY_SKU, encoding="utf-8")  # no `reload`, and no process running to notice
    assert _exported(services, monkeypatch, capsys, path) == ["Billing: hinges, wardrobe, [sku], okafor"]
    # each start redacts again: what a redaction already hid stays as it is
    assert _exported(services, monkeypatch, capsys, path) == ["Billing: hinges, wardrobe, [sku], okafor"]


def test_a_title_written_again_after_the_reload_is_redacted_by_the_new_patterns(org) -> None:  # type: ignore[no-untyped-def]
    services, path = org
    _reported_by_four(services, WARDROBE)  # the grouper keeps this tenant's pattern store from here on
    path.write_text(SKU, encoding="utf-8")
    assert _say(services, "reload", "BOSS", "slack").title.startswith("Taxonomy reloaded")
    # A fifth report joins the pattern (its text stored as "[sku]"): the title is made again from the
    # pattern's words, which still hold the first four reports' "zx4471".
    assert _say(services, WARDROBE, "t5").report_id is not None
    assert _title_in_pattern(services) == "#1 Billing: hinges, wardrobe, [sku], okafor"
