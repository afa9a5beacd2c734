"""Transport-neutral request and response objects shared by the dispatcher and both front ends.

The loopback server and the ASGI adapter translate to and from these, so every behaviour
(auth, rate limit, faults, resources) lives once in the framework-free core.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def reason(status: int) -> str:
    return REASONS.get(status, "Unknown")


class Headers(dict):
    """A plain dict of header name -> value whose lookups ignore case (names keep their spelling)."""

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()):
        super().__init__()
        self._keys: dict[str, str] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self[name] = value

    def __setitem__(self, name: str, value: str) -> None:
        low = name.lower()
        old = self._keys.get(low)
        if old is not None and old != name:
            value = f"{dict.__getitem__(self, old)}, {value}"
            dict.__delitem__(self, old)
        self._keys[low] = name
        dict.__setitem__(self, name, value)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, self._keys.get(name.lower(), name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._keys

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        key = self._keys.get(name.lower())
        return default if key is None else dict.__getitem__(self, key)


class ApiError(Exception):
    """Raised by handlers: becomes a response with this status and JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Request:
    """One API request as the resource handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    base_url: str = "http://127.0.0.1"
    params: dict[str, str] = field(default_factory=dict)
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def q(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The JSON body; a malformed body is a 400 like ActiveCampaign's generic Bad Request."""
        if not self._parsed:
            self._parsed = True
            if self.body.strip():
                try:
                    self._json = json.loads(self.body)
                except ValueError:
                    raise ApiError(400, {"errors": [{"status": 400, "title": "Bad Request"}]}) from None
        return self._json

    def wrapper(self, key: str) -> dict:
        """The singular wrapper object (`{"contact": {...}}` -> the inner dict), {} when absent."""
        body = self.json()
        inner = body.get(key) if isinstance(body, dict) else None
        return inner if isinstance(inner, dict) else {}


@dataclass
class Response:
    """What the dispatcher hands back; the front end honours the fault directives."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay_headers: float = 0.0
    delay_body: float = 0.0
    drop: bool = False

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None


def dumps(payload: Any) -> bytes:
    """Compact JSON the way ActiveCampaign sends it (slashes unescaped is irrelevant to clients)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def parse_query(query_string: str) -> dict[str, list[str]]:
    return parse_qs(query_string, keep_blank_values=True) if query_string else {}


def path_segments(path: str) -> list[str]:
    """Raw segments; each is percent-decoded on its own so an encoded '/' never splits a segment."""
    return [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
