"""`python -m bot.cli` behaves as the `snag` script: a command that reads or deletes, run where no
database is, stops and says where it looked.

Run as __main__, bot.cli was a second copy of the module whose callback set its own flags, while the
commands' load_settings read the first copy's: export, erase, digest, subscribe created snag.db and a
new reporter key in the empty folder and exited 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["export"],
        ["erase", "--user", "console:local:dave", "--yes"],
        ["digest", "--preview"],
        ["subscribe", "all"],
    ],
    ids=lambda a: a[0],
)
def test_python_m_bot_cli_refuses_as_snag_does_and_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / "empty"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAG_")}
    env.update(SNAG_DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,  # no .env of the developer's
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"No Snag database at {data / 'snag.db'}" in done.stderr
    assert list(data.iterdir()) == []  # no snag.db, no reporter.key
