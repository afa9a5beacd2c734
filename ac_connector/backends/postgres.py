"""Authentications in PostgreSQL, shared by every host; rows arrive already sealed by ``AuthStore``."""

from __future__ import annotations

from . import NAME_ONLY, AuthRow
from .pg import PgSession

_COLUMNS = "name, type, fields, secret_nonce, secret_blob, created, updated, binding"
_VALUES = "%s, %s, %s, %s, %s, %s, %s, %s"
_KEY_CHECK = "data_key_check"


class PostgresAuthBackend:
    def __init__(self, url: str) -> None:
        self.session = PgSession(url)
        self.location = self.session.location

    def get(self, name: str) -> AuthRow | None:
        row = self.session.run(
            lambda c: c.execute(f"SELECT {_COLUMNS} FROM authentications WHERE name = %s", (name,)).fetchone()
        )
        return _row(row) if row else None

    def list(self) -> list[AuthRow]:
        rows = self.session.run(lambda c: c.execute(f"SELECT {_COLUMNS} FROM authentications ORDER BY name").fetchall())
        return [_row(r) for r in rows]

    def insert(self, row: AuthRow) -> bool:
        return self.session.run(
            lambda c: (
                c.execute(
                    f"INSERT INTO authentications ({_COLUMNS}) VALUES ({_VALUES}) ON CONFLICT (name) DO NOTHING", _values(row)
                ).rowcount
                == 1
            )
        )

    def upsert(self, row: AuthRow) -> None:
        self.session.run(
            lambda c: c.execute(
                f"INSERT INTO authentications ({_COLUMNS}) VALUES ({_VALUES}) "
                "ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, fields = EXCLUDED.fields, "
                "secret_nonce = EXCLUDED.secret_nonce, secret_blob = EXCLUDED.secret_blob, updated = EXCLUDED.updated, "
                "binding = EXCLUDED.binding",
                _values(row),
            )
        )

    def rebind(self, name: str, nonce: bytes, blob: bytes, binding: int) -> bool:
        return self.session.run(
            lambda c: (
                c.execute(
                    "UPDATE authentications SET secret_nonce = %s, secret_blob = %s, binding = %s WHERE name = %s "
                    "AND binding = %s",
                    (nonce, blob, binding, name, NAME_ONLY),
                ).rowcount
                == 1
            )
        )

    def delete(self, name: str) -> bool:
        return self.session.run(lambda c: c.execute("DELETE FROM authentications WHERE name = %s", (name,)).rowcount > 0)

    def bind_key(self, check: bytes) -> bool:
        """The first host records its key's check value; a host with another key is refused, not let write."""

        def work(c):
            c.execute("INSERT INTO store_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING", (_KEY_CHECK, check))
            return bytes(c.execute("SELECT value FROM store_meta WHERE key = %s", (_KEY_CHECK,)).fetchone()[0])

        return self.session.run(work) == check

    def close(self) -> None:
        self.session.close()


def _row(r: tuple) -> AuthRow:
    return AuthRow(r[0], r[1], r[2], bytes(r[3]), bytes(r[4]), r[5], r[6], r[7])


def _values(row: AuthRow) -> tuple:
    return (row.name, row.type, row.fields, row.nonce, row.blob, row.created, row.updated, row.binding)
