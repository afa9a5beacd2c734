"""Named authentications, secrets encrypted at rest: an embedded SQLite file, or PostgreSQL by URL.

AES-256-GCM (an authenticated cipher, from the ``cryptography`` package) with
the authentication's name as associated data, so a ciphertext cannot be moved
to another row. The data key comes from ``AC_CONNECTOR_SECRET_KEY`` (base64,
32 bytes) or from a key file of mode 0600 in ``AC_CONNECTOR_HOME``: on every host, never in the
database. Where the rows live is a backend (``backends/``): SQLite by default, PostgreSQL when
``AC_CONNECTOR_STORE`` (or ``url``) is a ``postgresql://`` URL, for several hosts.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import ConnectorError, ValidationError

from .backends import AuthRow, open_auth_backend, store_url
from .paths import data_home

TYPES = ("personal", "organisational")


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
                 url_field: str = "api_url", url: str | None = None) -> None:
        self.home = Path(home) if home else data_home()
        self.secret_fields = frozenset(secret_fields)
        self.url_field = url_field
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        shared = store_url(url)
        key = self._data_key(create=shared is None)
        self._cipher = AESGCM(key)
        try:
            self._rows = open_auth_backend(shared, self.home)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        if not self._rows.bind_key(_key_check(key)):
            self._rows.close()
            raise StoreError(f"the store {self._rows.location} is sealed with another data key: give this host the "
                             "same AC_CONNECTOR_SECRET_KEY (or secret.key) as the others")

    def _data_key(self, *, create: bool = True) -> bytes:
        """The environment's key, else ``secret.key`` in the home folder, made on first use when ``create``
        (a shared store is opened with a key every host was given, so a second host never invents its own)."""
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
        if not path.exists() and not create:
            raise StoreError("a shared store needs the data key on every host: set AC_CONNECTOR_SECRET_KEY "
                             f"(base64 of 32 bytes) or copy the first host's secret.key to {path}")
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
        public = {k: v for k, v in fields.items() if k not in self.secret_fields}
        secret = {k: v for k, v in fields.items() if k in self.secret_fields}
        nonce = os.urandom(12)
        blob = self._cipher.encrypt(nonce, json.dumps(secret).encode(), name.encode())
        now = time.time()
        row = AuthRow(name, type, json.dumps(public), nonce, blob, now, now)
        if replace:
            self._rows.upsert(row)
        elif not self._rows.insert(row):  # one atomic statement: two hosts adding one name cannot both win
            raise StoreError(f"an authentication named {name!r} exists already")
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
        if not self._rows.delete(name):
            raise StoreError(f"no authentication named {name!r}")

    # -- reads ---------------------------------------------------------------------------------
    def list(self) -> list[StoredAuthentication]:
        return [StoredAuthentication(r.name, r.type, json.loads(r.fields), r.created, r.updated)
                for r in self._rows.list()]

    def get(self, name: str) -> StoredAuthentication:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        return StoredAuthentication(row.name, row.type, json.loads(row.fields), row.created, row.updated)

    def secrets(self, name: str) -> dict[str, Any]:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        try:
            return json.loads(self._cipher.decrypt(row.nonce, row.blob, name.encode()))
        except InvalidTag:
            raise StoreError(f"the stored secret of {name!r} cannot be decrypted with this key") from None

    def fields(self, name: str) -> dict[str, Any]:
        """Every field, secrets decrypted: only for handing to the engine."""
        return {**self.get(name).fields, **self.secrets(name)}

    def _row(self, name: str) -> AuthRow | None:
        return self._rows.get(name)

    @property
    def location(self) -> str:
        """Where the rows are (a file path, or the PostgreSQL URL without its password)."""
        return self._rows.location

    def close(self) -> None:
        self._rows.close()


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationError([{"pointer": "/name", "keyword": "pattern",
                                "message": "a name of 1 to 100 printable characters is required"}])


def _key_check(key: bytes) -> bytes:
    """A MAC of a constant under the data key: tells hosts with different keys apart, reveals nothing of it."""
    import hashlib
    import hmac

    return hmac.new(key, b"ac-connector data key check v1", hashlib.sha256).digest()
