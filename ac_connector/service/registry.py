"""The authentications a service can use: the encrypted store plus the offered sandbox.

The one place in the service where keys are decrypted; what leaves it is either an engine
``Authentication`` (secrets wrapped) or a public view without any secret field.
"""

from __future__ import annotations

import threading
from typing import Any

from engine.auth import Authentication, UrlPolicy
from engine.errors import AuthenticationMissing, ValidationError

from ..store import TYPES, AuthStore
from .errors import AuthenticationNotFound, Conflict
from .offer import SandboxOffer


class Registry:
    def __init__(self, connector: Any, store: AuthStore, url_policy: UrlPolicy, offer: SandboxOffer | None = None) -> None:
        self.connector = connector
        self.store = store
        self.url_policy = url_policy
        self.offer = offer
        self._spec = connector.spec.auth
        self._lock = threading.Lock()  # one SQLite connection shared by the server's threads

    @property
    def secret_field(self) -> str:
        return next(iter(sorted(self._spec.secret_fields)))

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            stored = [{**a.public(), "sandbox": False} for a in self.store.list()]
        return ([self.offer.public()] if self.offer else []) + stored

    def names(self) -> set[str]:
        with self._lock:
            names = {a.name for a in self.store.list()}
        return names | ({self.offer.name} if self.offer else set())

    def add(self, name: str, type: str, api_url: str, api_key: str, *, replace: bool = False) -> dict[str, Any]:
        """Check the fields like the engine will use them, refuse private targets, then store."""
        if type not in TYPES:
            raise ValidationError([{"pointer": "/type", "keyword": "enum", "message": "choose Personal or Organisational"}])
        if self.offer and name == self.offer.name:
            raise Conflict(f"{name!r} is the offered sandbox; choose another name")
        url_field = self._spec.url_field
        checked = self.connector.authentication(
            {url_field: api_url, self.secret_field: api_key}, name=name, url_policy=self.url_policy
        )
        with self._lock:
            if not replace and name in {a.name for a in self.store.list()}:
                raise Conflict(f"an authentication named {name!r} exists already")
            stored = self.store.add(
                name, type, {url_field: checked.base_url_origin, self.secret_field: api_key}, replace=replace
            )
        return {**stored.public(), "sandbox": False}

    def edit(
        self,
        name: str,
        *,
        new_name: str | None = None,
        type: str | None = None,
        api_url: str | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Rename, retype, move to another URL or re-enter the key. A new URL needs the key again, so whoever
        edits cannot send a stored key they cannot read to a server of their choosing."""
        if self.offer and name == self.offer.name:
            raise Conflict("the offered sandbox cannot be changed; add an authentication of your own instead")
        if type is not None and type not in TYPES:
            raise ValidationError([{"pointer": "/type", "keyword": "enum", "message": "choose Personal or Organisational"}])
        target = new_name if new_name is not None else name
        if self.offer and target == self.offer.name:
            raise Conflict(f"{target!r} is the offered sandbox; choose another name")
        url_field, key_field = self._spec.url_field, self.secret_field
        with self._lock:
            if name not in {a.name for a in self.store.list()}:
                raise AuthenticationNotFound(f"no authentication named {name!r}")
            current = self.store.get(name)
            fields = self.store.fields(name)
        moved = api_url is not None and api_url.rstrip("/") != str(fields.get(url_field, "")).rstrip("/")
        if moved and api_key is None:
            raise ValidationError(
                [{"pointer": f"/{key_field}", "keyword": "required", "message": "Enter the API key again: a new URL needs it"}]
            )
        if api_url is not None:
            fields[url_field] = api_url
        if api_key is not None:
            fields[key_field] = api_key
        checked = self.connector.authentication(
            {url_field: fields[url_field], key_field: fields[key_field]}, name=target, url_policy=self.url_policy
        )
        fields[url_field] = checked.base_url_origin
        with self._lock:
            if target != name and target in {a.name for a in self.store.list()}:
                raise Conflict(f"an authentication named {target!r} exists already")
            stored = self.store.add(target, type or current.type, fields, replace=target == name)
            if target != name:
                self.store.remove(name)
        return {**stored.public(), "sandbox": False}

    def remove(self, name: str) -> None:
        if self.offer and name == self.offer.name:
            raise Conflict("the offered sandbox cannot be removed; it goes away when the service stops")
        with self._lock:
            if name not in {a.name for a in self.store.list()}:
                raise AuthenticationNotFound(f"no authentication named {name!r}")
            self.store.remove(name)

    def get(self, name: str | None) -> Authentication:
        """The engine authentication for ``name``, checked against the URL policy at every use (DNS answers change)."""
        if not name:
            raise AuthenticationMissing("choose an authentication (see GET /api/authentications)")
        if self.offer and name == self.offer.name:
            fields = self.offer.fields()
        else:
            with self._lock:
                if name not in {a.name for a in self.store.list()}:
                    raise AuthenticationNotFound(f"no authentication named {name!r}")
                fields = self.store.fields(name)
        return self.connector.authentication(fields, name=name, url_policy=self.url_policy)
