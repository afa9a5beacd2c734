"""Waiting for something another thread or process does (a webhook delivery, a background run)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll until ``predicate()`` is truthy (a loaded machine gets a margin); its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
