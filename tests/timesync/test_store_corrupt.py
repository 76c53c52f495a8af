"""A state store that cannot be used stops every command with one line, and nothing is
written to it."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import subprocess_env

from timesync.store import Link, SQLiteStateStore, StateStoreError


def _filled(path: Path) -> None:
    with SQLiteStateStore(path) as store, store.transaction():
        for i in range(3000):
            store.put_link(Link("EMPLOYEE", f"E{i:05}", str(i), record_no=i, content_hash="x" * 40))
    _no_wal(path)


def _no_wal(path: Path) -> None:
    """Leave the database in one file (no -wal or -shm beside it)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def _truncated(path: Path) -> None:
    _filled(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_a_database(path: Path) -> None:
    path.write_text("this is a spreadsheet export, not a database\n" * 200)


def _directory(path: Path) -> None:
    path.mkdir()


def _dropped_table(path: Path) -> None:
    _filled(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE outbox")
    conn.commit()
    conn.close()
    _no_wal(path)


CASES: dict[str, Callable[[Path], None]] = {
    "truncated": _truncated,
    "not a database": _not_a_database,
    "a directory": _directory,
    "a dropped table": _dropped_table,
}


def _fingerprint(folder: Path) -> dict[str, str]:
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            out[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
        else:
            out[f.name + "/"] = ""
    return out


@pytest.mark.parametrize("damage", sorted(CASES))
def test_opening_a_damaged_store_is_one_clear_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "state.db"
    CASES[damage](path)
    before = _fingerprint(tmp_path)
    with pytest.raises(StateStoreError) as info:
        SQLiteStateStore(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert "backup" in message
    assert _fingerprint(tmp_path) == before


@pytest.mark.parametrize("damage", sorted(CASES))
@pytest.mark.parametrize("command", ["status", "sync"])
def test_the_console_script_says_one_line_and_exits_2(
    tmp_path: Path, damage: str, command: str
) -> None:
    cfg = tmp_path / "sync.toml"
    cfg.write_text(
        '[intacct]\nendpoint_url = "http://127.0.0.1:9/ia/xml/xmlgw.phtml"\n'
        'sender_id = "s"\nsender_password = "p"\ncompany_id = "c"\nuser_id = "u"\n'
        'user_password = "p"\ntimezone = "UTC"\n[state]\npath = "state.db"\n',
        encoding="utf-8",
    )
    CASES[damage](tmp_path / "state.db")
    before = _fingerprint(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "timesync.cli", command, "--config", str(cfg)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "state.db" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert _fingerprint(tmp_path) == before
