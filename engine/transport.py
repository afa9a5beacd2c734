"""Send one request reliably: rate limit, credential gate, redirects, retries by idempotency.

This is the only place that decides whether to try again. See the reliability
contract (R1-R4, R6) for the rules implemented here:

- never sent (connect error, connect or pool timeout): retried for every operation;
- throttled (429, a 503 with Retry-After, a declared rate-limit answer): retried for every
  operation after ``Retry-After`` (seconds or an HTTP date), and the pause is written to the
  shared limiter so every worker of the account waits;
- ambiguous (5xx, 408, a read timeout, a connection dropped after sending): retried only when
  the operation may be repeated; otherwise ``OutcomeUnknown``;
- any other 4xx: never retried; a DELETE whose earlier attempt may have been carried out and
  whose retry is answered with what the connector's error rules call ``not_found`` is done;
- at most ``max_attempts`` attempts, full-jitter backoff, one deadline for the whole call; a wait
  that would end past the deadline fails at once with the time to wait.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import jsonlimits
from .auth import Authentication, origin_of
from .clock import Clock
from .effects import Exchange, Pipeline, Send, Sleep
from .errors import (
    ConnectionFailed,
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RedirectBlocked,
    ServerError,
    Timeout,
    UpstreamError,
)
from .model import ConnectorSpec, OperationSpec, Timeouts
from .ratelimit import RateLimiter, limiter_key
from .redaction import scrub, scrub_any_case, scrub_bytes, scrub_data
from .retry import RetryPolicy
from .upstream import classify, parse_error_body

_REDIRECTS = {301, 302, 303, 307, 308}
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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

    def restart_deadline(self) -> None:
        """A new deadline window (each page of a long listing gets its own)."""
        self.started = self.clock.monotonic()

    def scrub(self, text: str) -> str:
        return scrub(text, self.auth.secret_values())


def _timeout_for(call: Call) -> dict[str, float]:
    left = max(0.05, call.remaining())
    t = call.timeouts
    return {"connect": min(t.connect, left), "read": min(t.read, left), "write": min(t.write, left), "pool": min(t.pool, left)}


def _wait_for_slot(call: Call, key: str) -> Pipeline:
    while (wait := call.limiter.try_acquire(key)) > 0:
        if wait > call.remaining():
            raise RateLimited(
                f"the account's rate limit needs a wait of {wait:.1f}s, past this call's deadline", retry_after=round(wait, 3)
            )
        yield Sleep(wait)


def _sent_failure(exc: httpx.HTTPError, request: httpx.Request) -> tuple[ConnectorError, bool]:
    """(typed error, retry whatever the operation) for an exchange that broke in transit."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, httpx.ConnectTimeout):
        return Timeout(f"{where}: timed out while connecting to {request.url.host}", phase="connect"), True
    if isinstance(exc, httpx.PoolTimeout):
        return Timeout(f"{where}: no free connection in time", phase="pool"), True
    if isinstance(exc, _NEVER_SENT):
        return ConnectionFailed(f"could not connect to {request.url.host}: {type(exc).__name__}"), True
    if isinstance(exc, httpx.TimeoutException):
        phase = "write" if isinstance(exc, httpx.WriteTimeout) else "read"
        return Timeout(f"{where} timed out while waiting to {phase}", phase=phase), False
    return ConnectionFailed(
        f"the connection to {request.url.host} broke before the whole response arrived: {type(exc).__name__}"
    ), False


def exchange(call: Call, request: httpx.Request) -> Pipeline:
    """Send ``request`` and return an Exchange with a 2xx response, or raise a typed error."""
    key = limiter_key(call.auth.origin)
    secrets = call.auth.secret_values()
    attempt = 0
    hops = 0
    maybe_done = False  # an earlier attempt may have been carried out
    last: ConnectorError | None = None
    while True:
        if call.remaining() <= 0:
            raise _out_of_time(call, last, attempt)
        attempt += 1
        yield from _wait_for_slot(call, key)
        call.auth.attach(request)
        request.extensions["timeout"] = _timeout_for(call)
        call.attempts += 1
        failure: ConnectorError
        try:
            result: Exchange = yield Send(request, call.spec.defaults.max_response_bytes, budget=max(0.05, call.remaining()))
        except httpx.HTTPError as exc:
            failure, retry_any = _sent_failure(exc, request)
        else:
            result = _scrubbed(result, secrets)
            response = result.response
            status = response.status_code
            if 200 <= status < 300:
                return result
            if status in _REDIRECTS:
                hops += 1
                request = _follow(call, request, response, hops)
                attempt -= 1
                continue
            failure = _upstream_error(call, response, result.content)
            if isinstance(failure, NotFound) and request.method == "DELETE" and maybe_done:
                # The connector's error rules call this answer not found: an earlier attempt deleted it.
                return Exchange(response, b"{}")
            retry_any = isinstance(failure, RateLimited)
            if isinstance(failure, RateLimited):
                call.limiter.pause(key, failure.retry_after if failure.retry_after is not None else 1.0)
            elif not isinstance(failure, (ServerError, Timeout)):
                raise failure
        last = failure
        failure.details["attempts"] = attempt
        if not retry_any:
            if not call.op.retries_ambiguous_failures(request.method):
                raise OutcomeUnknown(
                    f"{call.op.title}: the request may or may not have been carried out ({failure.message}). "
                    "It was not repeated, to avoid a duplicate; check before running it again.",
                    cause=failure.to_dict(),
                    operation=call.op.name,
                )
            maybe_done = True
        if attempt >= call.policy.max_attempts:
            raise failure
        wait = _retry_wait(call, failure, attempt)
        if isinstance(failure, RateLimited) and (wait > call.remaining() or wait > call.policy.max_retry_after):
            failure.retry_after = round(wait, 3)
            failure.details["retry_after"] = failure.retry_after
            raise failure
        if wait >= call.remaining():
            raise failure
        yield Sleep(wait)


