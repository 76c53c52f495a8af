"""A company's SQLite file: its records, declarations, RECORDNO sequences and control IDs.

:class:`~intacct_sdk.testing.Company` keeps everything in memory and writes each change
through to a :class:`CompanyFile` when it has one, so a company outlives its process. The file
holds three tables: ``records`` (one JSON document per record, by object and RECORDNO),
``meta`` (the declarations and each object's last RECORDNO given out) and ``controlids``
(the function control IDs remembered for ``uniqueid``, in the order remembered).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["CompanyFile"]


class CompanyFile:
    """An open SQLite file holding one company (created empty when missing).

    Writes go into the open transaction; :meth:`commit` keeps them, :meth:`rollback` drops
    them. Not locked: the company calls it holding its own lock.

    Args:
        path: The file.

    Raises:
        sqlite3.Error: ``path`` cannot be opened as a SQLite database.
    """

    def __init__(self, path: str) -> None:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level="DEFERRED")
        db.execute(
            "CREATE TABLE IF NOT EXISTS records(object TEXT NOT NULL, recordno INTEGER NOT NULL,"
            " data TEXT NOT NULL, PRIMARY KEY(object, recordno))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS controlids(id TEXT PRIMARY KEY)")
        db.commit()
        self._db = db
        self._meta = dict(db.execute("SELECT key, value FROM meta").fetchall())

    # reading (when the company opens the file)

    def definitions(self) -> dict[str, Any] | None:
        """The declarations saved (custom fields, dimensions, entities), or None."""
        saved = self._meta.get("definitions")
        return json.loads(saved) if saved is not None else None

    def records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every record saved, as (object, record), by object and RECORDNO."""
        for name, data in self._db.execute(
            "SELECT object, data FROM records ORDER BY object, recordno"
        ):
            yield name, json.loads(data)

    def sequences(self) -> Iterator[tuple[str, int]]:
        """Each object's last RECORDNO given out, as (object, RECORDNO)."""
        for key, value in self._meta.items():
            if key.startswith("seq:"):
                yield key[4:], int(value)

    def control_ids(self) -> list[str]:
        """The control IDs remembered, oldest first."""
        return [r[0] for r in self._db.execute("SELECT id FROM controlids ORDER BY rowid")]

    # writing

    def put(self, object_name: str, record_no: int, record: Mapping[str, Any]) -> None:
        """Write a record (replacing the one with its RECORDNO)."""
        self._db.execute(
            "INSERT OR REPLACE INTO records(object, recordno, data) VALUES (?, ?, ?)",
            (object_name, record_no, json.dumps(record, separators=(",", ":"))),
        )

    def delete(self, object_name: str, record_no: int) -> None:
        """Delete a record."""
        self._db.execute(
            "DELETE FROM records WHERE object = ? AND recordno = ?", (object_name, record_no)
        )

    def remember(self, control_id: str, forgotten: list[str]) -> None:
        """Add a control ID and drop those the company forgot."""
        self._db.execute("INSERT OR IGNORE INTO controlids(id) VALUES (?)", (control_id,))
        if forgotten:
            self._db.executemany("DELETE FROM controlids WHERE id = ?", [(f,) for f in forgotten])

    def save_definitions(self, payload: Mapping[str, Any]) -> None:
        """Save the declarations and commit."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('definitions', ?)",
            (json.dumps(payload),),
        )
        self._db.commit()

    def commit(self, sequences: Mapping[str, int]) -> None:
        """Save the RECORDNO sequences given and commit everything written."""
        if sequences:
            self._db.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [(f"seq:{name}", str(seq)) for name, seq in sequences.items()],
            )
        self._db.commit()

    def rollback(self) -> None:
        """Drop everything written since the last commit."""
        self._db.rollback()

    def close(self) -> None:
        """Commit and close the file."""
        self._db.commit()
        self._db.close()
