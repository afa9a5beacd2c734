"""Credentials: check the account URL, wrap secrets, and attach them only to the account's origin.

This is the one gate through which a credential reaches a request.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import CredentialScopeError, ValidationError
from .model import AuthSpec, ConnectorSpec
from .redaction import Secret, protect
from .templating import render_structure

_DEFAULT_PORTS = {"http": 80, "https": 443}
POLICY_EXTENSION = "connector.url_policy"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_DNS_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


def origin_of(url: httpx.URL | str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: the unit of trust."""
    url = httpx.URL(str(url)) if not isinstance(url, httpx.URL) else url
    scheme = url.scheme.lower()
    # raw_host is the IDNA (punycode) form: a homoglyph stays visibly different ("xn--...") in messages and keys.
    host = url.raw_host.decode("ascii").lower().rstrip(".")
    return scheme, host, url.port or _DEFAULT_PORTS.get(scheme, 0)


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that never leave this machine (brackets, case and a final dot ignored)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        return inner.is_loopback
    return ip.is_loopback


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _system_resolver(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})


def cached_resolver(
    resolver: Callable[[str], list[str]] | None = None, *, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
) -> Callable[[str], list[str]]:
    """A resolver that keeps each answer for ``seconds``: for a long-running service that checks a URL at
    every use. Thread-safe; failures are not kept."""
    resolve = resolver or _system_resolver
    answers: dict[str, tuple[float, list[str]]] = {}
    lock = threading.Lock()

    def cached(host: str) -> list[str]:
        now = clock()
        with lock:
            kept = answers.get(host)
        if kept and now - kept[0] < seconds:
            return kept[1]
        addresses = resolve(host)
        with lock:
            answers[host] = (now, addresses)
        return addresses

    return cached


@dataclass(frozen=True)
class UrlPolicy:
    """Where an authentication may point.

    The default suits one person's CLI: any public DNS name over https. A service
    shared by several people must not become a way into its own network, so
    :meth:`service` also resolves the name and refuses loopback and private
    addresses (unless started to allow them, for the sandbox). IP literals are
    always refused, except loopback when ``allow_loopback`` is set.

    ``allowed_origins`` are exact origins trusted whatever their address (a service's
    own in-process sandbox). ``allow_unresolved`` accepts a name that does not resolve
    (nothing to connect to, so nothing to protect: the run fails plainly later).
    """

    allow_loopback: bool = False
    allow_private: bool = True
    resolve: bool = False
    resolver: Callable[[str], list[str]] | None = field(default=None, compare=False)
    allowed_origins: frozenset[tuple[str, str, int]] = frozenset()
    allow_unresolved: bool = False

    @classmethod
    def service(
        cls,
        *,
        allow_loopback: bool = False,
        allow_private: bool = False,
        resolver: Callable[[str], list[str]] | None = None,
        allowed_origins: Iterable[str] = (),
        allow_unresolved: bool = False,
    ) -> UrlPolicy:
        return cls(
            allow_loopback=allow_loopback,
            allow_private=allow_private,
            resolve=True,
            resolver=resolver,
            allowed_origins=frozenset(origin_of(url) for url in allowed_origins),
            allow_unresolved=allow_unresolved,
        )


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4, Teredo): judge by that one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = ip.packed
    if packed[:12] == bytes(12) and not ip.is_loopback and not ip.is_unspecified:  # ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(packed[12:])
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(packed[12:])
    return None


def _address_problem(address: str, policy: UrlPolicy) -> str | None:
    ip = _ip(address)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        ip = inner
    if ip.is_loopback:
        return None if policy.allow_loopback else "loopback"
    if not ip.is_global and not policy.allow_private:
        return "private or reserved"
    return None


def normalise_account_url(
    raw: str,
    *,
    strip_suffixes: tuple[str, ...] = (),
    allow_loopback: bool = False,
    pointer: str = "/url",
    policy: UrlPolicy | None = None,
) -> str:
    """Return ``scheme://host[:port]`` or raise ValidationError saying what is wrong.

    https only, a DNS name (no IP literal, no ``localhost`` or ``*.local``), no
    user-info, query or fragment, no path beyond the known API suffixes. Plain
    http to a loopback host only when the caller allows it (the sandbox).
    """
    policy = policy or UrlPolicy(allow_loopback=allow_loopback)

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
    literal = _ip(host) is not None
    if not literal:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise bad("format", "the host name is not a valid internationalised name") from None
        if not _DNS_NAME.match(host):
            raise bad("format", "the host name contains characters a DNS name cannot have")
    path = parts.path.rstrip("/")
    for suffix in strip_suffixes:
        if path.lower().endswith(suffix.lower().rstrip("/")):
            path = path[: len(path) - len(suffix.rstrip("/"))].rstrip("/")
            break
    if path:
        raise bad("format", "the URL must be the account's API URL, without a path")
    default = _DEFAULT_PORTS[scheme]
    if (scheme, host, port or default) not in policy.allowed_origins:
        _check_host(scheme, host, literal, policy, bad)
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}" + (f":{port}" if port and port != default else "")


