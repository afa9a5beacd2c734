"""The run store's SQL seam on PostgreSQL: ``RunStore(PostgresRunBackend(url))`` shares runs between hosts.

``RunStore`` speaks portable SQL with ``?`` placeholders; this adapter turns them into psycopg's ``%s``.
The tables come from the versioned migrations in ``pg.py`` (applied once, under a lock), so the
``CREATE ... IF NOT EXISTS`` that ``RunStore`` issues on start are no-ops here, and two hosts
starting together never race to create them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .pg import PgSession


def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresRunBackend:
    def __init__(self, url: str) -> None:
        self.session = PgSession(url)
        self.location = self.session.location

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.session.transaction() as cursor:
            cursor.execute(_pg(sql), tuple(params))
            return cursor.rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.session.transaction() as cursor:
            cursor.execute(_pg(sql), tuple(params))
            return cursor.fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for the statements inside (nested calls become savepoints)."""
        with self.session.transaction():
            yield

    def close(self) -> None:
        self.session.close()
