"""The Makefile an admin runs first: a Python too old is named with the fix, and `make clean` keeps ./var.

Before, `make install PYTHON=python3.10` failed deep in pip ("requires a different Python"), the
same command with PYTHON=python3.11 then reused the old virtualenv and failed again, and the obvious
cure, `make clean`, deleted var/ (the database and the reporter key) without a word."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLD_PYTHON = """#!/bin/sh
# A Python 3.10 as far as the Makefile can tell: every version check fails, -V says 3.10.
case "$1" in
  -V) echo "Python 3.10.12"; exit 0 ;;
  -c) exit 1 ;;
  *) exit 3 ;;
esac
"""


def make(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    old = tmp_path / "python3.10"
    old.write_text(OLD_PYTHON)
    old.chmod(0o755)
    return tmp_path


def test_a_python_too_old_is_named_with_the_command_that_fixes_it(checkout: Path) -> None:
    done = make("install", f"PYTHON={checkout / 'python3.10'}", cwd=checkout)
    assert done.returncode != 0
    assert "Snag needs Python 3.11 or newer" in done.stderr and "Python 3.10.12" in done.stderr
    assert "make install PYTHON=python3.11" in done.stderr
    assert not (checkout / ".venv").exists()


NEW_PYTHON = """#!/bin/sh
# A Python 3.12 whose venv is a copy of itself with a pip that installs nothing.
case "$1" in
  -V) echo "Python 3.12.1"; exit 0 ;;
  -c) exit 0 ;;
  -m) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && printf '#!/bin/sh\\nexit 0\\n' > "$3/bin/pip" \\
        && chmod +x "$3/bin/pip"; exit $? ;;
esac
exit 3
"""


def test_a_virtualenv_of_an_older_python_is_made_again(checkout: Path) -> None:
    venv_bin = checkout / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    shutil.copy(checkout / "python3.10", venv_bin / "python")
    new = checkout / "python3.12"
    new.write_text(NEW_PYTHON)
    new.chmod(0o755)
    done = make("install", f"PYTHON={new}", cwd=checkout)
    assert done.returncode == 0, done.stderr
    assert ".venv was made with an older Python: making it again" in done.stderr
    assert (venv_bin / "python").read_text() == NEW_PYTHON
    assert (checkout / ".venv" / ".snag-installed").exists()


def test_make_clean_keeps_the_database_and_the_reporter_key(checkout: Path) -> None:
    var = checkout / "var"
    var.mkdir()
    (var / "snag.db").write_text("reports")
    (var / "reporter.key").write_text("secret")
    (checkout / ".venv").mkdir()
    assert make("clean", cwd=checkout).returncode == 0
    assert (var / "snag.db").read_text() == "reports" and (var / "reporter.key").exists()
    assert not (checkout / ".venv").exists()
