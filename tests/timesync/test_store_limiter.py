"""The per-company request budget in PostgreSQL: never above its slots across real processes,
freed when a process dies, and a timeout that says nothing was sent."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest
from tests.conftest import subprocess_env

from intacct_sdk import RequestNotSentError, SlotWaitTimeoutError
from timesync.store import PostgresLimiter

pytestmark = pytest.mark.postgres


def _company(pg_schema: str) -> str:
    return f"C-{pg_schema}"  # a company of its own per test


def test_a_full_budget_times_out_as_not_sent_and_other_companies_are_free(
    pg_pool: Any, pg_schema: str
) -> None:
    limiter = PostgresLimiter(pg_pool, _company(pg_schema), 2, wait=0.2)
    with limiter.slot(), limiter.slot():
        assert limiter.in_use() == 2
        with pytest.raises(SlotWaitTimeoutError) as caught, limiter.slot():
            pass
        assert isinstance(caught.value, RequestNotSentError)
        assert caught.type is SlotWaitTimeoutError  # the client's, retried as not sent
        assert _company(pg_schema) in str(caught.value)
        with PostgresLimiter(pg_pool, f"{_company(pg_schema)}-other", 1, wait=0.2).slot():
            pass
    assert limiter.in_use() == 0
    with limiter.slot():  # given back: usable again
        assert limiter.in_use() == 1


def test_a_waiter_gets_the_slot_once_it_is_given_back(pg_pool: Any, pg_schema: str) -> None:
    limiter = PostgresLimiter(pg_pool, _company(pg_schema), 1, wait=30)
    got = threading.Event()

    def waiter() -> None:
        with limiter.slot():
            got.set()

    with limiter.slot():
        t = threading.Thread(target=waiter)
        t.start()
        assert not got.wait(0.3)  # not while the only slot is held
    t.join(30)
    assert got.is_set()


_WORKER = """
import sys, time
from psycopg_pool import ConnectionPool
from timesync.store import PostgresLimiter
dsn, table, company, slots, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with ConnectionPool(dsn, min_size=1, max_size=3, open=True) as pool:
    limiter = PostgresLimiter(pool, company, slots, wait=120)
    print("ready", flush=True)
    sys.stdin.readline()
    with pool.connection() as conn:
        conn.autocommit = True
        for _ in range(rounds):
            with limiter.slot():
                conn.execute(f"UPDATE {table} SET inside = inside + 1, peak = greatest(peak, inside + 1)")
                time.sleep(0.01)
                conn.execute(f"UPDATE {table} SET inside = inside - 1, done = done + 1")
"""


def test_never_above_its_slots_across_processes(
    postgres_dsn: str, pg_pool: Any, pg_schema: str
) -> None:
    table, company, slots, rounds, workers = f"{pg_schema}_probe", _company(pg_schema), 2, 15, 4
    with pg_pool.connection() as conn:
        conn.execute(f"CREATE TABLE {table} (inside int, peak int, done int)")
        conn.execute(f"INSERT INTO {table} VALUES (0, 0, 0)")  # noqa: S608
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, postgres_dsn, table, company, str(slots), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=subprocess_env(),
            text=True,
        )
        for _ in range(workers)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # all at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        assert [p.wait(timeout=120) for p in procs] == [0] * workers
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
            for f in (p.stdin, p.stdout):
                if f is not None:
                    f.close()
    with pg_pool.connection() as conn:
        row = conn.execute(f"SELECT inside, peak, done FROM {table}").fetchone()  # noqa: S608
        conn.execute(f"DROP TABLE {table}")
    assert row == (0, slots, rounds * workers)  # the budget was reached and never passed


_HOLDER = """
import sys, time
from psycopg_pool import ConnectionPool
from timesync.store import PostgresLimiter
pool = ConnectionPool(sys.argv[1], min_size=1, max_size=3, open=True)
limiter = PostgresLimiter(pool, sys.argv[2], 2)
a = limiter.slot(); a.__enter__()
b = limiter.slot(); b.__enter__()
print("held", flush=True)
time.sleep(120)
"""


def test_a_killed_process_gives_its_slots_back(
    postgres_dsn: str, pg_pool: Any, pg_schema: str
) -> None:
    limiter = PostgresLimiter(pg_pool, _company(pg_schema), 2, wait=0.2)
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, postgres_dsn, _company(pg_schema)],
        stdout=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert limiter.in_use() == 2
        with pytest.raises(SlotWaitTimeoutError), limiter.slot():
            pass
        proc.kill()
        proc.wait(timeout=30)
    patient = PostgresLimiter(pg_pool, _company(pg_schema), 2, wait=30)
    with patient.slot(), patient.slot():
        assert patient.in_use() == 2


def test_its_repr_and_errors_carry_no_secrets(pg_pool: Any) -> None:
    limiter = PostgresLimiter(pg_pool, "C0001", 3)
    assert repr(limiter) == "PostgresLimiter('C0001', slots=3)"
    with pytest.raises(ValueError, match="at least 1"):
        PostgresLimiter(pg_pool, "C0001", 0)
