"""Client-side rate limiting: one moving-window budget per account, shared by every worker.

The key is the account's origin (hashed), never the API key. Backends share one
small interface so a single process, several processes on one host, or a fleet
through Redis can hold the same budget.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from typing import Protocol

from .clock import Clock


def limiter_key(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    return "acc:" + hashlib.sha256(f"{scheme}://{host}:{port}".encode()).hexdigest()[:32]


class RateLimiter(Protocol):
    """``try_acquire`` takes a slot now (returns 0) or says how long to wait before asking again."""

    def try_acquire(self, key: str) -> float: ...

    def pause(self, key: str, seconds: float) -> None:
        """Stop every worker of this account for ``seconds`` (after a 429)."""


class NoLimit:
    def try_acquire(self, key: str) -> float:
        return 0.0

    def pause(self, key: str, seconds: float) -> None:
        return None


class MovingWindowLimiter:
    """In-process moving window: at most ``requests`` in any rolling ``per_seconds``. Thread-safe."""

    def __init__(self, requests: int = 4, per_seconds: float = 1.0, clock: Clock | None = None) -> None:
        self.requests = requests
        self.per_seconds = per_seconds
        self.clock = clock or Clock()
        self._hits: dict[str, deque[float]] = {}
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str) -> float:
        with self._lock:
            now = self.clock.monotonic()
            paused = self._paused.get(key, 0.0)
            if paused > now:
                return paused - now
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.per_seconds:
                hits.popleft()
            if len(hits) < self.requests:
                hits.append(now)
                return 0.0
            return max(hits[0] + self.per_seconds - now, 0.001)

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = self.clock.monotonic() + seconds
            self._paused[key] = max(self._paused.get(key, 0.0), until)
