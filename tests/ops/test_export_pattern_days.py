"""`snag export patterns` (anyone's view) dates a pattern by the day, as `pattern <id>` does: to the
microsecond, its first and last seen dated its first and newest report, which could be matched to a
channel message. Its titles hold no reporter's sign-off either (digests/test_title_names.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

THREE_PEOPLE = (
    "id,text,created_at,who\n"
    "1,The till printer jammed again on till 2. Priya,2026-11-02T09:05:31Z,alice\n"
    '2,"Till 4 printer jammed again. Thanks, Priya",2026-11-03T10:17:02Z,alice\n'
    "3,The till printer jammed again on till 3,2026-11-04T14:12:45Z,bob\n"
    "4,Printer on till 5 jammed again,2026-11-05T16:40:09Z,carol\n"
)


def test_export_patterns_gives_days_and_no_sign_off(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path("h.csv").write_text(THREE_PEOPLE)
    assert snag_cli("import", "h.csv", "--reporter-column", "who")[0] == 0
    code, out, err = snag_cli("export", "patterns", "--format", "jsonl")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert (row["first_seen"], row["last_seen"]) == ("2026-11-02", "2026-11-05")
    assert row["reporters"] == 3 and "printer" in row["title"].lower() and "priya" not in row["title"].lower()
    code, out, _ = snag_cli("export", "patterns", "--format", "csv")
    assert code == 0 and not re.search(r"\d\d:\d\d", out), out
