"""Run a pipeline: the sync and async drivers, each a few lines of I/O."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import httpx

from .auth import POLICY_EXTENSION, origin_of
from .clock import Clock
from .decoding import BoundedDecoder
from .effects import Emit, Exchange, Pipeline, Send, Sleep
from .errors import CredentialScopeError, RedirectBlocked, ResponseTooLarge
from .inflight import InFlightLimit
from .netguard import call_scope

_WAIT_FOREVER = 86400.0


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


def _in_memory(response: httpx.Response, limit: int) -> bytes:
    """A response an injected transport built whole (httpx.MockTransport): httpx has read and decoded it."""
    if len(response.content) > limit:
        raise _too_large(limit)
    return response.content


def _read(response: httpx.Response, limit: int, ends: float | None) -> bytes:
    _check_length(response, limit)
    if response.is_stream_consumed:
        return _in_memory(response, limit)
    decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
    chunks = []
    for chunk in response.iter_raw():  # raw: decompressed here, counted as it grows (decoding.py)
        _over_budget(response, ends)
        chunks.append(decoder.feed(chunk))
    chunks.append(decoder.flush())
    return b"".join(chunks)


async def _aread(response: httpx.Response, limit: int, ends: float | None) -> bytes:
    _check_length(response, limit)
    if response.is_stream_consumed:
        return _in_memory(response, limit)
    decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
    chunks = []
    async for chunk in response.aiter_raw():
        _over_budget(response, ends)
        chunks.append(decoder.feed(chunk))
    chunks.append(decoder.flush())
    return b"".join(chunks)


def _ends(effect: Send) -> float | None:
    return None if effect.budget is None else time.monotonic() + effect.budget


def _check_client(client: httpx.Client | httpx.AsyncClient) -> None:
    """An injected client must not read proxy settings from the environment: a stray HTTP_PROXY would see
    every header of a plain-http request (the sandbox's), credentials included."""
    if client.trust_env:
        raise CredentialScopeError(
            "the HTTP client reads proxy settings from the environment; pass one made with trust_env=False"
        )


@contextlib.contextmanager
def _location_errors() -> Iterator[None]:
    """httpx parses a redirect's Location (for ``next_request``) even when not following it: an unreadable
    one (an invalid IDNA host, a broken URL) is a blocked redirect, not a crash or a broken connection."""
    unusable = RedirectBlocked(
        "the server redirected to an address that cannot be read (an invalid host name); not followed", status=0, target_host=""
    )
    try:
        yield
    except (httpx.InvalidURL, ValueError):
        raise unusable from None
    except httpx.RemoteProtocolError as exc:
        if "location header" in str(exc).lower():
            raise unusable from None
        raise


def _slot(slots: InFlightLimit | None, request: httpx.Request, ends: float | None) -> contextlib.AbstractContextManager[None]:
    if slots is None:
        return contextlib.nullcontext()
    return slots.slot(origin_of(request.url), _WAIT_FOREVER if ends is None else ends - time.monotonic())


def _aslot(
    slots: InFlightLimit | None, request: httpx.Request, ends: float | None
) -> contextlib.AbstractAsyncContextManager[None]:
    if slots is None:
        return contextlib.nullcontext()
    return slots.aslot(origin_of(request.url), _WAIT_FOREVER if ends is None else ends - time.monotonic())


def _exchange(client: httpx.Client, effect: Send, slots: InFlightLimit | None = None) -> Exchange:
    _check_client(client)
    ends = _ends(effect)  # before waiting for a slot: the wait counts against the deadline
    request = effect.request
    with _slot(slots, request, ends), call_scope(ends, request.extensions.get(POLICY_EXTENSION)):
        # follow_redirects=False per send, whatever client was injected: the transport follows same-origin hops.
        with _location_errors():
            response = client.send(request, stream=True, follow_redirects=False)
        try:
            return Exchange(response, _read(response, effect.max_bytes, ends))
        finally:
            response.close()


async def _aexchange(client: httpx.AsyncClient, effect: Send, slots: InFlightLimit | None = None) -> Exchange:
    _check_client(client)
    ends = _ends(effect)
    request = effect.request
    import asyncio  # imported by async callers only

    async with _aslot(slots, request, ends):
        with call_scope(ends, request.extensions.get(POLICY_EXTENSION)):
            send = client.send(request, stream=True, follow_redirects=False)
            with _location_errors():
                response = await (send if ends is None else asyncio.wait_for(send, max(0.0, ends - time.monotonic())))
            try:
                return Exchange(response, await _aread(response, effect.max_bytes, ends))
            finally:
                await response.aclose()


def iterate(
    pipeline: Pipeline, client: httpx.Client, clock: Clock, slots: InFlightLimit | None = None
) -> Generator[Emit, None, Any]:
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
                value = _exchange(client, effect, slots)
            elif isinstance(effect, Sleep):
                clock.sleep(effect.seconds)
        except (httpx.HTTPError, ResponseTooLarge) as exc:
            error = exc


def drive(pipeline: Pipeline, client: httpx.Client, clock: Clock, slots: InFlightLimit | None = None) -> Any:
    """Run a pipeline to its result."""
    steps = iterate(pipeline, client, clock, slots)
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        return stop.value


async def aiterate(
    pipeline: Pipeline, client: httpx.AsyncClient, clock: Clock, result: list[Any], slots: InFlightLimit | None = None
) -> AsyncIterator[Emit]:
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
                value = await _aexchange(client, effect, slots)
            elif isinstance(effect, Sleep):
                await clock.async_sleep(effect.seconds)
        except (httpx.HTTPError, ResponseTooLarge) as exc:
            error = exc
        except TimeoutError:  # asyncio.wait_for: the whole attempt outlived the deadline
            error = httpx.ReadTimeout(
                "no response before the deadline", request=effect.request if isinstance(effect, Send) else None
            )


async def adrive(pipeline: Pipeline, client: httpx.AsyncClient, clock: Clock, slots: InFlightLimit | None = None) -> Any:
    result: list[Any] = []
    async for _ in aiterate(pipeline, client, clock, result, slots):
        pass
    return result[0]
