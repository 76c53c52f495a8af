"""A ``timesync sync`` subprocess against a loopback emulator, and a fault injector that
kills it with SIGKILL at a chosen request (shared by the crash tests of push and pull)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import subprocess_env

from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve

__all__ = ["Killer", "finish_sync", "loopback", "start_sync", "write_sync_config"]


@pytest.fixture
def loopback() -> Iterator[tuple[Emulator, Killer, str]]:
    """A small demo company served on loopback, with a :class:`Killer` armed by the test."""
    killer = Killer()
    company = demo_company(employees=8, projects=6, tasks_per_project=3, customers=4)
    emulator = Emulator(company, faults=killer)
    with serve(emulator) as server:
        yield emulator, killer, server.url


class Killer(NoFaults):
    """A fault injector that SIGKILLs the client process at one request.

    Set ``pid`` to the process, ``at`` to the request number and ``when`` to ``"before"``
    (the request is not handled) or ``"after"`` (handled, the answer never arrives).
    """

    def __init__(self) -> None:
        self.pid: int | None = None
        self.at: int | None = None
        self.when = "after"
        self.fired = False

    def _kill(self, number: int, when: str) -> bool:
        if self.pid is not None and number == self.at and when == self.when and not self.fired:
            self.fired = True
            os.kill(self.pid, signal.SIGKILL)
            return True
        return False

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if self._kill(ctx.request_number, "before"):
            # answer instead of handling: the request must not be applied
            return EmulatorResponse(status=500, headers={}, body=b"", disconnect=True)
        return None

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        self._kill(ctx.request_number, "after")
        return response

    def kill_sync(self, cfg: Path, number: int, when: str, *extra: str) -> None:
        """Run ``timesync sync`` on ``cfg`` and kill it at request ``number`` (``when`` as
        above); fails the test unless it died there. The killer is disarmed after."""
        self.at, self.when = number, when
        proc = start_sync(cfg, *extra)
        self.pid = proc.pid
        try:
            code, out = finish_sync(proc)
        finally:
            self.pid = None
        assert self.fired, f"the run finished before request {number}: {out}"
        assert code == -signal.SIGKILL


def write_sync_config(
    folder: Path, url: str, emulator: Emulator, *, push: tuple[str, ...] | None = None
) -> Path:
    """A config for ``timesync sync`` against the emulator at ``url``; ``push`` names the
    pushed objects (default: timesheets only), in an ``[engine]`` table the caller must not
    add again."""
    c = emulator.credentials
    engine = "" if push is None else f"[engine]\npush = {json.dumps(list(push))}\n"
    cfg = folder / "sync.toml"
    cfg.write_text(
        f"""
[intacct]
endpoint_url = "{url}"
sender_id = "{c.sender_id}"
sender_password = "{c.sender_password}"
company_id = "{c.company_id}"
user_id = "{c.user_id}"
user_password = "{c.user_password}"
timezone = "UTC"

[state]
path = "state.db"

[local]
reference = "app.db"

{engine}
[push]
target_state = "Approved"
batch_size = 3
""",
        encoding="utf-8",
    )
    return cfg


def start_sync(cfg: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "timesync.cli", "sync", "--config", str(cfg), *extra],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_sync(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=30)
        pytest.fail(f"sync did not finish:\n{out}")
    return proc.returncode, out
