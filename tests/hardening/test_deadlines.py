"""Issue 18, point 1: one deadline holds in every phase (connect, trickled headers, body, retries, waits)
in both drivers, and upstream work never starves the service's own endpoints."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest
from reliability.support import connector

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.errors import ConnectorError
from engine.ratelimit import NoLimit

from .hostile import HostileServer, always, elapsed, response, trickle

KEY = "deadline-test-key-0123456789"
DEADLINE = 1.5
MARGIN = 1.0  # a loaded machine's scheduling, not a tolerance on the rule
ANSWER = response(body=b'{"user": {"id": "1", "username": "u", "email": "u@example.com"}}')


@pytest.fixture(scope="module")
def conn():
    c = connector()
    yield c
    c.close()


def run_sync(conn, url: str):
    auth = conn.authentication({"api_url": url, "api_key": KEY}, name="slow")
    return conn.run("get_user", {"user_id": "1"}, auth, deadline=DEADLINE)


def run_async(conn, url: str):
    auth = conn.authentication({"api_url": url, "api_key": KEY}, name="slow")

    async def go():
        return await conn.arun("get_user", {"user_id": "1"}, auth, deadline=DEADLINE)

    return asyncio.run(go())


PHASES = {
    "trickled-headers": trickle(ANSWER, every=0.25),
    "trickled-body": trickle(ANSWER, every=0.25, after=ANSWER.index(b"\r\n\r\n") + 4),
    "slow-503-retries": lambda request: [0.6, response("503 Service Unavailable", b"{}")],
    "long-retry-after": always(response("503 Service Unavailable", b"{}", {"Retry-After": "1"})),
}


@pytest.mark.parametrize("driver", [run_sync, run_async], ids=["sync", "async"])
@pytest.mark.parametrize("phase", list(PHASES))
def test_the_deadline_holds(conn, driver, phase):
    with HostileServer(PHASES[phase]) as server:
        took, result = elapsed(lambda: driver(conn, server.url))
    assert isinstance(result, ConnectorError), result
    assert result.type in ("timeout", "server_error", "rate_limited")
    assert took < DEADLINE + MARGIN, f"{phase}: {took:.1f}s for a {DEADLINE}s deadline"


@pytest.mark.parametrize("driver", [run_sync, run_async], ids=["sync", "async"])
def test_the_deadline_holds_while_connecting(conn, driver):
    """A listener whose accept queue is full: the handshake never completes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(8):  # fill the backlog; later SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(listener.getsockname())
        fillers.append(s)
    time.sleep(0.2)
    try:
        took, result = elapsed(lambda: driver(conn, f"http://127.0.0.1:{listener.getsockname()[1]}"))
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert isinstance(result, ConnectorError), result
    assert took < DEADLINE + MARGIN


def test_upstream_work_never_starves_the_service(tmp_path):
    """42 authentication tests against an account that never finishes answering, then the list of
    authentications: it answers at once (before: no answer in 30 s, every worker thread was waiting)."""
    hang = trickle(ANSWER, every=5.0)
    settings = ServiceSettings(port=0, home=tmp_path / "home", allow_loopback=True, offer_sandbox=False)
    with HostileServer(hang) as upstream, running(settings, limiter=NoLimit()) as (_, url):
        with httpx.Client(base_url=url, timeout=60) as client:
            added = client.post(
                "/api/authentications", json={"name": "slow", "type": "personal", "api_url": upstream.url, "api_key": KEY}
            )
            assert added.status_code == 201, added.text
        results: list[int] = []

        def test_once() -> None:
            with httpx.Client(base_url=url, timeout=120) as c:
                results.append(c.post("/api/authentications/slow/test").status_code)

        testers = [threading.Thread(target=test_once, daemon=True) for _ in range(42)]
        for t in testers:
            t.start()
        time.sleep(1.0)
        with httpx.Client(base_url=url, timeout=30) as client:
            took, listed = elapsed(lambda: client.get("/api/authentications"))
        assert not isinstance(listed, Exception), listed
        assert listed.status_code == 200 and took < 3.0, f"the list took {took:.1f}s"
        for t in testers:
            t.join(timeout=60)
    assert results == [200] * 42  # each says plainly that nothing answered in time
