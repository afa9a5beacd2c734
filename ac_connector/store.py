"""Named authentications, secrets encrypted at rest: an embedded SQLite file, or PostgreSQL by URL.

AES-256-GCM (an authenticated cipher, from the ``cryptography`` package) with
the authentication's name, type and normalised URL as associated data: a
ciphertext cannot be moved to another row, and a URL edited in the database
(by someone without the data key) makes decryption fail instead of sending the
key to that URL. Rows of older stores (bound to the name only) are re-encrypted
when the store is opened. The data key comes from ``AC_CONNECTOR_SECRET_KEY``
(base64, 32 bytes) or from a key file of mode 0600 in ``AC_CONNECTOR_HOME``: on
every host, never in the database; the folder is kept at 0700.

Where the rows live is a backend (``backends/``): an SQLite file (0600) in the home folder by
default, or PostgreSQL when ``AC_CONNECTOR_STORE`` (or ``url``) is a ``postgresql://`` URL, so that
several hosts share one store. This module keeps every rule; a backend only stores rows.
"""

from __future__ import annotations

import base64
import contextlib
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

from .backends import NAME_ONLY, NAME_TYPE_URL, AuthRow, open_auth_backend, store_url
from .errors import ConfigurationError
from .paths import data_home

TYPES = ("personal", "organisational")


class StoreError(ConnectorError):
    type = "store"


class AuthenticationExists(StoreError):
    """The name is taken (also when two processes add it at the same moment: one of them gets this)."""

    type = "already_exists"


