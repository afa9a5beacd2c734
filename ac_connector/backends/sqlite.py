"""Authentications in one embedded SQLite file (mode 0600): the default, nothing to install or run.

SQLite's own exceptions become typed errors here: a locked, damaged or foreign file is said plainly.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from . import NAME_ONLY, AuthRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS authentications (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    fields TEXT NOT NULL,
    secret_nonce BLOB NOT NULL,
    secret_blob BLOB NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    binding INTEGER NOT NULL DEFAULT 1
)
"""
_REQUIRED = {"name", "type", "fields", "secret_nonce", "secret_blob", "created", "updated"}
_COLUMNS = "name, type, fields, secret_nonce, secret_blob, created, updated, binding"
_VALUES = "?, ?, ?, ?, ?, ?, ?, ?"


def _typed(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(self: SqliteAuthBackend, *args: Any, **kwargs: Any) -> Any:
        with self._sqlite_errors():
            return method(self, *args, **kwargs)

    return guarded


class SqliteAuthBackend:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.RLock()
        _private_file(self.path)
        self.connection = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
        try:
            with self._sqlite_errors():
                self._open_schema()
        except BaseException:
            self.connection.close()
            raise

    @contextlib.contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        from ..store import StoreError

        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(f"the store {self.path} is locked by another process; try again") from None
            raise ConfigurationError(f"the store {self.path} cannot be used ({exc}); move it away to start a new one") from None
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(
                f"the store {self.path} is damaged or not an ac-connector store ({exc}); move it away to start a new one"
            ) from None

    def _open_schema(self) -> None:
        db = self.connection
        with db:
            db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait for it
            db.execute(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(authentications)")}
            if not columns >= _REQUIRED:
                raise ConfigurationError(
                    f"the store {self.path} holds a table 'authentications' that is not "
                    "ac-connector's; move it away to start a new one"
                )
            if "binding" not in columns:
                db.execute(f"ALTER TABLE authentications ADD COLUMN binding INTEGER NOT NULL DEFAULT {NAME_ONLY}")
        os.chmod(self.path, 0o600)

    @_typed
    def get(self, name: str) -> AuthRow | None:
        with self._lock:
            row = self.connection.execute(f"SELECT {_COLUMNS} FROM authentications WHERE name = ?", (name,)).fetchone()
        return AuthRow(*row) if row else None

    @_typed
    def list(self) -> list[AuthRow]:
        with self._lock:
            rows = self.connection.execute(f"SELECT {_COLUMNS} FROM authentications ORDER BY name").fetchall()
        return [AuthRow(*r) for r in rows]

    @_typed
    def insert(self, row: AuthRow) -> bool:
        try:
            with self._lock, self.connection:
                self.connection.execute(f"INSERT INTO authentications ({_COLUMNS}) VALUES ({_VALUES})", _values(row))
        except sqlite3.IntegrityError:
            return False
        return True

    @_typed
    def upsert(self, row: AuthRow) -> None:
        with self._lock, self.connection:
            self.connection.execute(
                f"INSERT INTO authentications ({_COLUMNS}) VALUES ({_VALUES}) ON CONFLICT (name) DO UPDATE SET "
                "type = excluded.type, fields = excluded.fields, secret_nonce = excluded.secret_nonce, "
                "secret_blob = excluded.secret_blob, updated = excluded.updated, binding = excluded.binding",
                _values(row),
            )

    @_typed
    def rebind(self, name: str, nonce: bytes, blob: bytes, binding: int) -> bool:
        with self._lock, self.connection:
            return (
                self.connection.execute(
                    "UPDATE authentications SET secret_nonce = ?, secret_blob = ?, binding = ? WHERE name = ? AND binding = ?",
                    (nonce, blob, binding, name, NAME_ONLY),
                ).rowcount
                == 1
            )

    @_typed
    def delete(self, name: str) -> bool:
        with self._lock, self.connection:
            return self.connection.execute("DELETE FROM authentications WHERE name = ?", (name,)).rowcount > 0

    def bind_key(self, check: bytes) -> bool:
        return True  # the key file lives beside this file: one host, one key

    def close(self) -> None:
        self.connection.close()


def _values(row: AuthRow) -> tuple:
    return (row.name, row.type, row.fields, row.nonce, row.blob, row.created, row.updated, row.binding)


def _private_file(path: Path) -> None:
    """Create the file as 0600 (never through a symlink), or tighten an existing one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except IsADirectoryError:
        raise ConfigurationError(f"{path} is a folder, not the store file; move it away") from None
    except OSError as exc:
        raise ConfigurationError(f"{path} cannot be opened ({exc.strerror or type(exc).__name__})") from None
    try:
        os.fchmod(fd, 0o600)
    except PermissionError:  # another user's file: usable only if it is private already
        if os.fstat(fd).st_mode & 0o077:
            raise ConfigurationError(f"{path} belongs to another user and others may read it") from None
    finally:
        os.close(fd)
