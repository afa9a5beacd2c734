"""The per-account rate limit (429 and 503 mode), bulk-import limit, and every fault switch."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox import RecordingServer, Sandbox, SandboxServer


# -- rate limit -------------------------------------------------------------------------------
def test_default_limit_is_five_per_second_with_headers(make_server, connect) -> None:
    account, running = make_server()
    assert (account.rate_limit, account.rate_window, account.throttle_status) == (5, 1.0, 429)
    http = connect(running)
    responses = [http.get("/users/me") for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert all(r.headers["RateLimit-Limit"] == "5" for r in responses)
    throttled = responses[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["message"]
    assert [e.status for e in account.log] == [200] * 5 + [429]


def test_throttle_applies_before_auth_and_clears_after_the_window(make_server, connect) -> None:
    account, running = make_server(rate_limit=3, rate_window=0.3)
    http = connect(running, key="wrong")
    assert [http.get("/users/me").status_code for _ in range(4)] == [403, 403, 403, 429]
    time.sleep(0.35)
    assert http.get("/users/me").status_code == 403


def test_sliding_window_never_admits_more_than_the_limit(make_server, connect) -> None:
    account, running = make_server(rate_limit=10, rate_window=0.5)
    http = connect(running)
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        http.get("/users/me")
    admitted = sorted(e.time for e in account.log if e.status == 200)
    for i, start in enumerate(admitted):
        in_window = [t for t in admitted[i:] if t < start + 0.5]
        assert len(in_window) <= 10


def test_503_mode(make_server, connect) -> None:
    _, running = make_server(rate_limit=1, throttle_status=503)
    http = connect(running)
    assert http.get("/users/me").status_code == 200
    throttled = http.get("/users/me")
    assert throttled.status_code == 503
    assert int(throttled.headers["Retry-After"]) >= 1


def test_limit_off_has_no_ratelimit_headers(client: httpx.Client) -> None:
    response = client.get("/users/me")
    assert "RateLimit-Limit" not in response.headers


def test_limit_is_reconfigurable_at_runtime(client: httpx.Client, sb: Sandbox) -> None:
    sb.rate_limit = 2
    assert [client.get("/users/me").status_code for _ in range(3)] == [200, 200, 429]


def test_bulk_import_limit(client: httpx.Client, sb: Sandbox) -> None:
    sb.bulk_import_limit = 2
    body = {"contacts": [{"email": "bulk@example.com"}]}
    assert [client.post("/import/bulk_import", json=body).status_code for _ in range(2)] == [200, 200]
    limited = client.post("/import/bulk_import", json=body)
    assert limited.status_code == 400
    assert limited.json()["success"] == 0
    assert limited.json()["message"] == "Rate limit exceeded."


# -- faults -------------------------------------------------------------------------------
def test_status_sequence_then_normal(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("POST /api/3/contacts", statuses=[503, 500])
    body = {"contact": {"email": "retry@example.com"}}
    assert [client.post("/contacts", json=body).status_code for _ in range(3)] == [503, 500, 201]
    assert sb.store["contacts"].rows.__len__() == 3
    assert [e.fault for e in sb.log] == ["status", "status", None]


def test_status_fault_matches_glob_and_method_only(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("GET /api/3/contacts/*", statuses=[502])
    assert client.get("/contacts").status_code == 200
    assert client.delete("/contacts/2").status_code == 200
    assert client.get("/contacts/1").status_code == 502
    assert client.get("/contacts/1").status_code == 200


def test_injected_429_with_retry_after_header(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("GET /api/3/contacts", headers={"Retry-After": "2"}, statuses=[429])
    response = client.get("/contacts")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "2")
    assert client.get("/contacts").status_code == 200


def test_times_repeats_the_last_status(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("GET /api/3/users/me", statuses=[503], times=3)
    assert [client.get("/users/me").status_code for _ in range(4)] == [503, 503, 503, 200]


def test_custom_body_and_clear(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("GET /api/3/users/me", statuses=[402], body={"message": "payment"}, times=5)
    assert client.get("/users/me").json() == {"message": "payment"}
    sb.faults.clear()
    assert client.get("/users/me").status_code == 200


def test_delay_headers_causes_read_timeout(server: SandboxServer, sb: Sandbox, key: str) -> None:
    sb.faults.add("GET /api/3/users/me", delay_headers=1.0)
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + "/api/3/users/me", headers={"Api-Token": key}, timeout=httpx.Timeout(5, read=0.2))
    assert time.perf_counter() - started < 0.8


def test_delay_headers_then_answers(client: httpx.Client, sb: Sandbox) -> None:
    sb.faults.add("GET /api/3/users/me", delay_headers=0.2)
    started = time.perf_counter()
    assert client.get("/users/me").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_delay_body_sends_headers_then_stalls(server: SandboxServer, sb: Sandbox, key: str) -> None:
    sb.faults.add("GET /api/3/contacts", delay_body=1.0)
    with (
        httpx.Client(timeout=httpx.Timeout(5, read=0.3)) as http,
        http.stream("GET", server.url + "/api/3/contacts", headers={"Api-Token": key}) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            response.read()


def test_drop_after_write_applies_the_write(server: SandboxServer, sb: Sandbox, key: str, client) -> None:
    sb.faults.add("POST /api/3/contacts", drop_after_write=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            server.url + "/api/3/contacts", headers={"Api-Token": key}, json={"contact": {"email": "dropped@example.com"}}
        )
    found = client.get("/contacts", params={"email": "dropped@example.com"}).json()["contacts"]
    assert len(found) == 1
    (entry,) = [e for e in sb.log if e.method == "POST"]
    assert (entry.status, entry.fault) == (201, "drop_after_write")


def test_redirect_to_another_origin(server: SandboxServer, sb: Sandbox, key: str) -> None:
    with RecordingServer() as attacker:
        sb.faults.add("GET /api/3/users/me", redirect=attacker.url + "/steal", redirect_status=307)
        response = httpx.get(server.url + "/api/3/users/me", headers={"Api-Token": key})
        assert response.status_code == 307
        assert response.headers["Location"] == attacker.url + "/steal"
        assert attacker.requests == []
        assert httpx.get(server.url + "/api/3/users/me", headers={"Api-Token": key}).status_code == 200


def test_redirect_status_must_be_a_redirect(sb: Sandbox) -> None:
    with pytest.raises(ValueError):
        sb.faults.add("GET /api/3/users/me", redirect="http://127.0.0.1:1/", redirect_status=200)
    with pytest.raises(ValueError):
        sb.faults.add("FETCH /api/3/users/me", statuses=[500])


def test_echo_headers(client: httpx.Client, sb: Sandbox, key: str) -> None:
    sb.faults.add("GET /api/3/users/me", echo_headers=True)
    echoed = client.get("/users/me", headers={"X-Trace": "abc"}).json()["headers"]
    assert echoed["X-Trace"] == "abc" and echoed["Api-Token"] == key


def test_recording_server_records_everything() -> None:
    with RecordingServer() as attacker:
        response = httpx.post(attacker.url + "/anything?x=1", headers={"Api-Token": "leak"}, json={"a": 1})
        assert (response.status_code, response.json()) == (200, {})
        (seen,) = attacker.requests
        assert (seen.method, seen.path, seen.header("api-token"), seen.body) == ("POST", "/anything?x=1", "leak", b'{"a":1}')
