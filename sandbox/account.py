"""One Sandbox == one ActiveCampaign account: its data, key, rate limit, faults and request log.

`Sandbox.handle()` is the framework-free dispatcher both front ends call:
(method, path, query string, headers, body bytes) -> Response(status, headers, body bytes).

Order of checks for /api/3 requests, chosen to look like a hosted API behind an edge:
1. a scripted fault (status sequence, redirect, echo) answers first, without touching state;
2. the per-account sliding-window rate limit (429, or 503 in "503 mode");
3. the Api-Token check (403);
4. routing (404 unknown path, 405 wrong method) and the resource handler.
Delays and "drop after write" from a fault wrap whatever the steps above produced.
Paths outside /api/3 answer 404 with no auth and no limit; /__sandbox__/ is the test control API.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from . import control
from .faults import FaultSet, Hit
from .fixture import load_fixture
from .hooks import HookFirer
from .log import LoggedRequest, RequestLog, mask_headers
from .ratelimit import SlidingWindow
from .resources import build_router
from .seed import seed_account, seed_user
from .store import Store
from .webhook_payloads import event_payload
from .wire import ApiError, Headers, Request, Response, dumps, parse_query, reason

API_PREFIX = "/api/3"
CONTROL_PREFIX = "/__sandbox__"
JSON_TYPE = ("Content-Type", "application/json")
ROUTER = build_router()


class Sandbox:
    """An in-memory ActiveCampaign account. Thread-safe; share one per server."""

    def __init__(
        self,
        api_key: str = "sandbox-key",
        rate_limit: int | None = 5,
        rate_window: float = 1.0,
        throttle_status: int = 429,
        control: bool = False,
        seed: bool = True,
    ):
        if throttle_status not in (429, 503):
            raise ValueError("throttle_status must be 429 or 503")
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.rate_window = float(rate_window)
        self.throttle_status = throttle_status
        self.control = control
        self.seeded = seed
        self.bulk_import_limit = 100
        self.bulk_import_window = 60.0
        self.import_delay = 0.0
        self.interrupt_imports = 0
        self.phone_only_contacts = True  # the account opted in to contacts without an email (allowNullEmail)
        self.user_id = "1"
        self.faults = FaultSet()
        self.log = RequestLog()
        self.limiter = SlidingWindow()
        self.import_limiter = SlidingWindow()
        self.lock = threading.RLock()
        self.hooks = HookFirer()
        self.store = self._new_store()

    def _new_store(self) -> Store:
        store = Store()
        (seed_account if self.seeded else seed_user)(store)
        return store

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seeded state; log, faults and rate-limit windows cleared (config kept)."""
        with self.lock:
            self.store = self._new_store()
        self.faults.clear()
        self.log.clear()
        self.limiter.clear()
        self.import_limiter.clear()
        self.hooks.wait_idle()
        self.hooks.clear()

    def load_fixture(self, contacts: int = 0, lists: int = 0, deals: int = 0, **more: int) -> dict[str, int]:
        """Add generated data for large-account tests; returns how many rows of each were added."""
        with self.lock:
            return load_fixture(self.store, contacts=contacts, lists=lists, deals=deals, **more)

    # -- dispatch ----------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        base_url: str | None = None,
    ) -> Response:
        method = method.upper()
        hdrs = headers if isinstance(headers, Headers) else Headers(headers)
        if base_url is None:
            base_url = f"http://{hdrs.get('host', '127.0.0.1')}"
        if path.startswith(CONTROL_PREFIX):
            return control.handle(self, method, path, query_string, body)

        arrived = time.time()
        hit = self.faults.take(method, path)
        response = self._respond(method, path, query_string, hdrs, body, base_url, hit)
        if hit is not None:
            fault = hit.fault
            response.delay_headers = fault.delay_headers
            response.delay_body = fault.delay_body
            response.drop = fault.drop_after_write
        self.log.append(
            LoggedRequest(
                time=arrived,
                method=method,
                path=path,
                query=parse_query(query_string),
                headers=mask_headers(dict(hdrs)),
                body=_logged_body(body, hdrs),
                status=response.status,
                fault=hit.fault.describe() if hit else None,
            )
        )
        return response

    def _respond(
        self, method: str, path: str, query_string: str, headers: Headers, body: bytes, base_url: str, hit: Hit | None
    ) -> Response:
        if hit is not None:
            injected = _injected(hit, headers)
            if injected is not None:
                return injected
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return _json_response(404, {"message": "Not Found"})

        extra: list[tuple[str, str]] = []
        if self.rate_limit is not None:
            decision = self.limiter.check(int(self.rate_limit), self.rate_window)
            extra = [("RateLimit-Limit", str(decision.limit)), ("RateLimit-Remaining", str(decision.remaining))]
            if not decision.allowed:
                status = self.throttle_status
                return _json_response(
                    status,
                    {"message": f"{reason(status)}: rate limit exceeded"},
                    extra + [("Retry-After", str(decision.retry_after))],
                )

        token = headers.get("api-token")
        if not token or token != self.api_key:
            return _json_response(403, {"message": "Forbidden"}, extra)

        route, params, allowed = ROUTER.match(method, path[len(API_PREFIX) :])
        if route is None:
            if allowed:
                return _json_response(405, {"message": "Method Not Allowed"}, extra + [("Allow", ", ".join(allowed))])
            return _json_response(404, {"message": "Not Found"}, extra)

        req = Request(method, path, parse_query(query_string), headers, body, base_url, params)
        try:
            with self.lock:
                status, payload = route.handler(self, req)
        except ApiError as exc:
            return _json_response(exc.status, exc.body, extra + list(exc.headers.items()))
        return _json_response(status, payload, extra)

    # -- helpers for resources ---------------------------------------------------------------
    def emit(self, event: str, *, list_id: str = "0", source: str = "api", **subject: Any) -> int:
        """A change happened: queue `event` (about `subject`: contact=, deal=, tag=, note= rows) for every
        matching webhook. Resources call this once per change, after the change; see hooks.py."""
        payload = event_payload(self.store, **subject)
        return self.hooks.emit(list(self.store["webhooks"]), event, payload, list_id=str(list_id), source=source)

    def user(self) -> dict:
        """The user the key belongs to (users/me)."""
        return self.store["users"].get(self.user_id) or {"id": self.user_id}


def _json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = payload if isinstance(payload, bytes) else dumps(payload)
    return Response(status, body, [JSON_TYPE, *(headers or [])])


def _injected(hit: Hit, headers: Headers) -> Response | None:
    """A fault that answers instead of the account: a status, a redirect or an echo."""
    fault = hit.fault
    extra = list(fault.headers.items())
    if hit.status is not None:
        payload = fault.body if fault.body is not None else {"message": reason(hit.status)}
        return _json_response(hit.status, payload, extra)
    if fault.redirect:
        return _json_response(fault.redirect_status, {}, [("Location", fault.redirect), *extra])
    if fault.echo_headers:
        return _json_response(200, {"headers": dict(headers)}, extra)
    return None


def _logged_body(body: bytes, headers: Headers) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
