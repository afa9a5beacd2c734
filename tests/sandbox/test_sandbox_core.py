"""Dispatcher-level behaviour: auth, unknown paths and methods, paging, the request log, speed."""

from __future__ import annotations

import socket
import time

import httpx

from sandbox import Sandbox, SandboxServer


def test_missing_or_wrong_key_is_403_message(server: SandboxServer) -> None:
    for headers in ({}, {"Api-Token": "wrong-key"}, {"Api-Token": ""}):
        response = httpx.get(server.url + "/api/3/users/me", headers=headers)
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden"}


def test_key_checked_before_routing(server: SandboxServer) -> None:
    assert httpx.get(server.url + "/api/3/nothing-here").status_code == 403


def test_unknown_path_404_and_wrong_method_405(client: httpx.Client) -> None:
    assert client.get("/nothing-here").status_code == 404
    response = client.post("/users/me", json={})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert client.put("/automations").status_code == 405


def test_paths_outside_api_root_are_404_without_auth(server: SandboxServer) -> None:
    response = httpx.get(server.url + "/steal")
    assert response.status_code == 404


def test_encoded_slash_in_id_stays_one_segment(client: httpx.Client) -> None:
    response = client.get("/contacts/1%2F..%2F..%2Fusers%2Fme")
    assert response.status_code == 404
    assert response.json()["message"].startswith("No Result found for Subscriber")


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post("/contacts", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"status": 400, "title": "Bad Request"}]}


def test_limit_defaults_to_20_and_is_clamped_to_100(client: httpx.Client, sb: Sandbox) -> None:
    sb.load_fixture(contacts=130)
    assert len(client.get("/contacts").json()["contacts"]) == 20
    assert len(client.get("/contacts", params={"limit": 500}).json()["contacts"]) == 100
    assert len(client.get("/contacts", params={"limit": "junk"}).json()["contacts"]) == 20
    body = client.get("/contacts", params={"limit": 100, "offset": 100}).json()
    assert len(body["contacts"]) == 32
    assert body["meta"]["total"] == "132"


def test_log_records_requests_with_key_masked(client: httpx.Client, sb: Sandbox, key: str) -> None:
    client.post("/contacts", json={"contact": {"email": "logged@example.com"}}, params={"x": "1"})
    client.get("/contacts", params={"email": "logged@example.com"})
    entries = sb.log.snapshot()
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("POST", "/api/3/contacts", 201),
        ("GET", "/api/3/contacts", 200),
    ]
    first = entries[0]
    assert first.headers["Api-Token"] == "***"
    assert first.header("api-token") == "***"
    assert key not in repr(entries)
    assert first.body == {"contact": {"email": "logged@example.com"}}
    assert first.query == {"x": ["1"]}
    assert entries[1].body is None
    assert sb.log.count("GET", "/api/3/contacts") == 1
    sb.log.clear()
    assert len(sb.log) == 0


def test_log_keeps_unauthenticated_attempts(server: SandboxServer, sb: Sandbox) -> None:
    httpx.get(server.url + "/api/3/users/me", headers={"Api-Token": "leaked-key"})
    (entry,) = sb.log.snapshot()
    assert entry.status == 403
    assert entry.headers["Api-Token"] == "***"


def test_keep_alive_and_no_nagle_stall(client: httpx.Client) -> None:
    client.get("/users/me")
    started = time.perf_counter()
    for _ in range(100):
        assert client.get("/users/me").status_code == 200
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"100 keep-alive requests took {elapsed:.2f}s (Nagle/delayed-ACK stall?)"


def test_one_write_per_response(server: SandboxServer, key: str) -> None:
    """Raw socket: the whole response (head and body) arrives in one read."""
    with socket.create_connection((server.host, server.port)) as sock:
        request = (f"GET /api/3/users/me HTTP/1.1\r\nHost: {server.host}\r\nApi-Token: {key}\r\n\r\n").encode()
        sock.sendall(request)
        sock.settimeout(2)
        data = sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0].split(b":")[1])
    assert len(body) == length


def test_two_accounts_are_independent(make_server) -> None:
    first, first_server = make_server(api_key="key-one", rate_limit=None)
    second, second_server = make_server(api_key="key-two", rate_limit=None)
    with (
        httpx.Client(base_url=first_server.url + "/api/3", headers={"Api-Token": "key-one"}) as one,
        httpx.Client(base_url=second_server.url + "/api/3", headers={"Api-Token": "key-two"}) as two,
    ):
        assert one.post("/contacts", json={"contact": {"email": "only@one.example"}}).status_code == 201
        assert two.get("/contacts", params={"email": "only@one.example"}).json()["contacts"] == []
        assert httpx.get(second_server.url + "/api/3/users/me", headers={"Api-Token": "key-one"}).status_code == 403
    assert len(first.log) == 1 and [e.status for e in second.log] == [200, 403]


def test_unseeded_account_is_empty_but_has_its_user(make_server, connect) -> None:
    _, running = make_server(rate_limit=None, seed=False)
    http = connect(running)
    assert http.get("/contacts").json()["meta"]["total"] == "0"
    assert http.get("/users/me").json()["user"]["id"] == "1"


def test_sandbox_imports_nothing_from_the_connector() -> None:
    """It stands in for ActiveCampaign: shared code could hide the same mistake on both sides."""
    import ast
    from pathlib import Path

    import sandbox

    forbidden = ("engine", "operations", "schemas", "ac_connector")
    for path in Path(sandbox.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path} imports {name}"


def test_patch_is_accepted_wherever_put_is(client: httpx.Client) -> None:
    """LIVE recordings used PATCH on contacts, deals and notes (api-map 3.4, 5.3, 5.7); every PUT route of the
    sandbox answers it the same way, e.g. lists, tags, pipelines, stages, task types and messages."""
    from sandbox.account import ROUTER

    puts = {r.template for r in ROUTER.routes() if r.method == "PUT"}
    patches = {r.template for r in ROUTER.routes() if r.method == "PATCH"}
    assert len(puts) > 10 and puts <= patches
    renamed = client.patch("/tags/1", json={"tag": {"tag": "vip customer"}})
    assert renamed.status_code == 200 and renamed.json()["tag"]["tag"] == "vip customer"
    assert client.patch("/dealGroups/1", json={"dealGroup": {"title": "Sales"}}).json()["dealGroup"]["title"] == "Sales"
    assert client.patch("/messages/1", json={"message": {"subject": "Hi"}}).json()["message"]["subject"] == "Hi"
