"""`snag export reports` folds as the installation's k says, not as the default 3."""

from __future__ import annotations

import json
from pathlib import Path

TWO_PEOPLE = (
    "id,text,created_at,who\n"
    "1,refund forms are scanned twice at the front desk,2024-01-02,ann\n"
    "2,refund forms get scanned twice at the front desk again,2024-01-04,bob\n"
)


def _exported(snag_cli) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, _ = snag_cli("export", "reports", "--role", "manager", "--format", "jsonl")
    assert code == 0
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_export_reports_uses_the_configured_anonymity_k(snag_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(TWO_PEOPLE)
    assert snag_cli("import", "h.csv", "--reporter-column", "who")[0] == 0
    rows = _exported(snag_cli)
    assert [r["text"] for r in rows] == [None, None] and {r["pattern"] for r in rows} == {"other"}  # 2 < k = 3
    monkeypatch.setenv("SNAG_ANONYMITY_K", "2")
    rows = _exported(snag_cli)
    assert all(r["text"] and "scanned twice" in r["text"] for r in rows)
    assert len({r["pattern"] for r in rows}) == 1 and "other" not in {r["pattern"] for r in rows}
