"""Credentials: check the account URL, wrap secrets, and attach them only to the account's origin.

This is the one gate through which a credential reaches a request.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import CredentialScopeError, ValidationError
from .model import AuthSpec, ConnectorSpec
from .redaction import Secret, protect
from .templating import Template, render_structure

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def origin_of(url: httpx.URL | str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: the unit of trust."""
    url = httpx.URL(str(url)) if not isinstance(url, httpx.URL) else url
    scheme = url.scheme.lower()
    host = url.host.lower().rstrip(".")
    return scheme, host, url.port or _DEFAULT_PORTS.get(scheme, 0)


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_account_url(raw: str, *, strip_suffixes: tuple[str, ...] = (), allow_loopback: bool = False,
                          pointer: str = "/url") -> str:
    """Return ``scheme://host[:port]`` or raise ValidationError saying what is wrong.

    https only, a DNS name (no IP literal, no ``localhost`` or ``*.local``), no
    user-info, query or fragment, no path beyond the known API suffixes. Plain
    http to a loopback host only when the caller allows it (the sandbox).
    """

    def bad(rule: str, message: str) -> ValidationError:
        return ValidationError([{"pointer": pointer, "keyword": rule, "message": message}])

    text = (raw or "").strip()
    if any(ord(c) < 33 or c == "\\" for c in text):
        raise bad("format", "the URL contains spaces, control characters or backslashes")
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc:
        raise bad("format", "enter the full API URL, for example https://youraccount.api-us1.com")
    if "@" in parts.netloc:
        raise bad("format", "the URL must not contain a user name or password")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise bad("format", "the URL must not contain a query or a fragment")
    try:
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        raise bad("format", "the URL has an invalid port") from None
    if not host:
        raise bad("format", "the URL has no host")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise bad("format", "the host name is not a valid internationalised name") from None
    path = parts.path.rstrip("/")
    for suffix in strip_suffixes:
        if path.lower().endswith(suffix.lower().rstrip("/")):
            path = path[: len(path) - len(suffix.rstrip("/"))].rstrip("/")
            break
    if path:
        raise bad("format", "the URL must be the account's API URL, without a path")
    loopback = _is_loopback(host)
    if loopback:
        if not allow_loopback:
            raise bad("host", "loopback addresses are not allowed here (only for the local sandbox)")
    else:
        try:
            ipaddress.ip_address(host.strip("[]"))
            raise bad("host", "use the account's host name, not an IP address")
        except ValueError:
            pass
        if host.endswith(".local") or "." not in host:
            raise bad("host", "the host must be a public DNS name")
        if scheme != "https":
            raise bad("scheme", "the URL must use https")
    shown_host = f"[{host}]" if ":" in host else host
    default = _DEFAULT_PORTS[scheme]
    return f"{scheme}://{shown_host}" + (f":{port}" if port and port != default else "")


@dataclass(frozen=True)
class Authentication:
    """One authentication ready to use: fields with secrets wrapped, the base URL, the headers to attach."""

    name: str
    fields: Mapping[str, Any]
    base_url: str
    origin: tuple[str, str, int]
    _headers: tuple[tuple[str, Secret], ...] = field(repr=False)

    def secret_values(self) -> list[str]:
        return [v.reveal() for v in self.fields.values() if isinstance(v, Secret)]

    def attach(self, request: httpx.Request) -> None:
        """Add the credential headers, but only if the request goes to the account's own origin."""
        if origin_of(request.url) != self.origin:
            raise CredentialScopeError(
                f"refused to send the credential of {self.name or 'this authentication'} to "
                f"{request.url.scheme}://{request.url.host}: it belongs to {self.base_url_origin}"
            )
        for name, value in self._headers:
            request.headers[name] = value.reveal()

    @property
    def base_url_origin(self) -> str:
        scheme, host, port = self.origin
        return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS.get(scheme) else f":{port}")

    @property
    def header_names(self) -> frozenset[str]:
        return frozenset(n.lower() for n, _ in self._headers)


def make_authentication(spec: ConnectorSpec, fields: Mapping[str, Any], *, name: str = "",
                        allow_loopback: bool = False) -> Authentication:
    """Validate the form fields, normalise the URL, wrap secrets and pre-render the headers once."""
    auth: AuthSpec = spec.auth
    plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in fields.items()}
    errors = [
        {"pointer": "/" + "/".join(str(p) for p in e.absolute_path), "keyword": e.validator,
         "message": _safe_message(e, auth)}
        for e in sorted(auth.validator.iter_errors(plain), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        raise ValidationError(errors, "Invalid authentication: " + "; ".join(
            f"{e['pointer']}: {e['message']}" for e in errors))
    plain[auth.url_field] = normalise_account_url(
        plain[auth.url_field], strip_suffixes=auth.strip_suffixes, allow_loopback=allow_loopback,
        pointer=f"/{auth.url_field}")
    wrapped = {k: protect(Secret(v)) if k in auth.secret_fields and isinstance(v, str) else v
               for k, v in plain.items()}
    context = {"auth": plain}
    base_url = str(render_structure(spec.base_url, context)).rstrip("/")
    headers = tuple(
        (header, protect(Secret(str(render_structure(value, context) if isinstance(value, Template) else value))))
        for header, value in auth.apply_headers.items()
    )
    return Authentication(name=name, fields=wrapped, base_url=base_url, origin=origin_of(base_url), _headers=headers)


def _safe_message(error: Any, auth: AuthSpec) -> str:
    """Schema messages quote the value; never quote a secret."""
    if error.absolute_path and error.absolute_path[0] in auth.secret_fields:
        return f"does not satisfy {error.validator}"
    return error.message
