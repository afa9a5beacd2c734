"""Run a pipeline: the sync and async drivers, each a few lines of I/O."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Generator
from typing import Any

import httpx

from .clock import Clock
from .effects import Emit, Exchange, Pipeline, Send, Sleep
from .errors import CredentialScopeError, ResponseTooLarge


def _too_large(limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(f"the response is larger than {limit} bytes")


def _check_length(response: httpx.Response, limit: int) -> None:
    length = response.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise _too_large(limit)


def _over_budget(response: httpx.Response, ends: float | None) -> None:
    """A body that trickles in must not outlive the call's deadline (a read timeout bounds each chunk only)."""
    if ends is not None and time.monotonic() > ends:
        raise httpx.ReadTimeout("the response body did not arrive before the deadline", request=response.request)


def _read(response: httpx.Response, limit: int, ends: float | None) -> bytes:
    _check_length(response, limit)
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        _over_budget(response, ends)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _aread(response: httpx.Response, limit: int, ends: float | None) -> bytes:
    _check_length(response, limit)
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        _over_budget(response, ends)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _ends(effect: Send) -> float | None:
    return None if effect.budget is None else time.monotonic() + effect.budget


def _check_client(client: httpx.Client | httpx.AsyncClient) -> None:
    """An injected client must not read proxy settings from the environment: a stray HTTP_PROXY would see
    every header of a plain-http request (the sandbox's), credentials included."""
    if client.trust_env:
        raise CredentialScopeError("the HTTP client reads proxy settings from the environment; "
                                   "pass one made with trust_env=False")


def _exchange(client: httpx.Client, effect: Send) -> Exchange:
    _check_client(client)
    ends = _ends(effect)
    # follow_redirects=False per send, whatever client was injected: the transport follows same-origin hops itself.
    response = client.send(effect.request, stream=True, follow_redirects=False)
    try:
        return Exchange(response, _read(response, effect.max_bytes, ends))
    finally:
        response.close()


async def _aexchange(client: httpx.AsyncClient, effect: Send) -> Exchange:
    _check_client(client)
    ends = _ends(effect)
    send = client.send(effect.request, stream=True, follow_redirects=False)
    import asyncio  # imported by async callers only

    response = await (send if effect.budget is None else asyncio.wait_for(send, effect.budget))
    try:
        return Exchange(response, await _aread(response, effect.max_bytes, ends))
    finally:
        await response.aclose()


def iterate(pipeline: Pipeline, client: httpx.Client, clock: Clock) -> Generator[Emit, None, Any]:
    """Drive a pipeline, yielding its Emit effects; its return value is in StopIteration."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = pipeline.throw(error) if error is not None else pipeline.send(value)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        if isinstance(effect, Emit):
            yield effect
            continue
        try:
            if isinstance(effect, Send):
                value = _exchange(client, effect)
            elif isinstance(effect, Sleep):
                clock.sleep(effect.seconds)
        except (httpx.HTTPError, ResponseTooLarge) as exc:
            error = exc


def drive(pipeline: Pipeline, client: httpx.Client, clock: Clock) -> Any:
    """Run a pipeline to its result."""
    steps = iterate(pipeline, client, clock)
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        return stop.value


async def aiterate(pipeline: Pipeline, client: httpx.AsyncClient, clock: Clock, result: list[Any]) -> AsyncIterator[Emit]:
    """Async twin of :func:`iterate`; the pipeline's return value is appended to ``result``."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = pipeline.throw(error) if error is not None else pipeline.send(value)
        except StopIteration as stop:
            result.append(stop.value)
            return
        value, error = None, None
        if isinstance(effect, Emit):
            yield effect
            continue
        try:
            if isinstance(effect, Send):
                value = await _aexchange(client, effect)
            elif isinstance(effect, Sleep):
                await clock.async_sleep(effect.seconds)
        except (httpx.HTTPError, ResponseTooLarge) as exc:
            error = exc
        except TimeoutError:  # asyncio.wait_for: the whole attempt outlived the deadline
            error = httpx.ReadTimeout("no response before the deadline",
                                      request=effect.request if isinstance(effect, Send) else None)


async def adrive(pipeline: Pipeline, client: httpx.AsyncClient, clock: Clock) -> Any:
    result: list[Any] = []
    async for _ in aiterate(pipeline, client, clock, result):
        pass
    return result[0]
