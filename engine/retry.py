"""Retry policy numbers and the backoff formula, in one place."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from .model import Timeouts

TimeoutsLike = Timeouts | Mapping[str, float] | float | None


def as_timeouts(value: TimeoutsLike, base: Timeouts) -> Timeouts:
    """Per-attempt timeouts from a Timeouts, a partial mapping over ``base``, or one number for all four."""
    if value is None:
        return base
    if isinstance(value, Timeouts):
        return value
    if isinstance(value, (int, float)):
        return Timeouts(value, value, value, value)
    unknown = set(value) - {"connect", "read", "write", "pool"}
    if unknown or any(not isinstance(v, (int, float)) or v <= 0 for v in value.values()):
        raise ValueError("timeouts take positive numbers for connect, read, write and pool")
    return Timeouts(**{**base.__dict__, **value})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    deadline: float = 120.0
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], so workers do not synchronise."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))
        return rng.uniform(0.0, ceiling)
