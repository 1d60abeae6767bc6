"""The digest's reads and `stats` run without PostgreSQL's JIT (compiling cost more than running)."""

from __future__ import annotations

from sqlalchemy import text

from digests.reading import reading
from store.db import no_jit, session_scope


def test_the_digest_reads_without_jit_or_parallel_workers(engine) -> None:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        if conn.dialect.name == "postgresql":
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
        else:
            assert conn.execute(text("SELECT 1")).scalar() == 1  # SQLite: nothing to set, and nothing fails


def test_no_jit_lasts_for_its_transaction_only(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        with session_scope(engine) as session:
            no_jit(session.connection())  # a no-op that must not fail on SQLite
            assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
        return
    with session_scope(engine) as session:
        default = session.connection().exec_driver_sql("SHOW jit").scalar()
    with session_scope(engine) as session:
        no_jit(session.connection())
        assert session.connection().exec_driver_sql("SHOW jit").scalar() == "off"
        assert session.connection().exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() != "0"
    with session_scope(engine) as session:
        assert session.connection().exec_driver_sql("SHOW jit").scalar() == default
