"""Template filters beyond Jinja's own, for what specs need and Jinja lacks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import SpecError


def chunks(items: Iterable[Any], size: int, max_bytes: int | None = None) -> Iterator[list[Any]]:
    """Split a list into runs of at most ``size`` items and, when given, ``max_bytes`` of compact JSON each: the
    batches an API with per-request limits takes. An item bigger than ``max_bytes`` is a run of its own."""
    if size < 1:
        raise SpecError("chunks needs a size of at least 1")
    run: list[Any] = []
    used = 0
    for item in items:
        cost = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()) + 1 if max_bytes else 0
        if run and (len(run) >= size or (max_bytes and used + cost > max_bytes)):
            yield run
            run, used = [], 0
        run.append(item)
        used += cost
    if run:
        yield run
