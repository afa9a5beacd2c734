"""1. Per-call overhead: the engine next to a hand-written httpx call, on the same in-process transport.

Both sides talk to one ``httpx.MockTransport`` whose handler returns bytes recorded from the sandbox,
so the network is out of the picture and what is left is each side's own cost: building the
request, httpx itself, reading and parsing the JSON, and (engine only) input checks, templating,
the credential gate, retries bookkeeping and output validation.

The first calls are measured too, each in a new process against a sandbox over loopback (bench/firstcall.py):
``get_contact`` and one page of ``list_contacts`` through the engine, next to the same request written
by hand with httpx in a new process.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .common import Figure, Sizes, fake_key, median, per_call_times, ratio_figure

SECTION = "1. Per-call overhead"
BASE = "http://127.0.0.1:9"  # never contacted: the transport answers in-process
TARGET = 1.3


@dataclass(frozen=True)
class Canned:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def record(key: str, list_size: int = 100) -> dict[tuple[str, str], Canned]:
    """Answers recorded from a fresh sandbox account: a contact, a created contact, a page of contacts."""
    from sandbox import Sandbox

    sb = Sandbox(api_key=key, rate_limit=None)
    sb.load_fixture(contacts=list_size + 10)
    headers = {"Api-Token": key, "Accept": "application/json", "Content-Type": "application/json"}

    def take(method: str, path: str, query: str = "", body: bytes = b"") -> Canned:
        r = sb.handle(method, path, query, headers, body, base_url=BASE)
        assert 200 <= r.status < 300, (method, path, r.status, r.body[:200])
        return Canned(r.status, (*r.headers, ("Content-Length", str(len(r.body)))), r.body)

    created = json.dumps({"contact": {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}})
    return {
        ("GET", "/api/3/contacts/1"): take("GET", "/api/3/contacts/1"),
        ("POST", "/api/3/contacts"): take("POST", "/api/3/contacts", body=created.encode()),
        ("GET", "/api/3/contacts"): take("GET", "/api/3/contacts", f"limit={list_size}&offset=0"),
    }


def transport(canned: dict[tuple[str, str], Canned]) -> httpx.MockTransport:
    """One in-process transport answering the recorded bytes; shared by both sides."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = canned[(request.method, request.url.path)]
        return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body)

    return httpx.MockTransport(handler)


class HandWritten:
    """What a careful developer would write with httpx alone: same requests, same JSON parsing."""

    def __init__(self, client: httpx.Client, key: str) -> None:
        self.client = client
        self.headers = {"Api-Token": key, "Accept": "application/json"}

    def _json(self, response: httpx.Response) -> Any:
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}")
        return response.json()

    def get_contact(self, contact_id: str) -> Any:
        url = f"{BASE}/api/3/contacts/{urllib.parse.quote(contact_id, safe='')}"
        return self._json(self.client.get(url, headers=self.headers))

    def create_contact(self, email: str, first_name: str, last_name: str) -> Any:
        body = {"contact": {"email": email, "firstName": first_name, "lastName": last_name}}
        return self._json(self.client.post(f"{BASE}/api/3/contacts", headers=self.headers, json=body))

    def list_contacts(self, limit: int) -> dict[str, Any]:
        data = self._json(self.client.get(f"{BASE}/api/3/contacts", params={"limit": limit, "offset": 0}, headers=self.headers))
        items = data["contacts"]
        total = int(data["meta"]["total"])
        has_more = len(items) < total
        return {"contacts": items, "total": total, "has_more": has_more, "next_offset": len(items) if has_more else None}


def cases(
    connector: Any, auth: Any, hand: HandWritten, list_size: int
) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, engine call, hand-written call) for each measured operation."""
    created = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    return [
        ("get_contact", lambda: connector.run("get_contact", {"contact_id": "1"}, auth), lambda: hand.get_contact("1")),
        (
            "create_contact",
            lambda: connector.run("create_contact", created, auth),
            lambda: hand.create_contact(created["email"], created["first_name"], created["last_name"]),
        ),
        (
            f"list_contacts ({list_size} items)",
            lambda: connector.run("list_contacts", {"limit": list_size}, auth),
            lambda: hand.list_contacts(list_size),
        ),
    ]


def make_connector(canned: dict[tuple[str, str], Canned], key: str) -> tuple[Any, Any, HandWritten]:
    from engine.loader import load_connector
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    from .common import ROOT

    mock = transport(canned)
    connector = Connector(load_connector(ROOT), transport=mock, limiter=NoLimit(), strict_output=True, allow_loopback=True)
    auth = connector.authentication({"api_url": BASE, "api_key": key}, name="bench")
    hand = HandWritten(httpx.Client(transport=mock), key)
    return connector, auth, hand


def first_calls(sizes: Sizes) -> list[Figure]:
    """The engine's first call in a fresh process next to a hand-written one, interleaved round by round."""
    import tempfile

    from engine.runtime import Connector

    from .common import ROOT
    from .firstcall import fresh
    from .serve import SandboxProcess

    key = fake_key()
    cache = tempfile.mkdtemp(prefix="bench-spec-cache-")
    Connector.load(ROOT, cache_dir=cache).close()
    seconds: dict[str, list[float]] = {"get": [], "page": [], "hand_page": []}
    with SandboxProcess(key, contacts=200) as sandbox:
        for _ in range(max(3, sizes.startup_runs)):
            for case in seconds:
                seconds[case].append(fresh(case, sandbox.url, key, cache)["seconds"])
    detail = f"first call of a fresh process (spec cache warm), median of {len(seconds['page'])}"
    return [
        ratio_figure(
            SECTION,
            "first call: list_contacts (100 items)",
            median(seconds["page"]),
            median(seconds["hand_page"]),
            "s",
            higher_is_better=False,
            limit=TARGET,
            baseline_name="hand-written httpx, first call of a fresh process",
            detail=detail,
        ),
        ratio_figure(
            SECTION,
            "first call: get_contact",
            median(seconds["get"]),
            median(seconds["hand_page"]),
            "s",
            higher_is_better=False,
            limit=None,
            baseline_name="hand-written httpx list of 100, first call",
            detail=detail + " (for scale)",
        ),
    ]


def run(sizes: Sizes) -> list[Figure]:
    figures = _warmed(sizes)
    return figures + first_calls(sizes)


def _warmed(sizes: Sizes) -> list[Figure]:
    key = fake_key()
    list_size = 100
    canned = record(key, list_size)
    connector, auth, hand = make_connector(canned, key)
    figures = []
    try:
        for name, engine_call, hand_call in cases(connector, auth, hand, list_size):
            if engine_call() != hand_call():
                raise AssertionError(f"{name}: the engine and the hand-written call disagree")
            per_round = max(1, sizes.overhead_calls // sizes.overhead_rounds)
            per_call_times(engine_call, max(5, per_round // 4))  # warm caches and the allocator
            per_call_times(hand_call, max(5, per_round // 4))
            engine_times: list[float] = []
            hand_times: list[float] = []
            for _ in range(sizes.overhead_rounds):  # alternate, so drift hits both sides alike
                engine_times += per_call_times(engine_call, per_round)
                hand_times += per_call_times(hand_call, per_round)
            fig = ratio_figure(
                SECTION,
                name,
                median(engine_times),
                median(hand_times),
                "s",
                higher_is_better=False,
                limit=TARGET,
                baseline_name="hand-written httpx",
                detail=f"median of {len(engine_times)} calls each",
            )
            fig.extra["calls"] = len(engine_times)
            figures.append(fig)
    finally:
        connector.close()
        hand.client.close()
    return figures