def _check_host(scheme: str, host: str, literal: bool, policy: UrlPolicy, bad: Callable[[str, str], ValidationError]) -> None:
    if is_loopback_host(host):
        if not policy.allow_loopback:
            raise bad("host", "loopback addresses are not allowed here (only for the local sandbox)")
        return
    if literal:
        raise bad("host", "use the account's host name, not an IP address")
    tld = host.rsplit(".", 1)[-1]
    if "." not in host or host.endswith(".local") or tld.isdigit() or tld.startswith("0x"):
        raise bad("host", "the host must be a public DNS name")
    if scheme != "https":
        raise bad("scheme", "the URL must use https")
    if policy.resolve:
        _check_resolved(host, policy, bad)


def _check_resolved(host: str, policy: UrlPolicy, bad: Callable[[str, str], ValidationError]) -> None:
    """Service mode: every address the name resolves to must be allowed (a name may hide 10.0.0.1)."""
    try:
        addresses = (policy.resolver or _system_resolver)(host)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        if policy.allow_unresolved:
            return
        raise bad("host", f"the host {host} could not be resolved")
    for address in addresses:
        problem = _address_problem(address, policy)
        if problem:
            raise bad("host", f"the host {host} resolves to a {problem} address, which this service does not reach")


@dataclass(frozen=True)
class Authentication:
    """One authentication ready to use: fields with secrets wrapped, the base URL, the headers to attach."""

    name: str
    fields: Mapping[str, Any]
    base_url: str
    origin: tuple[str, str, int]
    _headers: tuple[tuple[str, Secret], ...] = field(repr=False)
    _params: tuple[tuple[str, Secret], ...] = field(default=(), repr=False)  # a query-parameter scheme's
    url_policy: UrlPolicy | None = field(default=None, repr=False, compare=False)  # re-checked at connect time

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
        if self._params:
            request.url = request.url.copy_merge_params({name: value.reveal() for name, value in self._params})
        if self.url_policy is not None and self.url_policy.resolve:
            request.extensions[POLICY_EXTENSION] = self.url_policy  # the network backend connects by it

    @property
    def base_url_origin(self) -> str:
        scheme, host, port = self.origin
        return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS.get(scheme) else f":{port}")

    @property
    def header_names(self) -> frozenset[str]:
        return frozenset(n.lower() for n, _ in self._headers)


def make_authentication(
    spec: ConnectorSpec,
    fields: Mapping[str, Any],
    *,
    name: str = "",
    allow_loopback: bool = False,
    policy: UrlPolicy | None = None,
) -> Authentication:
    """Validate the form fields, normalise the URL, wrap secrets and pre-render the headers once."""
    auth: AuthSpec = spec.auth
    plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in fields.items()}
    errors = [
        {"pointer": "/" + "/".join(str(p) for p in e.absolute_path), "keyword": e.validator, "message": _safe_message(e, auth)}
        for e in sorted(auth.validator.iter_errors(plain), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        raise ValidationError(errors, "Invalid authentication: " + "; ".join(f"{e['pointer']}: {e['message']}" for e in errors))
    plain[auth.url_field] = normalise_account_url(
        plain[auth.url_field],
        strip_suffixes=auth.strip_suffixes,
        allow_loopback=allow_loopback,
        pointer=f"/{auth.url_field}",
        policy=policy,
    )
    wrapped = {k: protect(Secret(v)) if k in auth.secret_fields and isinstance(v, str) else v for k, v in plain.items()}
    context = {"auth": plain}
    base_url = str(render_structure(spec.base_url, context)).rstrip("/")
    credentials = [scheme.credentials(context) for scheme in auth.schemes]
    headers = tuple((header, protect(Secret(value))) for c in credentials for header, value in c.headers)
    params = tuple((param, protect(Secret(value))) for c in credentials for param, value in c.params)
    return Authentication(
        name=name,
        fields=wrapped,
        base_url=base_url,
        origin=origin_of(base_url),
        _headers=headers,
        _params=params,
        url_policy=policy,
    )


def _safe_message(error: Any, auth: AuthSpec) -> str:
    """Schema messages quote the value; never quote a secret."""
    if error.absolute_path and error.absolute_path[0] in auth.secret_fields:
        return f"does not satisfy {error.validator}"
    return str(error.message)


address_problem = _address_problem  # for the network backend, which checks the address it connects to
system_resolver = _system_resolver
