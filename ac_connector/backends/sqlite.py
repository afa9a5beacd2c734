"""Authentications in one embedded SQLite file (mode 0600): the default, nothing to install or run."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from . import AuthRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS authentications (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    fields TEXT NOT NULL,
    secret_nonce BLOB NOT NULL,
    secret_blob BLOB NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
)
"""
_COLUMNS = "name, type, fields, secret_nonce, secret_blob, created, updated"


class SqliteAuthBackend:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute(_SCHEMA)
        self._db.commit()
        os.chmod(self.path, 0o600)

    def get(self, name: str) -> AuthRow | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM authentications WHERE name = ?", (name,)).fetchone()
        return AuthRow(*row) if row else None

    def list(self) -> list[AuthRow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM authentications ORDER BY name").fetchall()
        return [AuthRow(*r) for r in rows]

    def insert(self, row: AuthRow) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute(f"INSERT OR IGNORE INTO authentications ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                      _values(row))
        return cursor.rowcount == 1

    def upsert(self, row: AuthRow) -> None:
        with self._lock, self._db:
            self._db.execute(
                f"INSERT INTO authentications ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "type = excluded.type, fields = excluded.fields, secret_nonce = excluded.secret_nonce, "
                "secret_blob = excluded.secret_blob, updated = excluded.updated", _values(row))

    def delete(self, name: str) -> bool:
        with self._lock, self._db:
            return self._db.execute("DELETE FROM authentications WHERE name = ?", (name,)).rowcount > 0

    def bind_key(self, check: bytes) -> bool:
        return True  # the key file lives beside this file: one host, one key

    def close(self) -> None:
        self._db.close()


def _values(row: AuthRow) -> tuple:
    return (row.name, row.type, row.fields, row.nonce, row.blob, row.created, row.updated)
