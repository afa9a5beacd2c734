"""3. Large accounts: "return all" of many contacts over loopback, and memory when streaming.

The sandbox runs in its own process (rate limit off), so the client under test has a core and
an interpreter to itself. Three clients page the same endpoint the same way (keyset: ``orders[id]=ASC``
and ``id_greater`` after the last id, 100 a page): raw httpx collecting the records, the engine's
``Connector.stream`` and ``Connector.run(..., return_all)``. Peak memory of the streaming form is
measured with tracemalloc in this process (the server's memory is not counted).

Each way is also run once per round in a brand-new process (bench/firstcall.py): the first call, which
is what a CLI run or a one-off workflow step gets, next to the warmed median; and the CLI itself reads
every contact (``ac-connector run list_contacts --input '{"return_all": true}'``), timed with its peak RSS.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx

from .common import ROOT, Figure, Sizes, fake_key, median, ratio_figure
from .firstcall import fresh, timed_cli
from .serve import SandboxProcess

SECTION = "3. Large accounts"
TARGET = 0.8
RUN_VS_STREAM = 1.3
MEMORY_GROWTH_LIMIT = 1.25
RUN_MEMORY_LIMIT = 2.0  # run()'s peak next to the records themselves
CLI_MEMORY_LIMIT = 100 * 1024 * 1024
PAGE = 100


def raw_return_all(client: httpx.Client, url: str, key: str) -> list[Any]:
    """Hand-written keyset paging with httpx: what the engine's list_contacts does with return_all."""
    headers = {"Api-Token": key, "Accept": "application/json"}
    records: list[Any] = []
    after: str | None = None
    while True:
        params = {"limit": PAGE, "orders[id]": "ASC"}
        if after is not None:
            params["id_greater"] = after
        response = client.get(f"{url}/api/3/contacts", params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        page = response.json()["contacts"]
        records.extend(page)
        if len(page) < PAGE:
            return records
        after = page[-1]["id"]


def _timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, records)."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, count


def _peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(sizes: Sizes) -> list[Figure]:
    from engine.loader import load_connector
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    key = fake_key()
    connector = Connector(load_connector(ROOT), limiter=NoLimit(), allow_loopback=True, strict_output=True)
    everything = {"return_all": True}  # every record: return_all has no cap unless max_items is set
    figures: list[Figure] = []
    peaks: dict[int, int] = {}
    run_memory: dict[str, int] = {}
    cache = tempfile.mkdtemp(prefix="bench-spec-cache-")
    Connector.load(ROOT, cache_dir=cache).close()  # the cache a user's first CLI run leaves behind
    try:
        for count in sorted(set(sizes.large_counts) | set(sizes.memory_counts)):
            with (
                SandboxProcess(key, contacts=count, timeout=600) as sandbox,
                httpx.Client(trust_env=False, timeout=60) as client,
            ):
                auth = connector.authentication({"api_url": sandbox.url, "api_key": key}, name="bench")
                expected = count + 2  # the seeded account has two contacts of its own
                ways: dict[str, Callable[[], int]] = {
                    "raw": lambda: len(raw_return_all(client, sandbox.url, key)),  # noqa: B023 - used in this loop
                    "stream": lambda: sum(1 for _ in connector.stream("list_contacts", everything, auth)),  # noqa: B023
                    "run": lambda: len(connector.run("list_contacts", everything, auth)["contacts"]),  # noqa: B023
                }
                if count in sizes.large_counts:
                    figures += _rates(sizes, count, expected, ways)
                    figures += _first_calls(sizes, count, expected, sandbox.url, key, cache)
                if count in sizes.memory_counts:
                    peaks[count] = _peak(ways["stream"])
                    if count == max(sizes.memory_counts):
                        run_memory = {"count": count, "raw": _peak(ways["raw"]), "run": _peak(ways["run"])}
    finally:
        connector.close()
    low, high = min(peaks), max(peaks)
    memory = ratio_figure(
        SECTION,
        f"peak memory of Connector.stream: {high:,} vs {low:,} contacts",
        peaks[high],
        peaks[low],
        "bytes",
        higher_is_better=False,
        limit=MEMORY_GROWTH_LIMIT,
        baseline_name=f"the same at {low:,}",
        detail="tracemalloc peak in the client process; flat means it does not grow with N",
    )
    figures.append(memory)
    if run_memory:
        figures.append(
            ratio_figure(
                SECTION,
                f"peak memory of Connector.run(return_all) at {run_memory['count']:,} contacts",
                run_memory["run"],
                run_memory["raw"],
                "bytes",
                higher_is_better=False,
                limit=RUN_MEMORY_LIMIT,
                baseline_name="the records themselves (raw httpx collecting them)",
                detail="tracemalloc peaks in the client process",
            )
        )
    return figures


