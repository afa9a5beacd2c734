"""Who may use the service: loopback by default, a token off loopback, and the real `serve` command."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ac_connector.service.server import running, serve
from ac_connector.service.settings import TOKEN_ENV, ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def test_listening_beyond_loopback_needs_a_token(monkeypatch, capsys):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ValueError, match="token"):
        ServiceSettings(host="0.0.0.0").check()
    ServiceSettings(host="127.0.0.1").check()
    ServiceSettings(host="::1").check()
    with pytest.raises(ValueError, match="16 characters"):
        ServiceSettings(host="0.0.0.0", token="short").check()

    assert serve(host="0.0.0.0", port=0) == 2
    assert "requires an access token" in json.loads(capsys.readouterr().err)["error"]["message"]

    monkeypatch.setenv(TOKEN_ENV, "t" * 32)
    assert ServiceSettings.from_cli("0.0.0.0", 0, False, None).token == "t" * 32


@pytest.fixture(scope="module")
def shared(tmp_path_factory, service_connector):
    token = secrets.token_urlsafe(24)
    settings = ServiceSettings(host="0.0.0.0", port=0, token=token, home=tmp_path_factory.mktemp("home"))
    with running(settings, connector=service_connector) as (service, url):
        port = url.rsplit(":", 1)[1]
        yield token, f"http://127.0.0.1:{port}", service


def test_every_request_needs_the_token(shared):
    token, url, _ = shared
    with httpx.Client(base_url=url) as client:
        for path in ("/api/health", "/api/authentications", "/", "/static/js/main.js"):
            denied = client.get(path)
            assert denied.status_code == 401, path
            assert denied.json()["error"]["type"] == "unauthorized"
            assert denied.headers["www-authenticate"].startswith("Bearer")
        assert (
            client.get(
                "/api/health", headers={"authorization": "Bearer " + token[:-1] + ("y" if token.endswith("x") else "x")}
            ).status_code
            == 401
        )
        assert client.get("/api/health", headers={"authorization": "Basic " + token}).status_code == 401
        assert client.post("/api/authentications", json={}).status_code == 401
        ok = client.get("/api/service", headers={"authorization": f"Bearer {token}", "host": "connector.internal.example"})
        assert ok.status_code == 200 and ok.json()["token_required"] is True


def test_opening_the_page_with_the_token_sets_a_same_site_cookie(shared):
    token, url, _ = shared
    with httpx.Client(base_url=url) as client:
        assert client.get("/", params={"token": "wrong-" + token}).status_code == 401
        entered = client.get("/", params={"token": token, "step": "2"})
        assert entered.status_code == 303 and entered.headers["location"] == "/?step=2"
        cookie = entered.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert token not in entered.headers["location"]
        assert client.get("/").status_code == 200  # the cookie jar now carries it
        assert client.get("/api/authentications").json()[0]["name"] == "Sandbox"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_offers_the_sandbox_to_a_first_time_user(tmp_path):
    port = _free_port()
    env = {**os.environ, "AC_CONNECTOR_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop(TOKEN_ENV, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ac_connector.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        assert banner.startswith(f"Workflow builder: http://127.0.0.1:{port}/"), banner + proc.stderr.read()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                listed = httpx.get(base + "/api/authentications").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert [(a["name"], a["sandbox"]) for a in listed] == [("Sandbox", True)]
        ran = httpx.post(
            base + "/api/operations/get_contact/run", json={"input": {"contact_id": "1"}, "authentication": "Sandbox"}
        ).json()
        assert ran["output"]["contact"]["email"] == "jane.doe@example.com"
        assert httpx.get(base + "/").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_the_sandbox_stays_offered_after_an_authentication_is_stored_and_a_restart(tmp_path, service_connector):
    """A workflow saved against "Sandbox" keeps working once the user adds an account and the service restarts
    (it used to be offered only while nothing was stored); --no-sandbox is the way to turn it off."""
    from ac_connector.service.app import build_service
    from ac_connector.store import AuthStore

    store = AuthStore(tmp_path)
    store.add("Mine", "personal", {"api_url": "https://youraccount.api-us1.com", "api_key": "fake-" + secrets.token_hex(8)})
    store.close()
    settings = ServiceSettings(port=0, home=tmp_path, allow_loopback=True)
    saved = {
        "version": 1,
        "name": "Read Jane",
        "steps": [
            {
                "id": "read",
                "name": "Read a contact",
                "operation": "get_contact",
                "authentication": "Sandbox",
                "input": {"contact_id": "1"},
            }
        ],
    }
    with running(settings, connector=service_connector) as (service, base):
        assert httpx.put(base + "/api/workflows/Read%20Jane", json=saved, timeout=30).status_code == 200
    with running(settings, connector=service_connector) as (service, base):  # restarted, "Mine" still stored
        assert [a["name"] for a in service.registry.list()] == ["Sandbox", "Mine"]
        with httpx.stream(
            "POST", base + "/api/workflows/runs", json={"name": "Read Jane", "trigger": {}}, timeout=30
        ) as response:
            events = [json.loads(line) for line in response.iter_lines() if line]
        assert response.status_code == 200 and events[-1]["status"] == "succeeded", events
        assert events[-2]["output"]["contact"]["email"] == "jane.doe@example.com"
    off = build_service(ServiceSettings(port=0, home=tmp_path, offer_sandbox=False), connector=service_connector)
    try:
        assert off.offer is None
        assert [a["name"] for a in off.registry.list()] == ["Mine"]
    finally:
        off.close()
