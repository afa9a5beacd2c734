"""A sliding-window request log: at most `limit` admitted requests in any `window` seconds."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0


class SlidingWindow:
    """Moving-window limiter. Rejected requests are not recorded, so a client that waits
    `Retry-After` seconds always gets through (that is what ActiveCampaign's header promises)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def check(self, limit: int, window: float) -> Decision:
        now = self._clock()
        with self._lock:
            hits = self._hits
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                wait = hits[len(hits) - limit] + window - now
                return Decision(False, limit, 0, max(1, math.ceil(wait)))
            hits.append(now)
            return Decision(True, limit, limit - len(hits))

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
