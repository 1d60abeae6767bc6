"""Run every benchmark in turn (`make bench`); each in its own process so memory figures are honest.

    python -m benchmarks.run [--full]

--full uses the issue's sizes (1,000,000 reports, 100,000 patterns); without it the digest
benchmark runs at 100,000 reports so the whole run fits in a few minutes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _steps(full: bool) -> list[tuple[str, list[str]]]:
    reports, patterns = ("1000000", "100000") if full else ("100000", "10000")
    steps = [
        ("classifier speed and memory", ["-m", "benchmarks.classify_bench"]),
        ("TF-IDF + logistic regression baseline", ["-m", "benchmarks.baseline_tfidf"]),
        ("adversarial texts through the quote scrubber and redactor", ["-m", "benchmarks.scrub_bench"]),
        ("classifier quality: dev split, held-out sets, agreement between two people", ["-m", "benchmarks.quality"]),
        (
            "digest and grouping, SQLite",
            [str(HERE / "digest_bench.py"), "--reports", reports, "--patterns", patterns],
        ),
        (
            "load: 200 concurrent Slack and Teams reports",
            ["-m", "benchmarks.load_bench", "--n", "200"],
        ),
    ]
    return [(name, argv) for name, argv in steps if (HERE / _module_file(argv)).exists()]


def _module_file(argv: list[str]) -> str:
    return argv[1].split(".")[-1] + ".py" if argv[0] == "-m" else Path(argv[0]).name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    failed = 0
    for name, argv in _steps(args.full):
        print(f"\n=== {name} ===", flush=True)
        result = subprocess.run([sys.executable, *argv], cwd=HERE.parent)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
