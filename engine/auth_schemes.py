"""How an authentication's fields become credentials on a request: one small class per scheme.

``connector.yaml`` names its scheme under ``authentication.scheme`` as a typed entry
(``{type: header, name, value}``, ``{type: query, name, value}``, ``{type: basic, username, password}``);
values are templates over ``auth`` (the form's fields). Adding a scheme is one class here with its
``type``. The credential gate (``Authentication.attach``) adds what a scheme gives, and only to the
account's own origin.
"""

from __future__ import annotations

import base64
import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .templating import Template, render_structure

Compile = Callable[[str, Any], Any]  # (where, value) -> compiled template or plain value


@dataclass(frozen=True)
class Credentials:
    """What a scheme puts on a request: headers and query parameters (values are secrets)."""

    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()


class AuthScheme:
    """One way of presenting credentials. Subclasses set ``type`` and are registered under it."""

    type: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]  # the keys of its entry besides ``type``
    registry: ClassVar[dict[str, builtins.type[AuthScheme]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AuthScheme.registry[cls.type] = cls

    def __init__(self, **values: Any) -> None:
        self.values = values

    def _render(self, key: str, context: Mapping[str, Any]) -> str:
        value = self.values[key]
        return str(render_structure(value, context) if isinstance(value, Template) else value)

    def credentials(self, context: Mapping[str, Any]) -> Credentials:
        raise NotImplementedError


class HeaderScheme(AuthScheme):
    """A header carrying the key (``X-Api-Key: KEY``, ``Authorization: Bearer KEY``)."""

    type = "header"
    fields = ("name", "value")

    def credentials(self, context: Mapping[str, Any]) -> Credentials:
        return Credentials(headers=((self._render("name", context), self._render("value", context)),))


class QueryScheme(AuthScheme):
    """A query parameter carrying the key (``?api_key=KEY``)."""

    type = "query"
    fields = ("name", "value")

    def credentials(self, context: Mapping[str, Any]) -> Credentials:
        return Credentials(params=((self._render("name", context), self._render("value", context)),))


class BasicScheme(AuthScheme):
    """HTTP Basic (RFC 7617): ``Authorization: Basic base64(username:password)``."""

    type = "basic"
    fields = ("username", "password")

    def credentials(self, context: Mapping[str, Any]) -> Credentials:
        pair = f"{self._render('username', context)}:{self._render('password', context)}".encode()
        return Credentials(headers=(("Authorization", "Basic " + base64.b64encode(pair).decode("ascii")),))


def scheme_entries(apply: Mapping[str, Any] | None, scheme: Any) -> list[dict[str, Any]]:
    """The typed entries of a manifest: ``scheme`` (one entry or a list), and the older ``apply.headers`` map."""
    entries: list[dict[str, Any]] = []
    if isinstance(scheme, dict):
        entries.append(scheme)
    elif isinstance(scheme, list):
        entries.extend(e for e in scheme if isinstance(e, dict))
    for name, value in ((apply or {}).get("headers") or {}).items():
        entries.append({"type": "header", "name": name, "value": value})
    return entries


def build_scheme(entry: Mapping[str, Any], compile: Compile, where: str) -> AuthScheme | str:
    """The scheme for one entry, or a problem message."""
    cls = AuthScheme.registry.get(str(entry.get("type")))
    if cls is None:
        return f"unknown authentication scheme {entry.get('type')!r} (known: {', '.join(sorted(AuthScheme.registry))})"
    extra = set(entry) - {"type", *cls.fields}
    missing = [f for f in cls.fields if not isinstance(entry.get(f), str)]
    if extra or missing:
        return f"a {cls.type} scheme takes {', '.join(cls.fields)} (strings)"
    return cls(**{f: compile(f"{where}/{f}", entry[f]) for f in cls.fields})