def _out_of_time(call: Call, last: ConnectorError | None, attempts: int) -> ConnectorError:
    if last is not None:
        return last
    return Timeout(f"{call.op.title}: the deadline of {call.policy.deadline:g}s passed", phase="deadline")


def _retry_wait(call: Call, failure: ConnectorError, attempt: int) -> float:
    if isinstance(failure, RateLimited) and failure.retry_after is not None:
        return failure.retry_after
    return call.policy.backoff(attempt, call.rng)


def _scrubbed(result: Exchange, secrets: list[str]) -> Exchange:
    """An upstream that echoes the key (in its body or headers) must not hand it on to outputs or errors."""
    content = scrub_bytes(result.content, secrets)
    if b"\\u" in content:  # and after decoding: any mix of JSON escapes spells the key too
        content = _scrubbed_decoded(content, secrets)
    response = result.response
    items = response.headers.multi_items()
    cleaned = [(scrub_any_case(k, secrets), scrub(v, secrets)) for k, v in items]
    if cleaned != items:
        response.headers = httpx.Headers(cleaned)
    reason = response.extensions.get("reason_phrase")
    if isinstance(reason, bytes) and reason:
        text = reason.decode("latin-1")
        if (kept := scrub(text, secrets)) != text:
            response.extensions["reason_phrase"] = kept.encode("latin-1")
    return result if content is result.content else Exchange(response, content)


def _scrubbed_decoded(content: bytes, secrets: list[str]) -> bytes:
    """A JSON body scrubbed as decoded values, written back only when something was censored."""
    try:
        data = jsonlimits.loads(content)
    except ValueError:
        return content
    cleaned = scrub_data(data, secrets)
    if cleaned == data:
        return content
    return jsonlimits.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode()


def _upstream_error(call: Call, response: httpx.Response, content: bytes) -> UpstreamError:
    secrets = call.auth.secret_values()
    body = scrub_data(parse_error_body(content), secrets)
    err = classify(
        response.status_code,
        response.reason_phrase,
        response.headers,
        body,
        call.spec.error_rules,
        call.spec.error_hints,
        now=call.clock.time(),
    )
    err.message = call.scrub(err.message)
    return err


def _follow(call: Call, request: httpx.Request, response: httpx.Response, hops: int) -> httpx.Request:
    """Follow a redirect only to the same origin, and only where the method may be kept."""
    location = response.headers.get("location", "")
    status = response.status_code
    try:
        target = request.url.join(location)
        target_origin = origin_of(target)
    except (httpx.InvalidURL, ValueError):  # ValueError: UnicodeError from an invalid IDNA host, among others
        raise RedirectBlocked(
            f"the server redirected ({status}) to an invalid address; not followed", status=status, target_host=""
        ) from None
    if target_origin != call.auth.origin or target.userinfo:
        raise RedirectBlocked(
            f"the server redirected ({status}) to another origin, {target.host}; "
            "not followed, so the credential stays with the account",
            status=status,
            target_host=target.host,
        )
    if hops > call.spec.defaults.max_redirects:
        raise RedirectBlocked(
            f"too many redirects (more than {call.spec.defaults.max_redirects})", status=status, target_host=target.host
        )
    if status in (301, 302, 303) and request.method not in ("GET", "HEAD"):
        raise RedirectBlocked(
            f"the server answered {status} to a {request.method}; a redirect that would change the method is not followed",
            status=status,
            target_host=target.host,
        )
    headers = {k: v for k, v in request.headers.items() if k.lower() not in call.auth.header_names}
    return httpx.Request(request.method, target, headers=headers, content=request.content)
