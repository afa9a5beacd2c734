"""Fault scripts: per-route status sequences, delays, dropped connections and redirects.

A route is "METHOD path-glob" (fnmatch on the path without its query string, so "*" also
crosses "/"); the method may be "*". Each matching request consumes one use of the first
fault that still has uses left; faults are consumed in the order they were added.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Any

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"})


@dataclass
class Fault:
    """One scripted misbehaviour. Several switches may combine (e.g. statuses + delay_headers)."""

    route: str
    statuses: list[int] = field(default_factory=list)
    times: int | None = None
    delay_headers: float = 0.0
    delay_body: float = 0.0
    drop_after_write: bool = False
    redirect: str | None = None
    redirect_status: int = 302
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    echo_headers: bool = False
    used: int = 0

    def __post_init__(self) -> None:
        method, _, pattern = self.route.strip().partition(" ")
        if not pattern:
            method, pattern = "*", method
        method = method.upper()
        if method not in METHODS:
            raise ValueError(f"fault route must be 'METHOD /path-glob', got {self.route!r}")
        if not pattern.startswith("/"):
            raise ValueError(f"fault path must start with '/', got {pattern!r}")
        self.method, self.pattern = method, pattern.strip()
        self.statuses = [int(s) for s in self.statuses]
        if self.times is None:
            self.times = len(self.statuses) or 1
        if self.redirect_status not in (301, 302, 303, 307, 308):
            raise ValueError("redirect_status must be 301, 302, 303, 307 or 308")

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.pattern)

    @property
    def remaining(self) -> int:
        return max(0, (self.times or 0) - self.used)

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status")
        if self.redirect:
            parts.append("redirect")
        if self.delay_headers:
            parts.append("delay_headers")
        if self.delay_body:
            parts.append("delay_body")
        if self.drop_after_write:
            parts.append("drop_after_write")
        if self.echo_headers:
            parts.append("echo_headers")
        return "+".join(parts) or "noop"

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "statuses": self.statuses,
            "times": self.times,
            "used": self.used,
            "delay_headers": self.delay_headers,
            "delay_body": self.delay_body,
            "drop_after_write": self.drop_after_write,
            "redirect": self.redirect,
            "redirect_status": self.redirect_status,
            "headers": self.headers,
            "body": self.body,
            "echo_headers": self.echo_headers,
        }


@dataclass(frozen=True)
class Hit:
    """The fault that applies to one request, and which of its statuses (if any) to send."""

    fault: Fault
    status: int | None


class FaultSet:
    """The account's active faults (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        route: str,
        statuses: list[int] | tuple[int, ...] | None = None,
        *,
        times: int | None = None,
        delay_headers: float = 0.0,
        delay_body: float = 0.0,
        drop_after_write: bool = False,
        redirect: str | None = None,
        redirect_status: int = 302,
        headers: dict[str, str] | None = None,
        body: Any = None,
        echo_headers: bool = False,
    ) -> Fault:
        fault = Fault(
            route,
            list(statuses or []),
            times,
            float(delay_headers),
            float(delay_body),
            bool(drop_after_write),
            redirect,
            int(redirect_status),
            dict(headers or {}),
            body,
            bool(echo_headers),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Hit | None:
        """Consume one use of the first live fault matching this request."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.remaining and fault.matches(method, path):
                    index = fault.used
                    fault.used += 1
                    status = fault.statuses[index] if index < len(fault.statuses) else None
                    if fault.statuses and status is None:
                        status = fault.statuses[-1]
                    return Hit(fault, status)
        return None

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self):
        with self._lock:
            return iter(list(self._faults))