@dataclass(frozen=True)
class StoredAuthentication:
    """What may be shown of an authentication: never its secrets."""

    name: str
    type: str
    fields: Mapping[str, Any]
    created: float
    updated: float

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            **self.fields,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
        }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class AuthStore:
    """CRUD over stored authentications; secret field names and the URL field come from the manifest."""

    def __init__(
        self,
        home: Path | None = None,
        *,
        secret_fields: Iterable[str] = ("api_key",),
        url_field: str = "api_url",
        url: str | None = None,
    ) -> None:
        self.home = Path(home) if home else data_home()
        self.secret_fields = frozenset(secret_fields)
        self.url_field = url_field
        self.path = self.home / "authentications.sqlite3"
        _private_folder(self.home)
        shared = store_url(url)
        key = self._data_key(create=shared is None)
        self._cipher = AESGCM(key)
        try:
            self._rows = open_auth_backend(shared, self.home)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        try:
            if not self._rows.bind_key(_key_check(key)):
                raise StoreError(
                    f"the store {self._rows.location} is sealed with another data key: give this host "
                    "the same AC_CONNECTOR_SECRET_KEY (or secret.key) as the others"
                )
            self._migrate_bindings()
        except BaseException:
            self._rows.close()
            raise

    @property
    def location(self) -> str:
        """Where the rows are (a file path, or the PostgreSQL URL without its password)."""
        return self._rows.location

    @property
    def _db(self) -> Any:
        """The SQLite connection (tests edit rows behind the store's back through it)."""
        return self._rows.connection

    def _migrate_bindings(self) -> None:
        """Re-encrypt rows bound to their name only, so that they are bound to their type and URL too."""
        for row in self._rows.list():
            if row.binding != NAME_ONLY:
                continue
            try:
                plain = self._cipher.decrypt(row.nonce, row.blob, row.name.encode())
            except InvalidTag:
                continue  # undecryptable already; reading it says so
            nonce = os.urandom(12)
            blob = self._cipher.encrypt(nonce, plain, self._associated(row.name, row.type, json.loads(row.fields)))
            self._rows.rebind(row.name, nonce, blob, NAME_TYPE_URL)  # only if still NAME_ONLY: races are harmless

    def _associated(self, name: str, type: str, public: Mapping[str, Any]) -> bytes:
        """What the ciphertext is bound to: the name, the type and the normalised URL."""
        url = str(public.get(self.url_field) or "").strip().rstrip("/").lower()
        return json.dumps({"name": name, "type": type, "url": url}, sort_keys=True).encode()

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
            raise StoreError(
                "a shared store needs the data key on every host: set AC_CONNECTOR_SECRET_KEY "
                f"(base64 of 32 bytes) or copy the first host's secret.key to {path}"
            )
        if not path.exists():
            _create_key_file(path)
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
        blob = self._cipher.encrypt(nonce, json.dumps(secret).encode(), self._associated(name, type, public))
        now = time.time()
        row = AuthRow(name, type, json.dumps(public), nonce, blob, now, now, NAME_TYPE_URL)
        if replace:
            self._rows.upsert(row)
        elif not self._rows.insert(row):  # one atomic statement: of two writers adding one name, one wins
            raise AuthenticationExists(f"an authentication named {name!r} exists already (use --replace to replace it)")
        return self.get(name)

    def update(self, name: str, fields: Mapping[str, Any]) -> StoredAuthentication:
        """Change fields; a new URL needs the secrets again, so an editor cannot redirect a key they cannot read."""
        current = self.get(name)
        if self.url_field in fields and fields[self.url_field] != current.fields.get(self.url_field):
            missing = [k for k in self.secret_fields if k not in fields]
            if missing:
                raise ValidationError(
                    [
                        {
                            "pointer": f"/{k}",
                            "keyword": "required",
                            "message": "changing the URL requires entering the API key again",
                        }
                        for k in sorted(missing)
                    ]
                )
        merged = {**current.fields, **self.secrets(name), **fields}
        return self.add(name, current.type, merged, replace=True)

    def remove(self, name: str) -> None:
        if not self._rows.delete(name):
            raise StoreError(f"no authentication named {name!r}")

    # -- reads ---------------------------------------------------------------------------------
    def list(self) -> list[StoredAuthentication]:
        return [StoredAuthentication(r.name, r.type, json.loads(r.fields), r.created, r.updated) for r in self._rows.list()]

    def get(self, name: str) -> StoredAuthentication:
        row = self._row(name)
        return StoredAuthentication(row.name, row.type, json.loads(row.fields), row.created, row.updated)

    def secrets(self, name: str) -> dict[str, Any]:
        row = self._row(name)
        associated = name.encode() if row.binding == NAME_ONLY else self._associated(name, row.type, json.loads(row.fields))
        try:
            return json.loads(self._cipher.decrypt(row.nonce, row.blob, associated))
        except InvalidTag:
            raise StoreError(
                f"the stored secret of {name!r} cannot be decrypted: this authentication was changed "
                "outside ac-connector (its name, type or URL no longer match its encrypted key), or "
                "the data key is not the one it was saved with. Add it again with --replace."
            ) from None

    def fields(self, name: str) -> dict[str, Any]:
        """Every field, secrets decrypted: only for handing to the engine."""
        return {**self.get(name).fields, **self.secrets(name)}

    def _row(self, name: str) -> AuthRow:
        row = self._rows.get(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        return row

    def close(self) -> None:
        self._rows.close()


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationError(
            [{"pointer": "/name", "keyword": "pattern", "message": "a name of 1 to 100 printable characters is required"}]
        )


def _key_check(key: bytes) -> bytes:
    """A MAC of a constant under the data key: tells hosts with different keys apart, reveals nothing of it."""
    import hashlib
    import hmac

    return hmac.new(key, b"ac-connector data key check v1", hashlib.sha256).digest()


def _private_folder(path: Path) -> None:
    """Create the folder as 0700, or tighten an existing one: the store and key live in it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.is_dir():
            raise NotADirectoryError(str(path))
        if os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o700)
        elif os.stat(path).st_mode & 0o022:
            raise ConfigurationError(
                f"{path} belongs to another user and others may write to it; set AC_CONNECTOR_HOME to a folder of your own"
            )
    except (FileExistsError, NotADirectoryError):
        raise ConfigurationError(
            f"{path} (AC_CONNECTOR_HOME or its default) is a file, not a folder; set AC_CONNECTOR_HOME to a folder"
        ) from None
    except PermissionError:
        raise ConfigurationError(
            f"{path} cannot be created or used: permission denied; set AC_CONNECTOR_HOME to a folder of your own"
        ) from None


def _create_key_file(path: Path) -> None:
    """Write a new data key atomically: a process starting at the same moment reads either no file or the
    whole key (the first link wins; a loser reads the winner's key)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(AESGCM.generate_key(bit_length=256))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
