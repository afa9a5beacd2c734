"""The Redis moving window itself, against a real redis-server: atomic under contention, widened by the guard.

The three-process test in test_rate_limit_shared.py shows the budget holds end to end; these pin down the
script's rule on its own, with budgets and windows large enough that a busy machine cannot blur them.
"""

from __future__ import annotations

import threading
import time

import pytest

from engine.ratelimit import RedisLimiter


@pytest.fixture
def redis_backend(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def test_contending_limiters_admit_exactly_the_budget(redis_backend):
    """Eight limiters (as eight workers) race for 10 slots of a 30 s window: exactly 10 are taken."""
    limiters = [RedisLimiter(redis_backend, 10, 30, guard=0.05) for _ in range(8)]
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(limiters))

    def work(limiter: RedisLimiter) -> None:
        start.wait()
        mine = [limiter.try_acquire("acc-race") for _ in range(25)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=work, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(waits) == 8 * 25
    assert waits.count(0.0) == 10
    assert all(0 < w <= 30.05 for w in waits if w != 0.0)


def test_the_guard_widens_the_window_and_a_refusal_is_never_zero(redis_backend):
    """One slot per 1 s with a 1.5 s guard: the next slot is 2.5 s after the first, not 1 s."""
    limiter = RedisLimiter(redis_backend, 1, 1, guard=1.5)
    assert limiter.try_acquire("acc-guard") == 0.0
    assert 1.5 < limiter.try_acquire("acc-guard") <= 2.5
    time.sleep(1.2)  # past the bare window: the guard still holds the slot
    assert 0 < limiter.try_acquire("acc-guard") <= 1.3
    assert limiter.try_acquire("acc-other") == 0.0  # accounts are separate


def test_a_slot_frees_when_the_wait_says(redis_backend):
    """A fractional window (no longer whole seconds only): refused, then admitted once the returned wait has passed."""
    limiter = RedisLimiter(redis_backend, 2, 0.3, guard=0.1)
    assert [limiter.try_acquire("acc-frac") for _ in range(2)] == [0.0, 0.0]
    wait = limiter.try_acquire("acc-frac")
    assert 0 < wait <= 0.4
    time.sleep(wait)
    assert limiter.try_acquire("acc-frac") == 0.0


def test_the_window_key_expires_and_the_pause_wins(redis_backend):
    import redis

    client = redis.Redis.from_url(redis_backend)
    limiter = RedisLimiter(redis_backend, 3, 1, guard=0.05)
    assert limiter.try_acquire("acc-ttl") == 0.0
    (window_key,) = [k for k in client.keys("*") if b"window" in k]
    assert 0 < client.pttl(window_key) <= 1100
    limiter.pause("acc-ttl", 2)
    assert 1 < limiter.try_acquire("acc-ttl") <= 2  # a slot is free, but the pause comes first
