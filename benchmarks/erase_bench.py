"""`erase mine confirm` for a heavy reporter, on SQLite and PostgreSQL (not run by the test suite).

    .venv/bin/python benchmarks/erase_bench.py [--reports 200000] [--patterns 10000] [--theirs 1010]
        [--spread 942] [--affected 178163] [--postgres URL] [--no-sqlite] [--no-postgres]

Bulk-loads one tenant: `--reports` reports in `--patterns` patterns (centroids, titles, weekly
counts and term counts as grouping keeps them), of which one person filed `--theirs`, spread over
`--spread` patterns holding `--affected` reports in all (the audit's case at 1,000,000 reports:
1,010 reports, 942 patterns, 178,163 reports). Then, through `snag.handle_message` as a person
types it, `erase mine` and the timed `erase mine confirm`; then how long until grouping has
worked their patterns out again in the background (if it does), how long a colleague's report
filed one second into that waits for its receipt (tagged and grouped), and checks that none of
their words is left in any pattern or term count.

PostgreSQL: a schema of its own in the database at --postgres (default: the tests' one on
127.0.0.1), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bot.app import build  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain import IncomingMessage, Tags  # noqa: E402
from bot.taxonomy import load_taxonomy  # noqa: E402
from digests.engine import PatternState, features_of  # noqa: E402
from digests.features import OwnIdf  # noqa: E402
from digests.grouper import week_of, write_pattern  # noqa: E402
from store.models import Pattern  # noqa: E402

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
WEEKS = 100
ROWS = [json.loads(line) for line in (Path(__file__).resolve().parent.parent / "digests/data/grouping.jsonl").open()]
THEIR_WORD = "quixbury"  # in every report of theirs, in no one else's
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class _NoTags:
    """The classifier port, never asked: erasing classifies nothing."""

    version = "none"

    def classify(self, text: str) -> Tags:
        return Tags(stage=None, kinds=(), teams=())

    def classify_many(self, texts: list[str]) -> list[Tags]:
        return [self.classify(t) for t in texts]


def _plan(args: argparse.Namespace, rng: random.Random) -> list[tuple[int, bool]]:
    """(pattern index, theirs?) for every report: theirs one in each of the first `spread` patterns
    (the rest at random among them), the others filling those patterns to `affected`, then the rest."""
    plan = [(i, True) for i in range(args.spread)]
    plan += [(rng.randrange(args.spread), True) for _ in range(args.theirs - args.spread)]
    plan += [(rng.randrange(args.spread), False) for _ in range(args.affected - args.theirs)]
    plan += [(args.spread + rng.randrange(args.patterns - args.spread), False) for _ in range(args.reports - len(plan))]
    rng.shuffle(plan)
    return plan


def _fill(engine: sa.Engine, args: argparse.Namespace, key: str) -> None:
    """Tenant, reports, patterns (centroids of up to 12 members, theirs among them), weeks, term counts."""
    rng = random.Random(11)
    naive = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO tenants (platform, external_id, created_at) VALUES ('console', 'bench', :n)"),
            {"n": NOW},
        )
        tenant = conn.execute(sa.text("SELECT id FROM tenants WHERE external_id = 'bench'")).scalar_one()
    start = NOW - timedelta(weeks=WEEKS)
    reports, sample, weekly, terms = [], {}, Counter[tuple[int, str]](), Counter[str]()
    keys_of: dict[str, set[str]] = {}
    for n, (pattern, theirs) in enumerate(_plan(args, rng)):
        src = ROWS[pattern % len(ROWS)]
        suffix = f"{THEIR_WORD} depot {n % 50}" if theirs else f"site{rng.randrange(997)}"
        when = start + timedelta(seconds=rng.randrange(WEEKS * 7 * 86400))
        for part in (src["text"], suffix):  # a text's keys are its parts' keys (all are word by word)
            terms.update(keys_of.setdefault(part, OwnIdf.keys(part)) - {"#"})
        terms["#"] += 1
        weekly[(pattern, week_of(when))] += 1
        row = {"p": pattern, "k": key if theirs else f"r{rng.randrange(5000)}", "x": f"{src['text']} {suffix}"}
        row |= {"c": when.replace(tzinfo=None) if naive else when, "s": src["stage"]}
        row |= {"kd": json.dumps(src["kinds"]), "tm": json.dumps(src["teams"])}
        reports.append(row)
        members = sample.setdefault(pattern, [])
        if theirs or len(members) < 10:
            members.append(row)
    first = _patterns(engine, tenant, args.patterns, sample, Counter(r["p"] for r in reports))
    for row in reports:
        row["t"], row["p"] = tenant, first + row["p"]
    with engine.begin() as conn:
        for chunk in range(0, len(reports), 20000):
            conn.execute(
                sa.text(
                    "INSERT INTO reports (tenant_id, pattern_id, platform, channel, reporter_key, text, created_at, "
                    "stage, kinds, teams, confidence, tag_source, status) VALUES (:t, :p, 'console', 'bench', :k, :x, "
                    ":c, :s, :kd, :tm, '{}', 'model', 'tagged')"
                ),
                reports[chunk : chunk + 20000],
            )
        weeks = [{"t": tenant, "p": first + p, "w": w, "n": n} for (p, w), n in weekly.items()]
        conn.execute(
            sa.text("INSERT INTO pattern_weeks (tenant_id, pattern_id, week, reports) VALUES (:t, :p, :w, :n)"), weeks
        )
        counts = [{"t": tenant, "k": k, "n": n} for k, n in terms.items()]
        conn.execute(sa.text("INSERT INTO term_counts (tenant_id, term, docs) VALUES (:t, :k, :n)"), counts)


def _patterns(engine: sa.Engine, tenant: int, count: int, sample: dict, sizes: Counter[int]) -> int:
    """Insert the pattern rows, in index order; returns the first one's id."""
    taxonomy, rows = load_taxonomy(), []
    for i in range(count):
        state = PatternState(id=0, words={}, chars={}, n=0)
        for member in sample.get(i, []):
            stage, kinds, teams = member["s"], json.loads(member["kd"]), json.loads(member["tm"])
            state.add(features_of(member["x"], stage=stage, kinds=kinds, teams=teams, handoff=None, created_at=NOW))
        row = Pattern(tenant_id=tenant, title="")
        write_pattern(row, state, taxonomy)
        rows.append(
            {"t": tenant, "ti": row.title, "s": row.stage, "kd": json.dumps(row.kinds), "tm": json.dumps(row.teams)}
            | {
                "n": sizes[i],
                "x": json.dumps(row.terms),
                "tc": json.dumps(row.team_counts) if row.team_counts else None,
            }
            | {"c": NOW - timedelta(weeks=WEEKS), "l": NOW}
        )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO patterns (tenant_id, title, stage, kinds, teams, status, first_seen, last_seen, "
                "report_count, terms, team_counts, created_at) VALUES (:t, :ti, :s, :kd, :tm, 'new', :c, :l, :n, :x, "
                ":tc, :c)"
            ),
            rows,
        )
        return int(conn.execute(sa.text("SELECT min(id) FROM patterns WHERE tenant_id = :t"), {"t": tenant}).scalar())