def _first_calls(sizes: Sizes, count: int, expected: int, url: str, key: str, cache: str) -> list[Figure]:
    """Each way as the first call of a new process, interleaved; and the CLI reading everything."""
    seconds: dict[str, list[float]] = {"raw": [], "stream": [], "run": []}
    stream_process: list[float] = []
    cli_seconds: list[float] = []
    cli_peaks: list[int] = []
    cli_env = {
        "AC_API_URL": url,
        "AC_API_KEY": key,
        "AC_CONNECTOR_CACHE": cache,
        "AC_CONNECTOR_RATE_LIMIT": "off",
        "AC_CONNECTOR_HOME": os.path.join(cache, "home"),
    }
    cli = ["run", "list_contacts", "--input", '{"return_all": true}']
    for _ in range(sizes.large_rounds):
        for name in seconds:
            result = fresh(name, url, key, cache)
            if result["records"] != expected:
                raise AssertionError(f"first call {name} returned {result['records']} records, expected {expected}")
            seconds[name].append(result["seconds"])
            if name == "stream":
                stream_process.append(result["process_seconds"])
        wall, peak = timed_cli(cli, cli_env)
        cli_seconds.append(wall)
        cli_peaks.append(peak)
    rate = {name: expected / median(values) for name, values in seconds.items()}
    rounds = f"first call of a fresh process, median of {sizes.large_rounds}"
    out = [
        ratio_figure(
            SECTION,
            f"first call, return all {count:,} contacts: {label}",
            rate[name],
            rate["raw"],
            "records/s",
            higher_is_better=True,
            limit=TARGET,
            baseline_name="raw httpx keyset paging, first call",
            detail=rounds,
        )
        for name, label in (("stream", "Connector.stream"), ("run", "Connector.run(return_all)"))
    ]
    out.append(
        ratio_figure(
            SECTION,
            f"first call, return all {count:,} contacts: run next to stream",
            median(seconds["run"]),
            median(seconds["stream"]),
            "s",
            higher_is_better=False,
            limit=RUN_VS_STREAM,
            baseline_name="Connector.stream, first call",
            detail=rounds,
        )
    )
    out.append(
        ratio_figure(
            SECTION,
            f"`ac-connector run list_contacts` (return all {count:,}), whole process",
            median(cli_seconds),
            median(stream_process),
            "s",
            higher_is_better=False,
            limit=RUN_VS_STREAM,
            baseline_name="Connector.stream, a whole fresh process",
            detail=f"median of {sizes.large_rounds}; output to /dev/null; both start, import, "
            "load from the spec cache and read everything",
        )
    )
    peak = max(cli_peaks)
    out.append(
        Figure(
            SECTION,
            f"`ac-connector run list_contacts` (return all {count:,}): peak RSS",
            peak,
            "bytes",
            target=f"< {CLI_MEMORY_LIMIT >> 20} MiB",
            met=peak < CLI_MEMORY_LIMIT,
            detail="the whole process (interpreter, imports and all; VmHWM), largest of the rounds",
        )
    )
    return out


def _rates(sizes: Sizes, count: int, expected: int, ways: dict[str, Callable[[], int]]) -> list[Figure]:
    for name, fn in ways.items():  # warm-up pass, and check that every way sees every record
        got = fn()
        if got != expected:
            raise AssertionError(f"{name} returned {got} records, expected {expected}")
    walls: dict[str, list[float]] = {name: [] for name in ways}
    cpus: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(sizes.large_rounds):
        for name, fn in ways.items():
            wall, cpu, _ = _timed(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    rate = {name: expected / median(w) for name, w in walls.items()}
    cpu_per_record = {name: median(c) / expected for name, c in cpus.items()}
    out = []
    for name, label in (("stream", "Connector.stream"), ("run", "Connector.run(return_all)")):
        fig = ratio_figure(
            SECTION,
            f"return all {count:,} contacts: {label}",
            rate[name],
            rate["raw"],
            "records/s",
            higher_is_better=True,
            limit=TARGET,
            baseline_name="raw httpx keyset paging",
            detail=f"median of {sizes.large_rounds} passes; client CPU per record "
            f"{cpu_per_record[name] * 1e6:.1f} µs vs {cpu_per_record['raw'] * 1e6:.1f} µs",
        )
        fig.extra.update(cpu_per_record=cpu_per_record[name], raw_cpu_per_record=cpu_per_record["raw"])
        out.append(fig)
    out.append(
        ratio_figure(
            SECTION,
            f"return all {count:,} contacts: run next to stream",
            median(walls["run"]),
            median(walls["stream"]),
            "s",
            higher_is_better=False,
            limit=RUN_VS_STREAM,
            baseline_name="Connector.stream",
            detail=f"warmed, median of {sizes.large_rounds} passes",
        )
    )
    return out
