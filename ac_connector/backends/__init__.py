"""Where authentications (and runs) are kept: an embedded SQLite file by default, PostgreSQL by URL.

A backend only stores rows; encryption, validation and messages stay in ``AuthStore`` so both
backends keep the same rules. ``AC_CONNECTOR_STORE=postgresql://user@host/db`` shares one store
between hosts; unset (or ``sqlite:``) keeps the SQLite file under ``AC_CONNECTOR_HOME``.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

STORE_ENV = "AC_CONNECTOR_STORE"
NAME_ONLY, NAME_TYPE_URL = 1, 2  # what a row's associated data covers (older rows: the name only)


@dataclass(frozen=True)
class AuthRow:
    """One stored authentication as the backend keeps it: public fields as JSON, the secrets sealed."""

    name: str
    type: str
    fields: str
    nonce: bytes
    blob: bytes
    created: float
    updated: float
    binding: int = NAME_TYPE_URL


class AuthBackend(Protocol):
    """Row storage for authentications. Each method is one atomic statement."""

    location: str

    def get(self, name: str) -> AuthRow | None: ...

    def list(self) -> list[AuthRow]: ...

    def insert(self, row: AuthRow) -> bool:
        """Add a new row; False (and nothing written) if the name is taken, even by a concurrent writer."""

    def upsert(self, row: AuthRow) -> None:
        """Add or replace, keeping the first ``created``."""

    def rebind(self, name: str, nonce: bytes, blob: bytes, binding: int) -> bool:
        """Replace a NAME_ONLY row's sealed secrets (re-encrypted by the store); False if it changed meanwhile."""

    def delete(self, name: str) -> bool: ...

    def bind_key(self, check: bytes) -> bool:
        """Record which data key seals this store (a MAC, not the key); False if another key does."""

    def close(self) -> None: ...


def store_url(explicit: str | None = None) -> str | None:
    """The store URL from the argument or ``AC_CONNECTOR_STORE``; None means the embedded SQLite file."""
    url = explicit if explicit is not None else os.environ.get(STORE_ENV, "")
    url = url.strip()
    if not url or url.split(":", 1)[0] == "sqlite":
        return None
    return url


def is_postgres(url: str | None) -> bool:
    return bool(url) and urllib.parse.urlsplit(url).scheme in ("postgresql", "postgres")


def open_auth_backend(url: str | None, home: Path) -> AuthBackend:
    """The backend for ``url`` (None: SQLite in ``home``); an unknown scheme is refused by name."""
    if url is None:
        from .sqlite import SqliteAuthBackend

        return SqliteAuthBackend(home / "authentications.sqlite3")
    if is_postgres(url):
        from .postgres import PostgresAuthBackend

        return PostgresAuthBackend(url)
    raise ValueError(f"{STORE_ENV} must be a postgresql:// URL or sqlite: (the default), not {redact_url(url)!r}")


def redact_url(url: str) -> str:
    """A store URL fit for messages and logs: the password replaced by ***."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