def _left(engine: sa.Engine) -> dict[str, int]:
    """What is left of them: reports, patterns and term counts holding their word."""
    like = {"w": f"%{THEIR_WORD}%"}
    with engine.connect() as conn:
        return {
            "reports": conn.execute(sa.text("SELECT count(*) FROM reports WHERE text LIKE :w"), like).scalar_one(),
            "patterns": conn.execute(
                sa.text("SELECT count(*) FROM patterns WHERE title LIKE :w OR CAST(terms AS TEXT) LIKE :w"), like
            ).scalar_one(),
            "terms": conn.execute(sa.text("SELECT count(*) FROM term_counts WHERE term LIKE :w"), like).scalar_one(),
        }


def bench(url: str, args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=url,
        reporter_secret="bench-secret",
        encryption_key="3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=",
    )
    services = build(settings, classifier=_NoTags(), migrate=True)
    snag, engine = services.snag, services.engine
    person = snag.person("console", "bench", "heavy")
    started = time.perf_counter()
    _fill(engine, args, snag.key_of(person))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    result: dict[str, object] = {"db": engine.dialect.name, "load_s": round(time.perf_counter() - started, 1)}
    result["theirs_before"] = _left(engine)
    asked = snag.handle_message(IncomingMessage(person, "erase mine", "D1"))
    assert "erase mine confirm" in asked.title, asked.title
    started = time.perf_counter()
    done = snag.handle_message(IncomingMessage(person, "erase mine confirm", "D1"))
    result["erase_mine_confirm_s"] = round(time.perf_counter() - started, 2)
    result["reply"] = done.title
    result["left_at_reply"] = _left(engine)
    settle = getattr(services.extras["grouper"], "settle", None)
    if settle is not None:  # grouping finishing in the background
        time.sleep(1.0)  # well into the settling: a colleague reports meanwhile, and waits for the receipt
        other = snag.person("console", "bench", "colleague")
        asked_at = time.perf_counter()
        receipt = snag.handle_message(IncomingMessage(other, "the refund queue is stuck again this morning", "D2"))
        result["receipt_while_settling_s"] = round(time.perf_counter() - asked_at, 2)
        result["receipt_kind"] = receipt.kind
        settle()
        result["settled_s"] = round(time.perf_counter() - started, 2)
    result["left"] = _left(engine)
    services.engine.dispose()
    return result


def _postgres_schema(base: str) -> tuple[str, str]:
    """A schema of our own in the database at `base`: (its URL, its name)."""
    schema = f"erase_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", schema


def _drop_schema(base: str, schema: str) -> None:
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--theirs", type=int, default=1_010)
    parser.add_argument("--spread", type=int, default=942)
    parser.add_argument("--affected", type=int, default=178_163)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    assert args.spread <= args.theirs <= args.affected <= args.reports and args.spread < args.patterns
    with tempfile.TemporaryDirectory(prefix="erase-bench-") as tmp:
        if not args.no_sqlite:
            print(json.dumps(bench(f"sqlite:///{tmp}/bench.db", args, Path(tmp) / "var-sqlite")), flush=True)
        if not args.no_postgres:
            url, schema = _postgres_schema(args.postgres)
            try:
                print(json.dumps(bench(url, args, Path(tmp) / "var-postgres")), flush=True)
            finally:
                _drop_schema(args.postgres, schema)


if __name__ == "__main__":
    main()
