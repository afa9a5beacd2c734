"""Named authentications in an embedded SQLite file, secrets encrypted at rest.

AES-256-GCM (an authenticated cipher, from the ``cryptography`` package) with
the authentication's name, type and normalised URL as associated data: a
ciphertext cannot be moved to another row, and a URL edited in the database
(by someone without the data key) makes decryption fail instead of sending the
key to that URL. Rows of older stores (bound to the name only) are re-encrypted
when the store is opened. The data key comes from ``AC_CONNECTOR_SECRET_KEY``
(base64, 32 bytes) or from a key file of mode 0600 beside the database; the
folder is kept at 0700 and the database at 0600.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import ConnectorError, ValidationError

from .errors import ConfigurationError
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
    updated REAL NOT NULL,
    binding INTEGER NOT NULL DEFAULT 1
)
"""
_COLUMNS = {"name", "type", "fields", "secret_nonce", "secret_blob", "created", "updated"}
_ROW = "name, type, fields, secret_nonce, secret_blob, created, updated, binding"
NAME_ONLY, NAME_TYPE_URL = 1, 2  # what a row's associated data covers


class StoreError(ConnectorError):
    type = "store"


class AuthenticationExists(StoreError):
    """The name is taken (also when two processes add it at the same moment: one of them gets this)."""

    type = "already_exists"


