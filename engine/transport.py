"""Send one request reliably: rate limit, credential gate, redirects, retries by idempotency.

This is the only place that decides whether to try again. See the reliability
contract (R1-R4, R6) for the rules implemented here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from .auth import Authentication, origin_of
from .clock import Clock
from .effects import Exchange, Pipeline, Send, Sleep
from .errors import (
    ConnectionFailed,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    RedirectBlocked,
    ServerError,
    Timeout,
    UpstreamError,
)
from .model import ConnectorSpec, OperationSpec, Timeouts
from .ratelimit import RateLimiter, limiter_key
from .redaction import scrub
from .retry import RetryPolicy
from .upstream import classify, parse_body

_REDIRECTS = {301, 302, 303, 307, 308}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_AMBIGUOUS = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass
class Call:
    """Everything one operation call needs while it runs."""

    spec: ConnectorSpec
    op: OperationSpec
    auth: Authentication
    limiter: RateLimiter
    clock: Clock
    policy: RetryPolicy
    timeouts: Timeouts
    rng: random.Random
    started: float
    attempts: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def deadline_at(self) -> float:
        return self.started + self.policy.deadline

    def remaining(self) -> float:
        return self.deadline_at - self.clock.monotonic()

    def scrub(self, text: str) -> str:
        return scrub(text, self.auth.secret_values())


def _timeout_for(call: Call) -> dict[str, float]:
    left = max(0.05, call.remaining())
    t = call.timeouts
    return {"connect": min(t.connect, left), "read": min(t.read, left), "write": min(t.write, left),
            "pool": min(t.pool, left)}


def _wait_for_slot(call: Call, key: str) -> Pipeline:
    while (wait := call.limiter.try_acquire(key)) > 0:
        if wait > call.remaining():
            raise RateLimited(f"the account's rate limit needs a wait of {wait:.1f}s, past this call's deadline",
                              retry_after=round(wait, 3))
        yield Sleep(wait)


def exchange(call: Call, request: httpx.Request) -> Pipeline:
    """Send ``request`` and return an Exchange with a 2xx response, or raise a typed error."""
    key = limiter_key(call.auth.origin)
    attempt = 0
    hops = 0
    while True:
        attempt += 1
        yield from _wait_for_slot(call, key)
        call.auth.attach(request)
        request.extensions["timeout"] = _timeout_for(call)
        call.attempts += 1
        failure: ConnectorError
        try:
            result: Exchange = yield Send(request, call.spec.defaults.max_response_bytes)
        except _NOT_SENT as exc:
            failure = ConnectionFailed(f"could not connect to {request.url.host}: {type(exc).__name__}")
            retry_any = True
        except httpx.TimeoutException as exc:
            phase = {"ReadTimeout": "read", "WriteTimeout": "write"}.get(type(exc).__name__, "read")
            failure = Timeout(f"{request.method} {request.url.path} timed out while waiting to {phase}", phase=phase)
            retry_any = False
        except _AMBIGUOUS as exc:
            failure = ConnectionFailed(f"the connection to {request.url.host} broke before the response "
                                       f"arrived: {type(exc).__name__}")
            retry_any = False
        else:
            response = result.response
            status = response.status_code
            if 200 <= status < 300:
                return result
            if status in _REDIRECTS:
                hops += 1
                request = _follow(call, request, response, hops)
                attempt -= 1
                continue
            if status == 404 and request.method == "DELETE" and attempt > 1:
                return Exchange(response, b"{}")  # an earlier attempt deleted it
            failure = _upstream_error(call, response, result.content)
            retry_any = isinstance(failure, RateLimited)
            if retry_any and call.limiter is not None:
                pause = failure.retry_after if failure.retry_after is not None else 1.0
                call.limiter.pause(key, min(pause, call.policy.max_retry_after))
            elif not isinstance(failure, (ServerError, Timeout)):
                raise failure
        if not retry_any and not call.op.retries_ambiguous_failures(request.method):
            raise OutcomeUnknown(
                f"{call.op.title}: the request may or may not have been carried out ({failure.message}). "
                "It was not repeated, to avoid a duplicate; check before running it again.",
                cause=failure.to_dict(), operation=call.op.name)
        wait = _retry_wait(call, failure, attempt)
        if attempt >= call.policy.max_attempts:
            failure.details["attempts"] = attempt
            raise failure
        if wait > call.remaining() or (isinstance(failure, RateLimited) and wait > call.policy.max_retry_after):
            if isinstance(failure, RateLimited):
                failure.retry_after = round(wait, 3)
                failure.details["retry_after"] = failure.retry_after
            failure.details["attempts"] = attempt
            raise failure
        yield Sleep(wait)


def _retry_wait(call: Call, failure: ConnectorError, attempt: int) -> float:
    if isinstance(failure, RateLimited) and failure.retry_after is not None:
        return failure.retry_after
    return call.policy.backoff(attempt, call.rng)


def _upstream_error(call: Call, response: httpx.Response, content: bytes) -> UpstreamError:
    body = parse_body(content)
    if isinstance(body, str):
        body = call.scrub(body)
    err = classify(response.status_code, response.reason_phrase, response.headers, body,
                   call.spec.error_rules, call.spec.error_hints)
    err.message = call.scrub(err.message)
    return err


def _follow(call: Call, request: httpx.Request, response: httpx.Response, hops: int) -> httpx.Request:
    """Follow a redirect only to the same origin, and only where the method may be kept."""
    location = response.headers.get("location", "")
    target = request.url.join(location)
    status = response.status_code
    if origin_of(target) != call.auth.origin:
        raise RedirectBlocked(f"the server redirected ({status}) to another origin, {target.host}; "
                              "not followed, so the credential stays with the account",
                              status=status, target_host=target.host)
    if hops > call.spec.defaults.max_redirects:
        raise RedirectBlocked(f"too many redirects (more than {call.spec.defaults.max_redirects})",
                              status=status, target_host=target.host)
    if status in (301, 302, 303) and request.method not in ("GET", "HEAD"):
        raise RedirectBlocked(f"the server answered {status} to a {request.method}; a redirect that would change "
                              "the method is not followed", status=status, target_host=target.host)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in call.auth.header_names}
    return httpx.Request(request.method, target, headers=headers, content=request.content)
