"""One PostgreSQL session per store object: versioned migrations, a lock, reconnection after a restart.

Needs the optional extra ``celery`` (``psycopg``). Migrations are numbered and applied in order,
each in its own transaction under an advisory lock, so hosts starting at once apply each one once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import ConnectorError

from . import redact_url

_MIGRATION_LOCK = 0x61632D636F6E6E  # any constant shared by every host ("ac-conn")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


# Every table the connector keeps in PostgreSQL, in order. Never edit an applied migration: add one.
MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "authentications",
        """
        CREATE TABLE authentications (
            name TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            fields TEXT NOT NULL,
            secret_nonce BYTEA NOT NULL,
            secret_blob BYTEA NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            binding INTEGER NOT NULL DEFAULT 2
        )""",
    ),
    Migration(
        2,
        "store_meta",
        """
        CREATE TABLE store_meta (
            key TEXT PRIMARY KEY,
            value BYTEA NOT NULL
        )""",
    ),
    # The run store's tables (ac_connector/workflows/runs.py keeps the same columns for SQLite).
    Migration(
        3,
        "runs",
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            workflow_name TEXT NOT NULL,
            workflow TEXT NOT NULL,
            trigger_data TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            error TEXT,
            stopped_at TEXT,
            resumed_from TEXT,
            resumed_by TEXT,
            owner TEXT NOT NULL
        );
        CREATE INDEX runs_by_start ON runs (started_at);
        CREATE INDEX runs_by_workflow ON runs (workflow_name, started_at);
        CREATE TABLE run_steps (
            run_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            step_id TEXT NOT NULL,
            name TEXT NOT NULL,
            operation TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT,
            output TEXT,
            error TEXT,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            duration_ms DOUBLE PRECISION,
            PRIMARY KEY (run_id, idx)
        );
        CREATE TABLE saved_workflows (
            name TEXT PRIMARY KEY,
            document TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        )""",
    ),
    # The triggers' tables (ac_connector/triggers/store.py keeps the same columns for SQLite).
    Migration(
        4,
        "triggers",
        """
        CREATE TABLE triggers (
            id TEXT PRIMARY KEY,
            workflow_name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            workflow TEXT NOT NULL,
            secret_hash TEXT,
            webhook_id TEXT,
            public_url TEXT,
            enabled DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE trigger_events (
            trigger_id TEXT NOT NULL,
            event_key TEXT NOT NULL,
            run_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            received DOUBLE PRECISION NOT NULL,
            state TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (trigger_id, event_key)
        );
        CREATE INDEX trigger_events_by_state ON trigger_events (state, received);
        CREATE TABLE trigger_cursors (
            trigger_id TEXT PRIMARY KEY,
            cursor TEXT NOT NULL,
            updated DOUBLE PRECISION NOT NULL
        )""",
    ),
]


class StoreUnavailable(ConnectorError):
    """PostgreSQL cannot be reached or refused the session; the message names the URL without its password."""

    type = "store_unavailable"
    retryable = True


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        raise StoreUnavailable("a postgresql:// store needs the optional extra: pip install 'ac-connector[celery]'") from None
    return psycopg


class PgSession:
    """A lazily (re)opened autocommit connection shared by the threads of one store object."""

    def __init__(self, url: str, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.url = url
        self.location = redact_url(url)
        self._migrations = list(migrations)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._psycopg = _psycopg()

    def _connect(self) -> Any:
        try:
            conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"cannot open the store {self.location}: {type(exc).__name__}") from None
        migrate(conn, self._migrations)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction. A lost connection is dropped (and reopened by the next call), and
        the failure is a ``StoreUnavailable``: a caller retries only what it knows to be safe to repeat."""
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            conn = self._conn
            try:
                with conn.transaction(), conn.cursor() as cursor:
                    yield cursor
            except self._psycopg.OperationalError as exc:
                if conn.closed or conn.broken:
                    self._conn = None
                    conn.close()
                raise StoreUnavailable(f"the store {self.location} failed: {type(exc).__name__}") from None

    def run(self, work: Callable[[Any], Any]) -> Any:
        with self.transaction() as cursor:
            return work(cursor)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def migrate(conn: Any, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations this database lacks, in order; returns the versions applied now."""
    applied_now: list[int] = []
    with conn.transaction():  # under the lock too: two first starts would both create the table
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in done:
            continue
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)).fetchone():
                continue  # another host applied it while we waited for the lock
            conn.execute(migration.sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (migration.version, migration.name))
            applied_now.append(migration.version)
    return applied_now
