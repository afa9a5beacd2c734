"""Client-side rate limiting: one moving-window budget per account, shared by every worker.

The key is the account's origin (hashed), never the API key. Backends share one
small interface so a single process (memory), several processes on one host (a
``fcntl``-locked file) or a fleet (a sorted set per account in Redis) hold the
same budget, and a pause written after a 429 stops every worker that reads it.

``guard`` widens the window a little: a slot is taken when the request leaves,
but the server counts it when it arrives, so without a margin two requests a
window apart on our side can land inside one window on the server's.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import math
import os
import secrets
import stat
import struct
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from .clock import Clock

log = logging.getLogger(__name__)
DEFAULT_GUARD = 0.05
MAX_PAUSE = 3600.0


@functools.lru_cache(maxsize=1024)  # asked on every request; a hash per origin is enough
def limiter_key(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    return "acc-" + hashlib.sha256(f"{scheme}://{host}:{port}".encode()).hexdigest()[:32]


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


def _decide(hits: deque[float], now: float, requests: int, window: float) -> float:
    """The moving-window rule on a list of hit times (oldest first): 0 and record, or the wait."""
    while hits and (hits[0] <= now - window or hits[0] > now + window):
        hits.popleft()  # expired, or from a clock that jumped back: drop either way
    if len(hits) < requests:
        hits.append(now)
        return 0.0
    return max(hits[len(hits) - requests] + window - now, 0.001)


class MovingWindowLimiter:
    """In-process moving window: at most ``requests`` in any rolling ``per_seconds``. Thread-safe."""

    def __init__(
        self, requests: int = 4, per_seconds: float = 1.0, clock: Clock | None = None, guard: float = DEFAULT_GUARD
    ) -> None:
        _check(requests, per_seconds, guard)
        self.requests = requests
        self.per_seconds = per_seconds
        self.window = per_seconds + guard
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
            return _decide(self._hits.setdefault(key, deque()), now, self.requests, self.window)

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = self.clock.monotonic() + min(seconds, MAX_PAUSE)
            self._paused[key] = max(self._paused.get(key, 0.0), until)


class _Fallback:
    """When the shared store cannot be reached, keep limiting in this process (and say so, once a minute).

    Failing every call because a rate-limit store is down would stop the automations it protects;
    the per-process window still keeps each worker polite, and the API's own 429s are still honoured.
    """

    def __init__(self, requests: int, per_seconds: float, guard: float, where: str) -> None:
        self.local = MovingWindowLimiter(requests, per_seconds, guard=guard)
        self.where = where
        self._warned = -60.0

    def warn(self, exc: Exception) -> None:
        import time

        now = time.monotonic()
        if now - self._warned >= 60:
            self._warned = now
            log.warning(
                "rate-limit store %s unavailable (%s); limiting per process until it is back", self.where, type(exc).__name__
            )


class FileLimiter:
    """Several processes on one host: one small file per account, read and rewritten under ``flock``.

    The file holds the pause deadline and the hit times (wall clock, so every
    process reads the same time line). Mode 0600 in a 0700 folder.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        requests: int = 4,
        per_seconds: float = 1.0,
        clock: Clock | None = None,
        guard: float = DEFAULT_GUARD,
    ) -> None:
        _check(requests, per_seconds, guard)
        self.directory = Path(directory)
        _private_folder(self.directory)
        self.requests = requests
        self.window = per_seconds + guard
        self.clock = clock or Clock()
        self._fallback = _Fallback(requests, per_seconds, guard, "file")

    @contextmanager
    def _locked(self, key: str) -> Iterator[tuple[list[float], deque[float]]]:
        """The account's (pause, hits) under an exclusive lock, written back if changed.

        Never through a symlink (O_NOFOLLOW). A file that does not hold what this class writes (a
        partial record, NaN, infinity, more hits than the budget) fails closed: the account pauses
        for one window and the file starts afresh."""
        path = self.directory / f"{key}.window"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = os.pread(fd, 1 << 20, 0)
            count = len(data) // 8
            values = struct.unpack(f"<{count}d", data[: count * 8]) if count else (0.0,)
            corrupt = len(data) % 8 != 0 or count > self.requests + 1 or not all(math.isfinite(v) and v >= 0 for v in values)
            if corrupt:
                log.warning(
                    "rate-limit file %s is corrupted; the account waits one window and the file starts afresh", path.name
                )
                values = (self.clock.time() + self.window,)
            paused, hits = [values[0]], deque(values[1:])
            before = (paused[0], tuple(hits))
            yield paused, hits
            if corrupt or (paused[0], tuple(hits)) != before:
                payload = struct.pack(f"<{1 + len(hits)}d", paused[0], *hits)
                os.pwrite(fd, payload, 0)
                os.ftruncate(fd, len(payload))
        finally:
            os.close(fd)  # closing releases the lock

    def try_acquire(self, key: str) -> float:
        try:
            with self._locked(key) as (paused, hits):
                now = self.clock.time()
                if paused[0] > now + MAX_PAUSE:
                    paused[0] = 0.0  # a clock that jumped back: do not block for ever
                if paused[0] > now:
                    return paused[0] - now
                return _decide(hits, now, self.requests, self.window)
        except OSError as exc:
            self._fallback.warn(exc)
            return self._fallback.local.try_acquire(key)

    def pause(self, key: str, seconds: float) -> None:
        self._fallback.local.pause(key, seconds)
        try:
            with self._locked(key) as (paused, _):
                paused[0] = max(paused[0], self.clock.time() + min(seconds, MAX_PAUSE))
        except OSError as exc:
            self._fallback.warn(exc)


