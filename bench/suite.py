"""The sections, in the order RESULTS.md shows them, and the runner the CLI and the smoke test share."""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from .common import Figure, Sizes

SECTIONS: dict[str, str] = {
    "overhead": "bench.overhead",
    "startup": "bench.startup",
    "large": "bench.large",
    "many": "bench.many",
}


@dataclass
class SuiteResult:
    sizes: Sizes
    figures: list[Figure] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_suite(
    sizes: Sizes,
    sections: list[str] | None = None,
    *,
    raise_errors: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Run the chosen sections (all by default); a section that crashes is recorded, not timed."""
    result = SuiteResult(sizes)
    for name in sections or list(SECTIONS):
        module = importlib.import_module(SECTIONS[name])
        if progress:
            progress(f"{name}: running ({sizes.name})")
        started = time.perf_counter()
        try:
            figures = module.run(sizes)
        except Exception:
            if raise_errors:
                raise
            result.errors[name] = traceback.format_exc(limit=8)
            figures = []
        result.seconds[name] = time.perf_counter() - started
        result.figures.extend(figures)
        if progress:
            progress(f"{name}: done in {result.seconds[name]:.1f} s")
    return result
