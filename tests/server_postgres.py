"""A real PostgreSQL server for the tests: initdb in a temporary folder, started on 127.0.0.1
on a free port, stopped at the end of the session (and by a watchdog if pytest dies).

The session fixture ``postgres_dsn`` skips with the reason when no server can be started,
unless ``TIMESYNC_REQUIRE_SERVERS=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["PostgresServer", "find_bindir", "pg_pool", "pg_schema", "postgres_dsn"]

_WATCHDOG = """
import os, subprocess, sys, time
parent, cmd = int(sys.argv[1]), sys.argv[2:]
while True:
    try:
        os.kill(parent, 0)
    except OSError:
        break
    time.sleep(1)
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
"""


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH, ``pg_config --bindir``, then the
    newest ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throwaway PostgreSQL cluster (trust authentication, loopback only, fsync off)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="timesync-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.port = _free_port()
        self._as: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        """The DSN of the ``postgres`` database as the ``postgres`` superuser."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, check=False, timeout=120
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed: {(proc.stderr or proc.stdout)[-800:]}"
            )

    def _stop_command(self) -> list[str]:
        return [
            *self._as,
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "stop",
        ]

    def start(self) -> None:
        """initdb and start; raise RuntimeError with the server's words when it cannot."""
        self.sockets.mkdir()
        if os.geteuid() == 0:  # the server refuses to run as root
            if not shutil.which("runuser"):
                raise RuntimeError("running as root and runuser is not available")
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), *self._stop_command()],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.data.exists():
            subprocess.run(self._stop_command(), capture_output=True, check=False, timeout=60)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("TIMESYNC_REQUIRE_SERVERS") == "1":
        pytest.fail(f"PostgreSQL is required (TIMESYNC_REQUIRE_SERVERS=1): {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """The DSN of a PostgreSQL server running for this test session."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        _unavailable(f"psycopg is not installed ({exc}); pip install -e '.[postgres]'")
    bindir = find_bindir()
    if bindir is None:
        _unavailable("initdb not found (PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        _unavailable(str(exc))
    try:
        yield server.dsn
    finally:
        with contextlib.suppress(Exception):
            server.stop()


@pytest.fixture(scope="session")
def pg_pool(postgres_dsn: str) -> Iterator[Any]:
    """A connection pool on the session's server (closed at the end of the session)."""
    from psycopg_pool import ConnectionPool

    with ConnectionPool(postgres_dsn, min_size=2, max_size=20, open=True) as pool:
        yield pool


@pytest.fixture
def pg_schema(pg_pool: Any) -> Iterator[str]:
    """A schema of its own for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield schema
    with pg_pool.connection() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