def _database_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """SQLite's own exceptions as typed errors: a locked, damaged or foreign file is said plainly."""

    @functools.wraps(method)
    def guarded(self: AuthStore, *args: Any, **kwargs: Any) -> Any:
        with self._sqlite_errors():
            return method(self, *args, **kwargs)

    return guarded


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
        self.path = self.home / "authentications.sqlite3"
        _private_folder(self.home)
        self._cipher = AESGCM(self._data_key())
        _private_file(self.path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
        try:
            with self._sqlite_errors():
                self._open_schema()
        except BaseException:
            self._db.close()
            raise

    @contextlib.contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(f"the store {self.path} is locked by another process; try again") from None
            raise ConfigurationError(f"the store {self.path} cannot be used ({exc}); move it away to start a "
                                     "new one") from None
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"the store {self.path} is damaged or not an ac-connector store ({exc}); "
                                     "move it away to start a new one") from None

    def _open_schema(self) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait for it
            self._db.execute(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(authentications)")}
            if not columns >= _COLUMNS:
                raise ConfigurationError(f"the store {self.path} holds a table 'authentications' that is not "
                                         "ac-connector's; move it away to start a new one")
            if "binding" not in columns:
                self._db.execute("ALTER TABLE authentications ADD COLUMN binding INTEGER NOT NULL DEFAULT 1")
            self._migrate_bindings()
        os.chmod(self.path, 0o600)

    def _migrate_bindings(self) -> None:
        """Re-encrypt rows bound to their name only, so that they are bound to their type and URL too."""
        rows = self._db.execute(f"SELECT {_ROW} FROM authentications WHERE binding = ?", (NAME_ONLY,)).fetchall()
        for name, type_, fields, nonce, blob, *_ in rows:
            try:
                plain = self._cipher.decrypt(nonce, blob, name.encode())
            except InvalidTag:
                continue  # undecryptable already; reading it says so
            new_nonce = os.urandom(12)
            new_blob = self._cipher.encrypt(new_nonce, plain, self._associated(name, type_, json.loads(fields)))
            self._db.execute("UPDATE authentications SET secret_nonce = ?, secret_blob = ?, binding = ? "
                             "WHERE name = ?", (new_nonce, new_blob, NAME_TYPE_URL, name))

    def _associated(self, name: str, type: str, public: Mapping[str, Any]) -> bytes:
        """What the ciphertext is bound to: the name, the type and the normalised URL."""
        url = str(public.get(self.url_field) or "").strip().rstrip("/").lower()
        return json.dumps({"name": name, "type": type, "url": url}, sort_keys=True).encode()

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
            _create_key_file(path)
        if path.stat().st_mode & 0o077:
            raise StoreError(f"{path} must be readable by its owner only (chmod 600)")
        key = path.read_bytes()
        if len(key) != 32:
            raise StoreError(f"{path} is not a 32-byte key")
        return key

    # -- writes --------------------------------------------------------------------------------
    @_database_errors
    def add(self, name: str, type: str, fields: Mapping[str, Any], *, replace: bool = False) -> StoredAuthentication:
        _check_name(name)
        if type not in TYPES:
            raise ValidationError([{"pointer": "/type", "keyword": "enum", "message": "type is personal or organisational"}])
        public = {k: v for k, v in fields.items() if k not in self.secret_fields}
        secret = {k: v for k, v in fields.items() if k in self.secret_fields}
        nonce = os.urandom(12)
        blob = self._cipher.encrypt(nonce, json.dumps(secret).encode(), self._associated(name, type, public))
        now = time.time()
        verb = "INSERT OR REPLACE" if replace else "INSERT"  # without --replace the database refuses a taken name
        try:
            with self._db:
                self._db.execute(
                    f"{verb} INTO authentications ({_ROW}) VALUES (?, ?, ?, ?, ?, COALESCE((SELECT created FROM "
                    "authentications WHERE name = ?), ?), ?, ?)",
                    (name, type, json.dumps(public), nonce, blob, name, now, now, NAME_TYPE_URL))
        except sqlite3.IntegrityError:
            raise AuthenticationExists(f"an authentication named {name!r} exists already "
                                       "(use --replace to replace it)") from None
        return self.get(name)

    @_database_errors
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

    @_database_errors
    def remove(self, name: str) -> None:
        with self._db:
            deleted = self._db.execute("DELETE FROM authentications WHERE name = ?", (name,)).rowcount
        if not deleted:
            raise StoreError(f"no authentication named {name!r}")

    # -- reads ---------------------------------------------------------------------------------
    @_database_errors
    def list(self) -> list[StoredAuthentication]:
        rows = self._db.execute("SELECT name, type, fields, created, updated FROM authentications ORDER BY name")
        return [StoredAuthentication(n, t, json.loads(f), c, u) for n, t, f, c, u in rows]

    @_database_errors
    def get(self, name: str) -> StoredAuthentication:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        return StoredAuthentication(row[0], row[1], json.loads(row[2]), row[5], row[6])

    @_database_errors
    def secrets(self, name: str) -> dict[str, Any]:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no authentication named {name!r}")
        _, type_, fields, nonce, blob, _, _, binding = row
        associated = name.encode() if binding == NAME_ONLY else self._associated(name, type_, json.loads(fields))
        try:
            return json.loads(self._cipher.decrypt(nonce, blob, associated))
        except InvalidTag:
            raise StoreError(f"the stored secret of {name!r} cannot be decrypted: this authentication was changed "
                             "outside ac-connector (its name, type or URL no longer match its encrypted key), or "
                             "the data key is not the one it was saved with. Add it again with --replace.") from None

    @_database_errors
    def fields(self, name: str) -> dict[str, Any]:
        """Every field, secrets decrypted: only for handing to the engine."""
        return {**self.get(name).fields, **self.secrets(name)}

    def _row(self, name: str) -> tuple[Any, ...] | None:
        return self._db.execute(f"SELECT {_ROW} FROM authentications WHERE name = ?", (name,)).fetchone()

    def close(self) -> None:
        self._db.close()


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationError([{"pointer": "/name", "keyword": "pattern",
                                "message": "a name of 1 to 100 printable characters is required"}])


def _private_folder(path: Path) -> None:
    """Create the folder as 0700, or tighten an existing one: the store and key live in it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.is_dir():
            raise NotADirectoryError(str(path))
        if os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o700)
        elif os.stat(path).st_mode & 0o022:
            raise ConfigurationError(f"{path} belongs to another user and others may write to it; "
                                     "set AC_CONNECTOR_HOME to a folder of your own")
    except (FileExistsError, NotADirectoryError):
        raise ConfigurationError(f"{path} (AC_CONNECTOR_HOME or its default) is a file, not a folder; "
                                 "set AC_CONNECTOR_HOME to a folder") from None
    except PermissionError:
        raise ConfigurationError(f"{path} cannot be created or used: permission denied; "
                                 "set AC_CONNECTOR_HOME to a folder of your own") from None


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
