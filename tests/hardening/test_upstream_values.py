"""Issue 18, points 8 and 9 (upstream side): numbers from upstream are bounded, output is always valid
JSON, and deep, non-finite or surrogate-laden answers are typed errors, never a crash or a 500."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from reliability.support import connector

from ac_connector.cli import main
from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.errors import ConnectorError, InvalidResponse, RateLimited
from engine.jsonlimits import MAX_DEPTH
from engine.upstream import MAX_RETRY_AFTER

from .hostile import HostileServer, always, response

KEY = "hostile-test-key-0123456789"


def strict_json(text: str):
    """Parse as standard JSON only: NaN and Infinity are not JSON."""

    def refuse(name: str):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def conn():
    c = connector()
    yield c
    c.close()


def run_against(conn, raw: bytes, operation: str = "get_user", data: dict | None = None):
    with HostileServer(always(raw)) as server:
        auth = conn.authentication({"api_url": server.url, "api_key": KEY}, name="hostile")
        return conn.run(operation, data or {"user_id": "1"}, auth, deadline=10)


RETRY_AFTERS = ["9" * 400, "NaN", "1e999", "-1", "Infinity", "Sat, 01 Jan 9999 00:00:00 GMT"]


@pytest.mark.parametrize("value", RETRY_AFTERS, ids=["400-digits", "nan", "1e999", "negative", "inf", "year-9999"])
def test_retry_after_is_bounded_and_serialisable(conn, value):
    raw = response(
        "429 Too Many Requests", b'{"message": "slow down"}', {"Content-Type": "application/json", "Retry-After": value}
    )
    with pytest.raises(RateLimited) as info:
        run_against(conn, raw)
    retry_after = info.value.retry_after
    assert retry_after is None or (math.isfinite(retry_after) and 0 <= retry_after <= MAX_RETRY_AFTER)
    strict_json(json.dumps(info.value.to_dict(), allow_nan=True))


@pytest.mark.parametrize(
    "body", [b'{"user": {"id": NaN}}', b'{"user": {"id": 1e999}}', b'{"user": {"id": -Infinity}}'], ids=["nan", "1e999", "-inf"]
)
def test_non_finite_numbers_are_a_typed_error(conn, body):
    with pytest.raises(InvalidResponse) as info:
        run_against(conn, response(body=body))
    assert info.value.type == "invalid_response"


def test_deep_nesting_from_upstream_is_a_typed_error(conn):
    deep = b'{"user": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(InvalidResponse, match=f"nested more than {MAX_DEPTH} levels"):
        run_against(conn, response(body=deep))


def test_deep_nesting_in_an_error_answer_is_still_the_upstream_error(conn):
    deep = b'{"errors": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(ConnectorError) as info:
        run_against(conn, response("404 Not Found", deep))
    assert info.value.type == "not_found"


def test_lone_surrogates_from_upstream_become_replacement_characters(conn):
    body = b'{"user": {"id": "1", "username": "a\\ud800b", "\\udfffkey": "x"}}'
    output = run_against(conn, response(body=body))
    text = json.dumps(output, ensure_ascii=False)
    text.encode("utf-8")  # would raise on a lone surrogate
    assert "a\ufffdb" in text


def test_invalid_idna_location_is_a_typed_error(conn):
    raw = response("302 Found", b"", {"Location": "https://xn--a.example/", "Content-Type": "text/plain"})
    with pytest.raises(ConnectorError) as info:
        run_against(conn, raw)
    assert info.value.type == "redirect_blocked"


@pytest.mark.parametrize("location", ["http://\udcff.example/", "http://a..b/", "http://[::1/", "//\u2100.com"])
def test_odd_locations_are_typed_errors(conn, location):
    raw = response(
        "301 Moved",
        b"",
        {"Location": location.encode("utf-8", "surrogateescape").decode("latin-1"), "Content-Type": "text/plain"},
    )
    with pytest.raises(ConnectorError) as info:
        run_against(conn, raw)
    assert info.value.type == "redirect_blocked"


# -- through the command line and the service -------------------------------------------------------
@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AC_API_KEY", KEY)
    monkeypatch.delenv("AC_CONNECTOR_RATE_LIMIT", raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "raw",
    [
        response(body=b'{"user": {"id": NaN}}'),
        response("429 Too Many Requests", b"{}", {"Retry-After": "9" * 400}),
        response(body=b'{"user": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        response(body=b'{"user": {"id": "1", "username": "\\ud800"}}'),
    ],
    ids=["nan", "retry-after", "deep", "surrogate"],
)
def test_the_cli_always_writes_valid_json(env, capsys, raw):
    with HostileServer(always(raw)) as server:
        env.setenv("AC_API_URL", server.url)
        code = main(["run", "get_user", "--input", '{"user_id": "1"}'])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "internal" not in captured.err
    if code == 0:
        strict_json(captured.out)
    else:
        assert captured.out == "" and strict_json(captured.err)["error"]["type"] != "internal"


@pytest.mark.parametrize(
    "raw, status",
    [
        (response(body=b'{"user": {"id": NaN}}'), 502),
        (response("429 Too Many Requests", b"{}", {"Retry-After": "9" * 400}), 429),
        (response("429 Too Many Requests", b"{}", {"Retry-After": "1e999"}), 429),
        (response(body=b'{"user": ' + b"[" * 5000 + b"]" * 5000 + b"}"), 502),
        (response(body=b'{"user": {"id": "1", "username": "\\ud800"}}'), 200),
    ],
    ids=["nan", "retry-after-digits", "retry-after-1e999", "deep", "surrogate"],
)
def test_the_service_never_answers_500(tmp_path, raw, status):
    settings = ServiceSettings(port=0, home=tmp_path / "home", allow_loopback=True, offer_sandbox=False)
    with (
        HostileServer(always(raw)) as upstream,
        running(settings, limiter=_no_limit()) as (_, url),
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        added = client.post(
            "/api/authentications", json={"name": "h", "type": "personal", "api_url": upstream.url, "api_key": KEY}
        )
        assert added.status_code == 201, added.text
        answer = client.post("/api/operations/get_user/run", json={"input": {"user_id": "1"}, "authentication": "h"})
    assert answer.status_code == status, answer.text
    strict_json(answer.text)
    if status == 429:
        assert answer.headers["retry-after"].isdigit()


def _no_limit():
    from engine.ratelimit import NoLimit

    return NoLimit()