class RedisLimiter:
    """Several hosts: the moving window as a sorted set per account in Redis, and the pause as a key with a TTL.

    Needs the optional extra ``redis`` (redis-py). One Lua script takes or refuses a slot atomically,
    and its times come from the Redis server (``TIME``), so the hosts' clocks do not matter.
    """

    def __init__(
        self,
        url: str,
        requests: int = 4,
        per_seconds: float = 1.0,
        guard: float = DEFAULT_GUARD,
        prefix: str = "connector-rate",
    ) -> None:
        _check(requests, per_seconds, guard)
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the install
            raise RuntimeError("the Redis rate-limit backend needs the optional extra: pip install '.[redis]'") from None
        if url.startswith("redis+unix:"):
            url = "unix:" + url[len("redis+unix:") :]
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._requests = int(requests)
        self._per_us = math.ceil(per_seconds * 1_000_000)
        self._guard_us = math.ceil(guard * 1_000_000)
        self._acquire_script = self._redis.register_script(_ACQUIRE_LUA)
        self._pause_script = self._redis.register_script(_PAUSE_LUA)
        self._errors = (redis.RedisError, OSError)
        self._fallback = _Fallback(requests, per_seconds, guard, "redis")

    def try_acquire(self, key: str) -> float:
        try:
            return self._shared_acquire(key)
        except self._errors as exc:
            self._fallback.warn(exc)
            return self._fallback.local.try_acquire(key)

    def _shared_acquire(self, key: str) -> float:
        keys = [f"{self._prefix}:pause:{key}", f"{self._prefix}:window:{key}"]
        args: list[int | str] = [self._requests, self._per_us, self._guard_us, secrets.token_hex(8)]
        wait_us = int(self._acquire_script(keys=keys, args=args))
        return 0.0 if wait_us <= 0 else max(wait_us / 1_000_000, 0.001)

    def pause(self, key: str, seconds: float) -> None:
        self._fallback.local.pause(key, seconds)
        ms = max(1, int(min(seconds, MAX_PAUSE) * 1000))
        try:
            self._pause_script(keys=[f"{self._prefix}:pause:{key}"], args=[ms])
        except self._errors as exc:
            self._fallback.warn(exc)


# KEYS: the pause key, the window (a sorted set: member = a unique token, score = when the hit counts, in
# microseconds of the server's clock). ARGV: requests, window and guard in microseconds, the token.
# Returns 0 when a slot was taken, else the wait in microseconds (always >= 1). Each hit is recorded
# ``guard`` late, so it stays in the window ``per + guard`` after it was taken (as the other backends).
# Whole microseconds as integers, written with %d: exact in Lua's doubles (``..`` would print 14 digits only),
# and Redis truncates a float reply.
_ACQUIRE_LUA = """
local paused = redis.call('pttl', KEYS[1])
if paused > 0 then return paused * 1000 end
local requests, per, guard = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: TIME before a write
local t = redis.call('time')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
-- expired, or from a server clock that jumped back: drop either way
redis.call('zremrangebyscore', KEYS[2], '-inf', string.format('%d', now - per))
redis.call('zremrangebyscore', KEYS[2], string.format('(%d', now + guard + per), '+inf')
local count = redis.call('zcard', KEYS[2])
if count < requests then
  redis.call('zadd', KEYS[2], string.format('%d', now + guard), ARGV[4])
  redis.call('pexpire', KEYS[2], math.ceil((per + guard) / 1000) + 1)
  return 0
end
local oldest = redis.call('zrange', KEYS[2], count - requests, count - requests, 'WITHSCORES')
local wait = tonumber(oldest[2]) + per - now
if wait < 1 then wait = 1 end
return wait
"""

# Extend the pause only: two workers hit by one throttle do not shorten each other's wait.
_PAUSE_LUA = """
local left = redis.call('pttl', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('set', KEYS[1], '1', 'px', ARGV[1]) end
return 1
"""


def _private_folder(path: Path) -> None:
    """Create the folder as 0700 or tighten it; refuse one that others may write to and we cannot tighten
    (they could swap an account's file for a link to anything)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ValueError(f"the rate-limit folder {path} is not a folder (a symlink or a file)")
    if info.st_uid == os.getuid():
        os.chmod(path, 0o700)
    elif info.st_mode & 0o022:
        raise ValueError(f"the rate-limit folder {path} belongs to another user and others may write to it")


def _check(requests: int, per_seconds: float, guard: float) -> None:
    if int(requests) < 1 or per_seconds <= 0 or guard < 0:
        raise ValueError("a rate limit needs requests >= 1, per_seconds > 0 and guard >= 0")


def make_limiter(
    backend: str | None, requests: int, per_seconds: float, *, clock: Clock | None = None, guard: float = DEFAULT_GUARD
) -> RateLimiter:
    """A limiter from a backend URL: ``memory://`` (default), ``file:///dir`` or ``redis://host:port/db``."""
    if not backend or backend.startswith("memory:"):
        return MovingWindowLimiter(requests, per_seconds, clock, guard=guard)
    parts = urllib.parse.urlsplit(backend)
    if parts.scheme == "file":
        directory = urllib.parse.unquote(parts.path or parts.netloc)
        return FileLimiter(directory, requests, per_seconds, clock, guard=guard)
    if parts.scheme in ("redis", "rediss", "redis+unix", "unix"):
        return RedisLimiter(backend, requests, per_seconds, guard=guard)
    raise ValueError("rate-limit backend must be memory://, file:///path or redis://host:port/db")
