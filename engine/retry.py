"""Retry policy numbers and the backoff formula, in one place."""

from __future__ import annotations

import random
from dataclasses import dataclass


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
