"""The /__sandbox__/ control API, `python -m sandbox`, the ASGI adapter and the fixture loader."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox, SandboxServer
from sandbox.asgi import asgi_app

ROOT = Path(__file__).resolve().parents[2]


def test_control_is_off_by_default(make_server) -> None:
    account, running = make_server()
    assert account.control is False
    response = httpx.post(running.url + "/__sandbox__/reset")
    assert response.status_code == 404
    assert httpx.post(running.url + "/__sandbox__/faults", json={"route": "GET /x", "statuses": [500]}).status_code == 404
    assert len(account.faults) == 0 and len(account.log) == 0


def test_control_faults_log_reset_config_fixture(server: SandboxServer, sb: Sandbox, client: httpx.Client) -> None:
    control = httpx.Client(base_url=server.url + "/__sandbox__")
    added = control.post("/faults", json={"route": "POST /api/3/contacts", "statuses": [503, 503]})
    assert added.status_code == 201 and added.json()["fault"]["times"] == 2
    body = {"contact": {"email": "ctl@example.com"}}
    assert [client.post("/contacts", json=body).status_code for _ in range(3)] == [503, 503, 201]
    assert control.get("/faults").json()["faults"][0]["used"] == 2

    log = control.get("/log").json()["log"]
    assert [(e["method"], e["status"]) for e in log] == [("POST", 503), ("POST", 503), ("POST", 201)]
    assert all(e["headers"]["Api-Token"] == "***" for e in log)
    assert control.delete("/log").json() == {} and len(sb.log) == 0

    assert control.put("/config", json={"rate_limit": 2, "throttle_status": 503}).json()["rate_limit"] == 2
    assert [client.get("/users/me").status_code for _ in range(3)] == [200, 200, 503]
    assert control.put("/config", json={"rate_limit": None}).json()["rate_limit"] is None
    assert control.put("/config", json={"throttle_status": 418}).status_code == 400

    assert control.post("/fixture", json={"contacts": 30, "lists": 2}).json()["added"]["contacts"] == 30
    assert client.get("/contacts").json()["meta"]["total"] == "33"
    assert control.post("/reset").json() == {}
    assert client.get("/contacts").json()["meta"]["total"] == "2"

    control.post("/faults", json={"route": "GET /api/3/users/me", "statuses": [500]})
    assert control.delete("/faults").json() == {}
    assert client.get("/users/me").status_code == 200
    assert control.post("/faults", json={"statuses": [500]}).status_code == 400
    assert control.post("/faults", json={"route": "GET /x", "bogus": 1}).status_code == 400
    assert control.get("/nothing").status_code == 404
    # control calls are neither logged nor rate limited
    assert [e.path for e in sb.log].count("/__sandbox__/faults") == 0


def test_python_dash_m_sandbox_runs_in_the_foreground(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--api-key", "cli-test-key", "--rate-limit", "off", "--control"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip()
        assert "cli-test-key" in process.stdout.readline() + process.stdout.readline()
        response = httpx.get(url + "/api/3/users/me", headers={"Api-Token": "cli-test-key"})
        assert response.status_code == 200 and "RateLimit-Limit" not in response.headers
        assert httpx.post(url + "/__sandbox__/reset").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_asgi_adapter_serves_the_same_core() -> None:
    account = Sandbox(api_key="asgi-key", rate_limit=2)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=asgi_app(account))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sandbox.test/api/3", headers={"Api-Token": "asgi-key"}
        ) as http:
            created = await http.post("/contacts", json={"contact": {"email": "asgi@example.com"}})
            got = await http.get(f"/contacts/{created.json()['contact']['id']}")
            throttled = await http.get("/users/me")
            account.rate_limit = None
            account.faults.add("GET /api/3/users/me", statuses=[503])
            injected = await http.get("/users/me")
            account.faults.add("GET /api/3/users/me", redirect="http://evil.test/", redirect_status=302)
            redirected = await http.get("/users/me")
            forbidden = await http.get("/users/me", headers={"Api-Token": "nope"})
            return [created, got, throttled, injected, redirected, forbidden]

    created, got, throttled, injected, redirected, forbidden = asyncio.run(scenario())
    assert created.status_code == 201
    assert got.json()["contact"]["links"]["notes"].startswith("http://sandbox.test/api/3/contacts/")
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert injected.status_code == 503
    assert (redirected.status_code, redirected.headers["Location"]) == (302, "http://evil.test/")
    assert forbidden.status_code == 403
    assert len(account.log) == 6


def test_asgi_drop_after_write_applies_the_write_then_fails() -> None:
    account = Sandbox(api_key="asgi-key", rate_limit=None)
    account.faults.add("POST /api/3/contacts", drop_after_write=True)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=asgi_app(account))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sandbox.test/api/3", headers={"Api-Token": "asgi-key"}
        ) as http:
            await http.post("/contacts", json={"contact": {"email": "drop@example.com"}})

    with pytest.raises(ConnectionResetError):
        asyncio.run(scenario())
    assert account.store.email_index.get("drop@example.com") is not None


def test_fixture_is_fast_and_pages_cleanly(make_server, connect) -> None:
    account, running = make_server(rate_limit=None)
    started = time.perf_counter()
    added = account.load_fixture(contacts=10_000, lists=150, deals=500)
    elapsed = time.perf_counter() - started
    assert added == {"contacts": 10_000, "lists": 150, "deals": 500, "tags": 0, "users": 0}
    assert elapsed < 2.0, f"10k contacts took {elapsed:.2f}s"
    http = connect(running)
    assert http.get("/contacts").json()["meta"]["total"] == "10002"
    assert http.get("/lists").json()["meta"]["total"] == "152"
    assert http.get("/deals").json()["meta"]["total"] == 501
    member_counts = http.get("/contacts", params={"listid": "3"}).json()["meta"]["total"]
    assert int(member_counts) in (66, 67)
    last, seen, started = 0, 0, time.perf_counter()
    while True:
        batch = http.get("/contacts", params={"orders[id]": "ASC", "id_greater": last, "limit": 100}).json()["contacts"]
        seen += len(batch)
        if len(batch) < 100:
            break
        last = int(batch[-1]["id"])
    assert seen == 10_002
    assert time.perf_counter() - started < 8.0
