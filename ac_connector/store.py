"""Named authentications in an embedded SQLite file, secrets encrypted at rest.

AES-256-GCM (an authenticated cipher, from the ``cryptography`` package) with
the authentication's name as associated data, so a ciphertext cannot be moved
to another row. The data key comes from ``AC_CONNECTOR_SECRET_KEY`` (base64,
32 bytes) or from a key file of mode 0600 beside the database.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import ConnectorError, ValidationError

from .paths import data_home

TYPES = ("personal", "organisational")
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


class StoreError(ConnectorError):
    type = "store"


@dataclass(frozen=True)
class StoredAuthentication:
    """What may be shown of an authentication: never its secrets."""

    name: str
    type: str
    fields: Mapping[str, Any]
    created: float
    updated: float

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, **self.fields,
                "created": _iso(self.created), "updated": _iso(self.updated)}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class AuthStore:
    """CRUD over stored authentications; secret field names and the URL field come from the manifest."""

    def __init__(self, home: Path | None = None, *, secret_fields: Iterable[str] = ("api_key",),
                 url_field: str = "api_url") -> None:
        self.home = Path(home) if home else data_home()
        self.secret_fields = frozenset(secret_fields)
        self.url_field = url_field
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._cipher = AESGCM(self._data_key())
        self._db = sqlite3.connect(self.home / "authentications.sqlite3", check_same_thread=False)
        self._db.execute(_SCHEMA)
        self._db.commit()
        os.chmod(self.home / "authentications.sqlite3", 0o600)

    def _data_key(self) -> bytes:
        from_env = os.environ.get("AC_CONNECTOR_SECRET_KEY")
        if from_env:
            try:
                key = base64.b64decode(from_env, validate=True)
            except ValueError:
                key = b""
            if len(key) != 32:
                raise StoreError("AC_CONNECTOR_SECRET_KEY must be 32 bytes, base64-encoded")
            return key
        path = self.home / "secret.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(AESGCM.generate_key(bit_length=256))
        if path.stat().st_mode & 0o077:
            raise StoreError(f"{path} must be readable by its owner only (chmod 600)")
        key = path.read_bytes()
        if len(key) != 32:
            raise StoreError(f"{path} is not a 32-byte key")
        return key

    # -- writes --------------------------------------------------------------------------------
    def add(self, name: str, type: str, fields: Mapping[str, Any], *, replace: bool = False) -> StoredAuthentication:
        _check_name(name)
        if type not in TYPES:
            raise ValidationError([{"pointer": "/type", "keyword": "enum", "message": "type is personal or organisational"}])
        if not replace and self._row(name) is not None:
            raise StoreError(f"an authentication named {name!r} exists already")
        public = {k: v for k, v in fields.items() if k not in self.secret_fields}
        secret = {k: v for k, v in fields.items() if k in self.secret_fields}
        nonce = os.urandom(12)
        blob = self._cipher.encrypt(nonce, json.dumps(secret).encode(), name.encode())
        now = time.time()
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO authentications VALUES (?, ?, ?, ?, ?, COALESCE((SELECT created FROM "
                "authentications WHERE name = ?), ?), ?)",
                (name, type, json.dumps(public), nonce, blob, name, now, now))
        return self.get(name)

    def update(self, name: str, fields: Mapping[str, Any]) -> StoredAuthentication:
        """Change fields; a new URL needs the secrets again, so an editor cannot redirect a key they cannot read."""
        current = self.get(name)
        if self.url_field in fields and fields[self.url_field] != current.fields.get(self.url_field):
            missing = [k for k in self.secret_fields if k not in fields]
            if missing:
                raise ValidationError([{"pointer": f"/{k}", "keyword": "required",
                                        "message": "changing the URL requires entering the API key again"}
                                       for k in sorted(missing)])
        merged = {**current.fields, **self.secrets(name), **fields}
        return self.add(name, current.type, merged, replace=True)

    def remove(self, name: str) -> None:
        with self._db:
            deleted = self._db.execute("DELETE FROM authentications WHERE name = ?", (name,)).rowcount
        if not deleted:
            raise StoreError(f"no authentication named {name!r}")

    # -- reads ---------------------------------------------------------------------------------
    def list(self) -> list[StoredAuthentication]:
        rows = self._db.execute("SELECT name, type, fields, created, updated FROM authentications ORDER BY name")
        return [StoredAuthentication(n, t, json.loads(f), c, u) for n, t, f, c, u in rows]

    def get(self, name: str) -> StoredAuthentication:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        return StoredAuthentication(row[0], row[1], json.loads(row[2]), row[5], row[6])

    def secrets(self, name: str) -> dict[str, Any]:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        try:
            return json.loads(self._cipher.decrypt(row[3], row[4], name.encode()))
        except InvalidTag:
            raise StoreError(f"the stored secret of {name!r} cannot be decrypted with this key") from None

    def fields(self, name: str) -> dict[str, Any]:
        """Every field, secrets decrypted: only for handing to the engine."""
        return {**self.get(name).fields, **self.secrets(name)}

    def _row(self, name: str) -> tuple[Any, ...] | None:
        return self._db.execute("SELECT * FROM authentications WHERE name = ?", (name,)).fetchone()

    def close(self) -> None:
        self._db.close()


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationError([{"pointer": "/name", "keyword": "pattern",
                                "message": "a name of 1 to 100 printable characters is required"}])
