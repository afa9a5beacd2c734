"""Issue 18, point 11: many calls at once never starve themselves. 1,000 ``arun`` calls in flight at
once over 20 accounts, with no bound by the caller: every one completes (before: 0 of 1,000 in 130 s,
pool timeouts retried as "never sent" again and again)."""

from __future__ import annotations

import asyncio
import time

import pytest
from reliability.support import spec

from bench.serve import SandboxProcess
from engine.errors import Timeout
from engine.ratelimit import NoLimit
from engine.runtime import Connector

from .hostile import HostileServer, response, trickle

KEY = "many-calls-test-key-0123456789"
CALLS, ACCOUNTS = 1000, 20


def test_a_thousand_calls_over_twenty_accounts_all_complete():
    with SandboxProcess(KEY, accounts=ACCOUNTS, contacts=0) as sandboxes:
        c = Connector(spec(), allow_loopback=True, limiter=NoLimit())
        auths = [c.authentication({"api_url": url, "api_key": KEY}, name=f"a{i}") for i, url in enumerate(sandboxes.urls)]

        async def all_at_once() -> list:
            calls = [c.arun("get_user", {"user_id": "1"}, auths[i % ACCOUNTS]) for i in range(CALLS)]
            results = await asyncio.gather(*calls, return_exceptions=True)
            await c.aclose()
            return results

        try:
            results = asyncio.run(all_at_once())
        finally:
            c.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"{len(failures)} of {CALLS} failed, first: {failures[0]!r}"
    assert all(r["user"]["id"] == "1" for r in results)


def test_waiting_for_a_slot_counts_against_the_deadline_and_is_not_retried():
    """One slot per account, a first call holding it: the second ends at its own deadline as a
    ``timeout`` of phase ``deadline`` and sends nothing."""
    slow = trickle(response(body=b'{"user": {"id": "1"}}'), every=0.05)
    with HostileServer(slow) as server:
        c = Connector(spec(), allow_loopback=True, limiter=NoLimit(), max_in_flight=1)
        auth = c.authentication({"api_url": server.url, "api_key": KEY}, name="one-slot")

        async def two() -> tuple:
            first = asyncio.create_task(c.arun("get_user", {"user_id": "1"}, auth, deadline=30))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            with pytest.raises(Timeout) as info:
                await c.arun("get_user", {"user_id": "2"}, auth, deadline=1.0)
            waited = time.monotonic() - started
            await first
            await c.aclose()
            return info.value, waited

        try:
            error, waited = asyncio.run(two())
        finally:
            c.close()
    assert error.phase == "deadline" and waited < 2.0
    assert len(server.requests) == 1


def test_the_total_bound_spans_accounts():
    """Besides its account's slots, a call needs one of the connector's total, in threads and tasks alike."""
    from engine.inflight import InFlightLimit

    a, b = ("https", "a.example.com", 443), ("https", "b.example.com", 443)
    limit = InFlightLimit(per_origin=5, total=1)
    with limit.slot(a, 1.0), pytest.raises(Timeout), limit.slot(b, 0.2):
        pass
    with limit.slot(b, 0.2):  # released on the way out, whichever failed
        pass

    async def tasks() -> None:
        async with limit.aslot(a, 1.0):
            with pytest.raises(Timeout):
                async with limit.aslot(b, 0.2):
                    pass
        async with limit.aslot(b, 0.2):
            pass

    asyncio.run(tasks())
