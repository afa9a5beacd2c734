"""The only things the call pipeline asks of the outside world.

The pipeline is a generator that yields these and is sent the results; a sync
and an async driver carry them out. One pipeline, no duplicated logic.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Send:
    """Send a request; the driver answers with an :class:`Exchange` or throws the httpx error."""

    request: httpx.Request
    max_bytes: int
    budget: float | None = None  # seconds this attempt may take in all, body included (the call's deadline)


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Emit:
    """Items ready for a streaming caller (ignored when the caller wants one result)."""

    items: list[Any]


@dataclass(frozen=True)
class Exchange:
    response: httpx.Response
    content: bytes


Pipeline = Generator[Send | Sleep | Emit, Any, Any]
