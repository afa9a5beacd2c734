"""Bound the requests in flight to one origin, per connector.

Without a bound, a thousand concurrent calls all queue for httpx's connection pool; the ones that
wait past the pool timeout count as "never sent" and are retried, and they queue again behind the
rest, so under load nothing finishes. Here each call first waits for one of ``per_origin`` slots of
its account (threads and tasks alike), and that wait counts against the call's own deadline: a call
that cannot get a slot in time ends as a ``timeout`` of phase ``deadline``, never as a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncIterator, Iterator

from .errors import Timeout

Origin = tuple[str, str, int]
DEFAULT_PER_ORIGIN = 10


def _no_slot(origin: Origin, waited: float) -> Timeout:
    return Timeout(f"no free connection to {origin[1]} within this call's deadline (waited {waited:.1f}s behind "
                   "other calls to the same account)", phase="deadline")


class InFlightLimit:
    """At most ``per_origin`` requests at once to each origin, from every thread and event loop of a connector."""

    def __init__(self, per_origin: int = DEFAULT_PER_ORIGIN) -> None:
        if per_origin < 1:
            raise ValueError("per_origin must be at least 1")
        self.per_origin = per_origin
        self._threads: dict[Origin, threading.BoundedSemaphore] = {}
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Origin, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self, origin: Origin, timeout: float) -> Iterator[None]:
        with self._lock:
            semaphore = self._threads.setdefault(origin, threading.BoundedSemaphore(self.per_origin))
        if not semaphore.acquire(timeout=max(0.0, timeout)):
            raise _no_slot(origin, timeout)
        try:
            yield
        finally:
            semaphore.release()

    @contextlib.asynccontextmanager
    async def aslot(self, origin: Origin, timeout: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphores = self._loops.setdefault(loop, {})
            semaphore = semaphores.setdefault(origin, asyncio.Semaphore(self.per_origin))
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await semaphore.acquire()
        except TimeoutError:
            raise _no_slot(origin, timeout) from None
        try:
            yield
        finally:
            semaphore.release()
