"""4. Many steps at once: get_contact calls spread over many accounts with the async API.

An orchestrator runs many steps concurrently: ``Connector.arun`` under ``asyncio.gather`` with a
semaphore bounding the concurrency, against a raw ``httpx.AsyncClient`` making the same requests
with the same bound. The accounts are separate sandboxes (each its own server, rate limit off) in
one child process, so the client under test keeps its core.

A second figure drops the caller's bound: every call in flight at once. The connector bounds its own
requests per account (issue 18, point 11), so all complete, about as fast as raw httpx with a bound
chosen by hand (the baseline); how many calls a raw ``httpx.AsyncClient`` with its defaults completes
all at once (its pool timeout fails those that wait too long) is in the detail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .common import ROOT, Figure, Sizes, fake_key, median, ratio_figure
from .serve import SandboxProcess

SECTION = "4. Many steps at once"
TARGET = 0.8
CONTACTS_PER_ACCOUNT = 20


def plan(calls: int, accounts: int) -> list[tuple[int, str]]:
    """(account index, contact id) for each call: round robin over accounts, walking through their contacts."""
    return [(i % accounts, str(1 + (i // accounts) % CONTACTS_PER_ACCOUNT)) for i in range(calls)]


async def _gather(calls: list[tuple[int, str]], limit: int, one: Callable[[int, str], Awaitable[Any]]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def bounded(account: int, contact_id: str) -> Any:
        async with semaphore:
            return await one(account, contact_id)

    return await asyncio.gather(*(bounded(a, c) for a, c in calls))


async def _measure(sizes: Sizes, urls: list[str], key: str) -> dict[str, tuple[list[float], list[float]]]:
    from engine.loader import load_connector
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    connector = Connector(load_connector(ROOT), limiter=NoLimit(), allow_loopback=True, strict_output=True)
    auths = [connector.authentication({"api_url": url, "api_key": key}, name=f"account-{i}") for i, url in enumerate(urls)]
    headers = {"Api-Token": key, "Accept": "application/json"}
    calls = plan(sizes.many_calls, len(urls))
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:

        async def engine_one(account: int, contact_id: str) -> Any:
            return await connector.arun("get_contact", {"contact_id": contact_id}, auths[account])

        async def raw_one(account: int, contact_id: str) -> Any:
            response = await client.get(f"{urls[account]}/api/3/contacts/{contact_id}", headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            return response.json()

        ways = {"raw": raw_one, "engine": engine_one}
        first: dict[str, float] = {}
        for name, one in ways.items():  # the first pass: cold connections and caches; and check the answers
            started = time.perf_counter()
            results = await _gather(calls, sizes.many_concurrency, one)
            first[name] = time.perf_counter() - started
            if [r["contact"]["id"] for r in results] != [c for _, c in calls]:
                raise AssertionError(f"{name}: wrong contacts returned")
        timings: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in ways}
        timings.update({f"first {name}": ([seconds], [0.0]) for name, seconds in first.items()})
        for _ in range(sizes.many_rounds):
            for name, one in ways.items():
                wall, cpu = time.perf_counter(), time.process_time()
                await _gather(calls, sizes.many_concurrency, one)
                timings[name][0].append(time.perf_counter() - wall)
                timings[name][1].append(time.process_time() - cpu)
    await connector.aclose()
    connector.close()
    return timings


async def _all_at_once(sizes: Sizes, urls: list[str], key: str) -> dict[str, tuple[int, float]]:
    """(completed calls, wall seconds) with every call in flight at once, for the engine and raw httpx."""
    from engine.loader import load_connector
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    connector = Connector(load_connector(ROOT), limiter=NoLimit(), allow_loopback=True)
    auths = [connector.authentication({"api_url": url, "api_key": key}, name=f"account-{i}") for i, url in enumerate(urls)]
    headers = {"Api-Token": key, "Accept": "application/json"}
    calls = plan(sizes.many_calls, len(urls))
    out: dict[str, tuple[int, float]] = {}
    async with httpx.AsyncClient(trust_env=False) as client:  # httpx's defaults: 100 connections, 5 s timeouts

        async def raw_one(account: int, contact_id: str) -> Any:
            response = await client.get(f"{urls[account]}/api/3/contacts/{contact_id}", headers=headers)
            response.raise_for_status()
            return response.json()

        async def engine_one(account: int, contact_id: str) -> Any:
            return await connector.arun("get_contact", {"contact_id": contact_id}, auths[account])

        await asyncio.gather(*(engine_one(a, "1") for a in range(len(urls))))  # warm: caches, one connection each
        for name, one in {"raw": raw_one, "engine": engine_one}.items():
            wall = time.perf_counter()
            results = await asyncio.gather(*(one(a, c) for a, c in calls), return_exceptions=True)
            out[name] = (sum(not isinstance(r, BaseException) for r in results), time.perf_counter() - wall)
    await connector.aclose()
    connector.close()
    return out


def run(sizes: Sizes) -> list[Figure]:
    key = fake_key()
    with SandboxProcess(key, accounts=sizes.many_accounts, contacts=CONTACTS_PER_ACCOUNT) as sandboxes:
        timings = asyncio.run(_measure(sizes, sandboxes.urls, key))
        at_once = asyncio.run(_all_at_once(sizes, sandboxes.urls, key))
    calls = sizes.many_calls
    throughput = {name: calls / median(walls) for name, (walls, _) in timings.items()}
    cpu = {name: median(cpus) / calls for name, (_, cpus) in timings.items()}
    fig = ratio_figure(
        SECTION,
        f"{calls:,} get_contact over {sizes.many_accounts} accounts, {sizes.many_concurrency} at a time: Connector.arun",
        throughput["engine"],
        throughput["raw"],
        "calls/s",
        higher_is_better=True,
        limit=TARGET,
        baseline_name="raw httpx.AsyncClient",
        detail=f"median of {sizes.many_rounds} rounds; client CPU per call "
        f"{cpu['engine'] * 1e6:.0f} µs vs {cpu['raw'] * 1e6:.0f} µs",
    )
    fig.extra.update(cpu_per_call=cpu["engine"], raw_cpu_per_call=cpu["raw"])
    cold = ratio_figure(
        SECTION,
        f"the same, first pass of a new Connector ({calls:,} calls)",
        throughput["first engine"],
        throughput["first raw"],
        "calls/s",
        higher_is_better=True,
        limit=TARGET,
        baseline_name="raw httpx.AsyncClient, first pass",
        detail="cold connections, validators and clients; the interpreter had already imported both",
    )
    (done, wall), (raw_done, raw_wall) = at_once["engine"], at_once["raw"]
    unbounded = ratio_figure(
        SECTION,
        f"{calls:,} get_contact over {sizes.many_accounts} accounts, all at once (no caller bound): Connector.arun",
        done / wall,
        throughput["raw"],
        "calls/s",
        higher_is_better=True,
        limit=TARGET,
        baseline_name=f"raw httpx.AsyncClient, {sizes.many_concurrency} at a time",
        detail=f"completed {done:,}/{calls:,} in {wall:.1f} s (met only if all complete); "
        f"a raw httpx.AsyncClient with its defaults, all at once: {raw_done:,}/{calls:,} "
        f"in {raw_wall:.1f} s",
    )
    unbounded.met = bool(unbounded.met) and done == calls
    unbounded.extra.update(completed=done, raw_completed=raw_done, calls=calls)
    return [fig, cold, unbounded]
