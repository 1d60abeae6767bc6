"""Adversarial texts through the quoting scrubber and the redactor, at the longest report Snag keeps.

    python -m benchmarks.scrub_bench

Quotes (`pattern <id>`, `search`, digests) scrub up to 100 texts per answer on a shared worker
thread, so one text must never take long: the target is under 0.5 s for a 40,000-character text
(SNAG_MAX_REPORT_CHARS' default) of any shape. Before the fix of this session, "refund" followed
by 20,000 " (" took 1.9 s: each candidate re-read the whole text before it.
"""

from __future__ import annotations

import sys
import time

from bot.redact import redactor_with
from bot.signoffs import scrub

LONGEST = 40_000
TARGET_S = 0.5
SHAPES = {
    "open brackets": "refund" + " (" * 20_000,
    "its me": "its me " * 6_000,
    "full stops": ". a" * 13_400,
    "dashes": " - x" * 10_000,
    "commas": "x, y" * 10_000,
    "kisses": "Priya xx " * 4_500,
    "extensions": "ext 4412 a " * 3_700,
    "digits": "07700 900123 " * 3_100,
    "at signs": "a@b." * 10_000,
    "plain": "the refund form loses the order number every time " * 800,
}


def main() -> int:
    redactor = redactor_with(())
    worst = 0.0
    for name, text in SHAPES.items():
        text = text[:LONGEST]
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            redactor.redact(scrub(text, None))  # the shipped taxonomy's words
            timings.append(time.perf_counter() - start)
        best = min(timings)
        worst = max(worst, best)
        print(f"{name:14} {len(text):6,} chars  {best * 1000:7.1f} ms")
    met = worst < TARGET_S
    print(f"slowest {worst * 1000:.1f} ms; target < {TARGET_S * 1000:.0f} ms: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
