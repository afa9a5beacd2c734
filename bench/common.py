"""Shared pieces: sizes, figures, timing helpers, the machine description, fake keys."""

from __future__ import annotations

import datetime as dt
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sizes:
    """How much work each section does; ``full`` for RESULTS.md, ``quick`` for CI, ``tiny`` for the smoke test."""

    name: str
    overhead_calls: int  # timed calls per operation and side
    overhead_rounds: int  # engine and hand-written alternate this many times
    startup_runs: int  # fresh processes per command
    large_counts: tuple[int, ...]  # contacts in the "return all" accounts
    large_rounds: int  # alternating passes per count
    memory_counts: tuple[int, ...]  # contacts for the peak-memory passes of the streaming form
    many_calls: int  # get_contact calls in the "many steps" section
    many_accounts: int
    many_concurrency: int
    many_rounds: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(
            "full",
            overhead_calls=3000,
            overhead_rounds=10,
            startup_runs=15,
            large_counts=(10_000, 100_000),
            large_rounds=3,
            memory_counts=(10_000, 100_000),
            many_calls=1000,
            many_accounts=20,
            many_concurrency=50,
            many_rounds=5,
        )

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            "quick",
            overhead_calls=200,
            overhead_rounds=4,
            startup_runs=3,
            large_counts=(1_000,),
            large_rounds=1,
            memory_counts=(500, 2_000),
            many_calls=100,
            many_accounts=4,
            many_concurrency=10,
            many_rounds=1,
        )

    @classmethod
    def tiny(cls) -> Sizes:
        return cls(
            "tiny",
            overhead_calls=20,
            overhead_rounds=2,
            startup_runs=1,
            large_counts=(250,),
            large_rounds=1,
            memory_counts=(150, 300),
            many_calls=20,
            many_accounts=2,
            many_concurrency=4,
            many_rounds=1,
        )


@dataclass
class Figure:
    """One measured figure: the engine's value, the baseline's, and how the ratio compares with its target."""

    section: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def ratio_figure(
    section: str,
    name: str,
    value: float,
    baseline: float,
    unit: str,
    *,
    higher_is_better: bool,
    limit: float | None,
    baseline_name: str,
    detail: str = "",
) -> Figure:
    """A figure whose ratio is value / baseline, met when it is on the right side of ``limit``."""
    ratio = value / baseline if baseline else float("nan")
    met = None
    target = ""
    if limit is not None:
        met = ratio >= limit if higher_is_better else ratio <= limit
        target = f"{'≥' if higher_is_better else '≤'} {limit:g}"
    return Figure(section, name, value, unit, baseline, baseline_name, ratio, target, met, detail)


def fake_key() -> str:
    """An obviously fake API key, new for every run."""
    return f"bench-{secrets.token_hex(6)}"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def per_call_times(fn: Callable[[], Any], calls: int) -> list[float]:
    """Wall time of each of ``calls`` calls, in seconds."""
    out = []
    clock = time.perf_counter
    for _ in range(calls):
        start = clock()
        fn()
        out.append(clock() - start)
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict[str, str]:
    """The machine and interpreter the figures were measured on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical ({usable} usable)",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(terse=True),
        "executable": sys.executable,
    }


def fmt(value: float | None, unit: str = "") -> str:
    """A short human form of a measured value."""
    if value is None or value != value:  # None or NaN
        return "–"
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "bytes":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()
