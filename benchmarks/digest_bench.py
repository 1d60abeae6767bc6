"""Digest and grouping speed at scale (not run by the test suite).

    .venv/bin/python benchmarks/digest_bench.py [--reports 1000000] [--patterns 100000] [--postgres URL]
        [--sqlite-file PATH] [--reuse] [--no-sqlite] [--no-grouping] [--timezone ZONE]

1. Bulk-inserts N reports (one tenant, spread over 100 weeks, grouped into patterns with weekly
   counts), then times the weekly digest build (audience "all") against a bare SQL GROUP BY over
   the same week, alternating the two 15 times so both see the same machine load (best of each,
   the ratio of their medians too; on SQLite, which runs in-process, the ratio of CPU times as
   well), and then a team's digest.
2. Times grouping one new report into a tenant holding P patterns.

The PostgreSQL URL names an empty database (or schema, `...?options=-csearch_path%3Dname`).
--sqlite-file keeps the SQLite database; with --reuse a database that already holds the benchmark
tenant is measured as it is, without loading it again (for iterating on the digest at 1M reports).
--timezone builds the digest of a subscription in that zone (its own week; UTC by default), and
the GROUP BY reads the same week.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bot.taxonomy import load_taxonomy  # noqa: E402
from digests.engine import PatternState, features_of  # noqa: E402
from digests.grouper import SqlGrouper, week_of, write_pattern  # noqa: E402
from digests.service import Digests  # noqa: E402
from digests.snapshot import digest_week  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
WEEKS = 100
ROWS = [json.loads(line) for line in (Path(__file__).resolve().parent.parent / "digests/data/grouping.jsonl").open()]


def _fill(engine, reports: int, patterns: int) -> int:  # type: ignore[no-untyped-def]
    """Bulk insert: tenant, patterns (with real centroid terms), reports, weekly counts."""
    rng = random.Random(7)
    naive = engine.dialect.name == "sqlite"  # SQLite keeps UTC as naive text, as the models do
    tx = load_taxonomy()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (platform, external_id, created_at) VALUES ('console', 'bench', :n)"),
            {"n": NOW},
        )
        tenant = conn.execute(text("SELECT id FROM tenants WHERE external_id = 'bench'")).scalar()
    from store.models import Pattern

    rows_p = []
    for i in range(patterns):
        src = ROWS[i % len(ROWS)]
        state = PatternState(id=0, words={}, chars={}, n=0)
        state.add(
            features_of(
                f"{src['text']} site{i % 997}",
                stage=src["stage"],
                kinds=src["kinds"],
                teams=src["teams"],
                handoff=None,
                created_at=NOW,
            )
        )
        row = Pattern(tenant_id=tenant, title="")
        write_pattern(row, state, tx)
        rows_p.append(
            {
                "tenant_id": tenant,
                "title": row.title,
                "stage": row.stage,
                "kinds": json.dumps(row.kinds),
                "teams": json.dumps(row.teams),
                "status": "new",
                "first_seen": NOW - timedelta(weeks=rng.randint(1, WEEKS)),
                "last_seen": NOW,
                "report_count": 0,
                "terms": json.dumps(row.terms),
                "team_counts": json.dumps(row.team_counts) if row.team_counts else None,
                "created_at": NOW,
            }
        )
    with engine.begin() as conn:
        for chunk in range(0, len(rows_p), 5000):
            conn.execute(
                text(
                    "INSERT INTO patterns (tenant_id, title, stage, kinds, teams, status, first_seen, last_seen, "
                    "report_count, terms, team_counts, created_at) VALUES (:tenant_id, :title, :stage, :kinds, :teams, "
                    ":status, :first_seen, :last_seen, :report_count, :terms, :team_counts, :created_at)"
                ),
                rows_p[chunk : chunk + 5000],
            )
        first = conn.execute(text("SELECT min(id) FROM patterns WHERE tenant_id = :t"), {"t": tenant}).scalar()
    weekly: dict[tuple[int, str], int] = {}
    start = NOW - timedelta(weeks=WEEKS)
    batch = []
    hot = max(1, patterns // 30)  # a few thousand patterns carry most reports, as in real life
    for i in range(reports):
        src = ROWS[i % len(ROWS)]
        pid = first + (rng.randrange(hot) if rng.random() < 0.8 else rng.randrange(patterns))
        when = start + timedelta(seconds=rng.randrange(WEEKS * 7 * 86400))
        when = when.replace(tzinfo=None) if naive else when
        weekly[(pid, week_of(when))] = weekly.get((pid, week_of(when)), 0) + 1  # week_of reads naive as UTC
        batch.append(
            {
                "t": tenant,
                "p": pid,
                "k": f"r{rng.randrange(5000)}",
                "x": src["text"],
                "c": when,
                "s": src["stage"],
                "kd": json.dumps(src["kinds"]),
                "tm": json.dumps(src["teams"]),
                "hf": (src["handoff"] or {}).get("from"),
                "ht": (src["handoff"] or {}).get("to"),
            }
        )
        if len(batch) == 20000 or i == reports - 1:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO reports (tenant_id, pattern_id, platform, channel, reporter_key, text, "
                        "created_at, stage, kinds, teams, handoff_from, handoff_to, confidence, tag_source, status) "
                        "VALUES (:t, :p, 'console', 'bench', :k, :x, :c, :s, :kd, :tm, :hf, :ht, '{}', 'model', "
                        "'tagged')"
                    ),
                    batch,
                )
            batch = []
    with engine.begin() as conn:
        items = [{"t": tenant, "p": p, "w": w, "n": n} for (p, w), n in weekly.items()]
        for chunk in range(0, len(items), 20000):
            conn.execute(
                text("INSERT INTO pattern_weeks (tenant_id, pattern_id, week, reports) VALUES (:t, :p, :w, :n)"),
                items[chunk : chunk + 20000],
            )
    return tenant


def bench(
    url: str, reports: int, patterns: int, *, reuse: bool = False, grouping: bool = True, timezone: str = "UTC"
) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    with engine.connect() as conn:
        tenant = conn.execute(text("SELECT id FROM tenants WHERE external_id = 'bench'")).scalar()
    if tenant is None or not reuse:
        tenant = _fill(engine, reports, patterns)
        if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load: statistics, visibility map
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    load_s = time.perf_counter() - started
    digests = Digests(engine, load_taxonomy(), k=3)
    now = NOW.astimezone(ZoneInfo(timezone))  # the subscription's zone: its digest counts its own week
    start, end = digest_week(now)
    params = {
        "t": tenant,
        "s": start.astimezone(UTC).replace(tzinfo=None) if engine.dialect.name == "sqlite" else start,
        "e": end.astimezone(UTC).replace(tzinfo=None) if engine.dialect.name == "sqlite" else end,
    }

    def group_by() -> None:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pattern_id, COUNT(*), COUNT(DISTINCT reporter_key) FROM reports "
                    "WHERE tenant_id = :t AND created_at >= :s AND created_at < :e GROUP BY pattern_id"
                ),
                params,
            ).all()

    def digest(audience: str = "all") -> None:
        digests.build(platform="console", tenant="bench", audience=audience, now=now)

    digest(), group_by()  # warm the caches alike
    times: dict[str, list[float]] = {"digest": [], "group_by": [], "team": []}
    cpu: dict[str, list[float]] = {"digest": [], "group_by": []}
    for _ in range(15):  # interleaved, so a burst of load from elsewhere hits both
        for name, fn in (("digest", digest), ("group_by", group_by)):
            started, used = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - used)
    for _ in range(5):  # a team's digest (its patterns read too), apart: it reads more than the week
        started = time.perf_counter()
        digest("team:finance")
        times["team"].append(time.perf_counter() - started)
    digest_s, group_s = min(times["digest"]), min(times["group_by"])
    result = {
        "load_s": load_s,
        "digest_s": digest_s,
        "group_by_s": group_s,
        "ratio": digest_s / group_s,
        "ratio_of_medians": statistics.median(times["digest"]) / statistics.median(times["group_by"]),
        "digest_team_finance_s": min(times["team"]),
    }
    if engine.dialect.name == "sqlite":  # in-process, so CPU time is the work itself, whatever else runs
        result["cpu_ratio"] = min(cpu["digest"]) / min(cpu["group_by"])
    if not grouping:
        engine.dispose()
        return result
    grouper = SqlGrouper(engine, load_taxonomy())
    from bot.domain import ReportRecord, Tags

    def one(i: int) -> ReportRecord:
        src = ROWS[(i * 7) % len(ROWS)]
        with engine.begin() as conn:
            rid = conn.execute(
                text(
                    "INSERT INTO reports (tenant_id, platform, channel, reporter_key, text, created_at, kinds, teams, "
                    "confidence, status) VALUES (:t, 'console', 'bench', 'new', :x, :c, '[]', '[]', '{}', 'new') "
                    "RETURNING id"
                ),
                {"t": tenant, "x": src["text"], "c": NOW},
            ).scalar()
        return ReportRecord(
            rid,
            "bench",
            "console",
            "bench",
            "new",
            src["text"],
            NOW,
            Tags(src["stage"], tuple(src["kinds"]), tuple(src["teams"])),
            "tagged",
        )

    started = time.perf_counter()
    indexed = grouper.warm()  # what the server does as it starts (else the first report waits for it)
    warm_s = time.perf_counter() - started
    grouper.assign(one(0))
    latencies = []
    for i in range(1, 41):
        record = one(i)
        started = time.perf_counter()
        grouper.assign(record)
        latencies.append(time.perf_counter() - started)
    engine.dispose()
    return result | {
        "warm_s": warm_s,
        "warm_patterns": indexed,
        "assign_median_ms": statistics.median(latencies) * 1000,
        "assign_p95_ms": sorted(latencies)[int(0.95 * len(latencies)) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--patterns", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL of an empty database/schema")
    parser.add_argument("--sqlite-file", default=None, help="keep the SQLite database in this file")
    parser.add_argument("--reuse", action="store_true", help="measure an already loaded database as it is")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-grouping", action="store_true", help="time the digest only")
    parser.add_argument("--timezone", default="UTC", help="the subscription's zone, e.g. Pacific/Auckland")
    args = parser.parse_args()
    opts = {"reuse": args.reuse, "grouping": not args.no_grouping, "timezone": args.timezone}
    result = {}
    if not args.no_sqlite:
        if args.sqlite_file:
            result["sqlite"] = bench(f"sqlite:///{args.sqlite_file}", args.reports, args.patterns, **opts)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                result["sqlite"] = bench(f"sqlite:///{tmp}/bench.db", args.reports, args.patterns, **opts)
    if args.postgres:
        result["postgres"] = bench(args.postgres, args.reports, args.patterns, **opts)
    print(json.dumps({"reports": args.reports, "patterns": args.patterns, **result}, indent=2))


if __name__ == "__main__":
    main()
