"""A real Redis server for the tests: started on 127.0.0.1 on a free port, in a temporary
directory, and stopped afterwards.

The session-scoped fixture ``redis_url`` skips its tests with the reason when no
``redis-server`` can be started, unless ``TIMESYNC_REQUIRE_SERVERS=1`` (CI), which fails them.
:func:`redis_server` starts one outside pytest (the fleet bench).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["RedisUnavailable", "find_redis_server", "redis_server", "redis_url"]


class RedisUnavailable(RuntimeError):
    """No Redis server could be started here (the message says why)."""


def find_redis_server() -> str | None:
    """The ``redis-server`` binary: on PATH, or where Debian's package puts it."""
    found = shutil.which("redis-server")
    if found:
        return found
    return "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(timeout: float = 15.0) -> Iterator[str]:
    """Run a Redis server for the duration of the block; yields its ``redis://`` URL.

    Raises:
        RedisUnavailable: No binary, or it did not answer within ``timeout`` seconds.
    """
    binary = find_redis_server()
    if binary is None:
        raise RedisUnavailable("redis-server not found (Debian package redis-server)")
    with tempfile.TemporaryDirectory(prefix="timesync-redis-") as folder:
        port = free_port()
        log = Path(folder) / "redis.log"
        options = {
            "bind": "127.0.0.1",
            "port": str(port),
            "dir": folder,
            "save": "",
            "appendonly": "no",
            "protected-mode": "yes",
            "logfile": str(log),
        }
        argv = [binary, *(arg for k, v in options.items() for arg in (f"--{k}", v))]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _ping(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text(errors="replace")[-400:] if log.exists() else ""
                    raise RedisUnavailable(f"redis-server did not start: {text.strip()}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis server for the whole test session."""
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        if os.environ.get("TIMESYNC_REQUIRE_SERVERS") == "1":
            pytest.fail(f"Redis is required here (TIMESYNC_REQUIRE_SERVERS=1): {exc}")
        pytest.skip(f"no Redis server: {exc}")
