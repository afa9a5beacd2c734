"""Bound the requests in flight to one origin (and in all), per connector.

Without a bound, a thousand concurrent calls all queue for httpx's connection pool; the ones that
wait past the pool timeout count as "never sent" and are retried, and they queue again behind the
rest, so under load nothing finishes. Here each call first waits for one of ``per_origin`` slots of
its account, then one of ``total`` (threads and tasks alike), and that wait counts against the call's
own deadline: a call that cannot get a slot in time ends as a ``timeout`` of phase ``deadline``, never
as a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator

from .errors import Timeout

Origin = tuple[str, str, int]
DEFAULT_PER_ORIGIN = 10
DEFAULT_TOTAL = 50  # in all, whatever the accounts: 1,000 calls at once over 20 accounts run as fast as 50 at a time


def _no_slot(origin: Origin, waited: float) -> Timeout:
    return Timeout(
        f"no free connection to {origin[1]} within this call's deadline (waited {waited:.1f}s behind "
        "other calls to the same account)",
        phase="deadline",
    )


class InFlightLimit:
    """At most ``per_origin`` requests at once to each origin, from every thread and event loop of a connector."""

    def __init__(self, per_origin: int = DEFAULT_PER_ORIGIN, total: int = DEFAULT_TOTAL) -> None:
        if per_origin < 1 or total < 1:
            raise ValueError("per_origin and total must be at least 1")
        self.per_origin = per_origin
        self.total = total
        self._threads: dict[Origin | None, threading.BoundedSemaphore] = {}
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Origin | None, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def _size(self, key: Origin | None) -> int:
        return self.total if key is None else self.per_origin

    @contextlib.contextmanager
    def slot(self, origin: Origin, timeout: float) -> Iterator[None]:
        """The account's slot, then one of the total (None): always in this order, so no two calls deadlock."""
        ends = time.monotonic() + max(0.0, timeout)
        with self._lock:
            semaphores = [self._threads.setdefault(k, threading.BoundedSemaphore(self._size(k))) for k in (origin, None)]
        held: list[threading.BoundedSemaphore] = []
        try:
            for semaphore in semaphores:
                if not semaphore.acquire(timeout=max(0.0, ends - time.monotonic())):
                    raise _no_slot(origin, timeout)
                held.append(semaphore)
            yield
        finally:
            for semaphore in reversed(held):
                semaphore.release()

    @contextlib.asynccontextmanager
    async def aslot(self, origin: Origin, timeout: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        with self._lock:
            per_loop = self._loops.setdefault(loop, {})
            semaphores = [per_loop.setdefault(k, asyncio.Semaphore(self._size(k))) for k in (origin, None)]
        held: list[asyncio.Semaphore] = []
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                for semaphore in semaphores:
                    await semaphore.acquire()
                    held.append(semaphore)
        except TimeoutError:
            for semaphore in reversed(held):
                semaphore.release()
            raise _no_slot(origin, timeout) from None
        try:
            yield
        finally:
            for semaphore in reversed(held):
                semaphore.release()
