"""Speed and memory of the trained tagger: load time, reports/s, per-report latency, RSS.

Run: .venv/bin/python benchmarks/classify_bench.py [--models DIR] [--reports N]
Trains a model into a temporary directory first when DIR has none. Pinned to one core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_LOAD = """
import resource, sys, time
t = time.perf_counter()
from pathlib import Path
from bot.taxonomy import load_taxonomy
from classifier.service import SpacyClassifier
clf = SpacyClassifier(directory=Path(sys.argv[1]), taxonomy=load_taxonomy(), threshold=0.45)
clf.classify("warm up")
# VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at its parent's (say, after training)
if sys.platform.startswith("linux"):
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
else:
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(time.perf_counter() - t, hwm / 1024)
"""


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _texts(n: int) -> list[str]:
    """Shipped report texts of one to three sentences, repeated up to n."""
    from bot.taxonomy import load_taxonomy
    from classifier.dataset import load_reports

    texts = [r.text for r in load_reports(load_taxonomy()) if r.text.count(".") <= 3]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def _models(path: str | None) -> Path:
    from bot.taxonomy import load_taxonomy
    from classifier.dataset import load_reports
    from classifier.service import latest_version
    from classifier.train import train

    if path and latest_version(Path(path)):
        return Path(path).resolve()  # the CLI run starts in another directory
    out = Path(tempfile.mkdtemp()) / "models"
    taxonomy = load_taxonomy()
    started = time.perf_counter()
    train(taxonomy, load_reports(taxonomy), out)
    print(f"trained a model for the benchmark in {time.perf_counter() - started:.1f}s")
    return out


def cold_load(models: Path) -> tuple[float, float]:
    """Seconds to import and load the model in a fresh process, and that process's peak RSS (MB)."""
    cmd = [sys.executable, "-c", _LOAD, str(models)]
    if sys.platform.startswith("linux"):
        cmd = ["taskset", "-c", "0", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, rss = done.stdout.split()
    return float(seconds), float(rss)


def cli_throughput(models: Path, texts: list[str]) -> float:
    """Reports per second through `snag classify FILE` end to end, process start included."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
        env = {
            **os.environ,
            "SNAG_DATA_DIR": str(models.parent),
            "SNAG_DATABASE_URL": f"sqlite:///{tmp}/x.db",
        }
        snag = Path(sys.executable).parent / "snag"
        cmd = [str(snag), "classify", str(source)] if snag.exists() else None
        if cmd is None:
            return float("nan")
        if sys.platform.startswith("linux"):
            cmd = ["taskset", "-c", "0", *cmd]
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, check=True)
        return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", help="a models directory (with LATEST)")
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args()
    _pin_one_core()
    models = _models(args.models)
    load_seconds, process_rss = cold_load(models)

    from bot.taxonomy import load_taxonomy
    from classifier.service import SpacyClassifier

    clf = SpacyClassifier(directory=models, taxonomy=load_taxonomy(), threshold=0.45)
    texts = _texts(args.reports)
    clf.classify_many(texts[:500])  # warm the caches
    started = time.perf_counter()
    clf.classify_many(texts)
    batch_rate = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:1000]:
        t = time.perf_counter()
        clf.classify(text)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    results = {
        "model": clf.version,
        "reports": len(texts),
        "mean_words": round(statistics.mean(len(t.split()) for t in texts), 1),
        "batch_reports_per_s": round(batch_rate),
        "cli_reports_per_s_incl_startup": round(cli_throughput(models, texts)),
        "one_report_ms_p50": round(latencies[len(latencies) // 2], 2),
        "one_report_ms_p99": round(latencies[int(len(latencies) * 0.99)], 2),
        "model_load_s_cold_process": round(load_seconds, 2),
        "rss_mb_process_with_model": round(process_rss, 1),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
