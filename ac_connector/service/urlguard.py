"""Keep a shared service from being turned against its own network (SSRF).

Whoever can add an authentication chooses where the service sends requests. Unless the service was
started with --allow-loopback, an account URL must not name or resolve to a loopback, private,
link-local or otherwise non-public address; the sandbox the service offers is the one exception.
The check runs when an authentication is added and again before each use (DNS answers change).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from engine.errors import ValidationError

from .settings import is_loopback_host

_CACHE_SECONDS = 60.0


class UrlGuard:
    def __init__(self, allow_private: bool, resolve: Callable[..., list[Any]] = socket.getaddrinfo) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._allowed_origins: set[str] = set()
        self._cache: dict[tuple[str, int], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def allow_origin(self, url: str) -> None:
        """Trust one origin whatever its address (the offered sandbox)."""
        self._allowed_origins.add(_origin(url))

    def check(self, url: str, pointer: str = "/api_url") -> None:
        """Raise ValidationError at ``pointer`` when ``url`` points into this machine or its network."""
        if self.allow_private or _origin(url) in self._allowed_origins:
            return
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        if is_loopback_host(host):
            raise _refused(pointer, "this service does not accept loopback addresses "
                                    "(start it with --allow-loopback to use a local sandbox)")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        bad = self._non_public_address(host, port)
        if bad:
            raise _refused(pointer, f"{host} resolves to a non-public address ({bad}); this service only "
                                    "connects to public hosts")

    def _non_public_address(self, host: str, port: int) -> str | None:
        key = (host, port)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            infos = []  # unresolvable: nothing to connect to, so nothing to protect; the run will fail plainly
        found = None
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            mapped = getattr(address, "ipv4_mapped", None)
            if not (mapped or address).is_global:
                found = str(address)
                break
        with self._lock:
            self._cache[key] = (now, found)
        return found


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _refused(pointer: str, message: str) -> ValidationError:
    return ValidationError([{"pointer": pointer, "keyword": "host", "message": message}],
                           "Invalid authentication: " + message)
