"""Time, injectable: retries and the rate limiter read it, tests replace it with a fake one."""

from __future__ import annotations

import time


class Clock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        """Wall-clock seconds since the epoch: for HTTP dates and stores shared between processes."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        if seconds > 0:
            import asyncio  # only async callers need it (a CLI run never does)

            await asyncio.sleep(seconds)


class FakeClock(Clock):
    """Sleeping only moves time forward and records the wait: retry tests run in microseconds."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self._wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self._wall_offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
