"""R6 leak scan: a canary key goes through successes, failures, echoes, the CLI and the stores; it must
appear nowhere (logs, captured output, exception texts and reprs, outputs, files), raw, URL-encoded
or base64."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from pathlib import Path

import pytest
from reliability.support import connected

from ac_connector.cli import main as cli
from engine import errors
from engine.ratelimit import FileLimiter


def forms(key: str) -> list[str]:
    raw = key.encode()
    return [
        key,
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def hits(text: str | bytes, key: str) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [f for f in forms(key) if f.encode() in data]


def files_under(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_the_canary_never_leaks(world, canary, tmp_path, monkeypatch, caplog, capsys):
    sb, server, attacker = world
    caplog.set_level(logging.DEBUG)
    seen: list[object] = []  # outputs and exceptions to scan
    rate_dir = tmp_path / "rate"

    with connected(limiter=FileLimiter(rate_dir, 50, 1.0)) as c:
        auth = c.authentication({"api_url": server.url, "api_key": canary}, name="canary")
        seen.append(auth)

        def run(op: str, data: dict, **faults: object) -> None:
            if faults:
                sb.faults.add(str(faults.pop("route")), **faults)
            try:
                seen.append(c.run(op, data, auth))
            except errors.ConnectorError as exc:
                seen.append(exc)

        run("get_current_user", {})
        run("create_contact", {"email": "canary@example.com", "first_name": "Can"})
        run("list_contacts", {"return_all": True})
        # The server echoes the request headers (the key included) into a body the user gets back.
        run("raw_http_request", {"method": "GET", "path": "/users/me"}, route="GET /api/3/users/me", echo_headers=True)
        # An error body and a header that quote the key.
        run(
            "get_current_user",
            {},
            route="GET /api/3/users/me",
            statuses=[422],
            body={
                "errors": [
                    {
                        "title": f"token {canary} is odd",
                        "detail": urllib.parse.quote(canary, safe=""),
                        "code": "x",
                        "source": {"pointer": f"/{canary}"},
                    }
                ],
                "message": canary,
            },
            headers={"X-Echo": canary},
        )
        run("get_current_user", {}, route="GET /api/3/users/me", statuses=[500] * 5, body=f"oops {canary}")
        run("get_current_user", {}, route="GET /api/3/users/me", redirect=f"{attacker.url}/?k={canary}", redirect_status=302)
        run("create_contact", {"email": "drop@example.com"}, route="POST /api/3/contacts", drop_after_write=True)
        run("create_contact", {"email": "not-an-email"})
        run("raw_http_request", {"method": "GET", "path": f"/users/{canary}"})
        try:
            c.authentication({"api_url": server.url, "api_key": canary * 40})  # too long: the message must not quote it
        except errors.ValidationError as exc:
            seen.append(exc)
        # The logging net: a careless log line from any logger, even a child one, is censored.
        logging.getLogger("engine.somewhere.deep").warning("calling with key %s", canary)
        logging.getLogger("httpx").warning("header Api-Token: %s", canary)
        logging.getLogger("ac_connector").error(f"raw f-string {canary}")

    # The CLI, with a stored authentication in its own home.
    home = tmp_path / "home"
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(home))
    monkeypatch.delenv("AC_CONNECTOR_SECRET_KEY", raising=False)
    assert cli(["auth", "add", "canary", "--url", server.url, "--api-key", canary]) == 0
    assert cli(["run", "raw_http_request", "--auth", "canary", "--input", '{"method": "GET", "path": "/users/me"}']) == 0
    assert cli(["run", "get_contact", "--auth", "canary", "--input", '{"contact_id": "999"}']) == 1
    captured = capsys.readouterr()

    assert sum(isinstance(s, errors.ConnectorError) for s in seen) >= 7
    texts = {"caplog": caplog.text, "stdout": captured.out, "stderr": captured.err}
    for i, item in enumerate(seen):
        texts[f"str {i}"] = str(item)
        texts[f"repr {i}"] = repr(item)
        payload = item.to_dict() if isinstance(item, errors.ConnectorError) else item
        texts[f"json {i}"] = json.dumps(payload, default=repr)
    # What reached the account: the key only in the Api-Token header (masked in the log), never in a query or body.
    for i, entry in enumerate(sb.log):
        if canary not in entry.path:  # the one path where the test itself typed the key
            texts[f"sent {i}"] = json.dumps([entry.query, entry.body], default=repr)
    leaks = {where: hits(text, canary) for where, text in texts.items()}
    leaks.update({path: hits(data, canary) for path, data in files_under(home, rate_dir).items()})
    assert files_under(home), "the store wrote nothing: the scan would prove nothing"
    assert {where: found for where, found in leaks.items() if found} == {}
    assert "censored" in caplog.text  # the careless log lines were there, censored


@pytest.mark.parametrize("key", ["short-AC-CANARY", "AC-CANARY+with/odd=chars&more"])
def test_odd_keys_are_censored_in_echoes_too(canary_account, sec_connector, key):
    sb, server = canary_account
    sb.reset()
    original, sb.api_key = sb.api_key, key
    try:
        auth = sec_connector.authentication({"api_url": server.url, "api_key": key})
        sb.faults.add("GET /api/3/users/me", echo_headers=True)
        out = sec_connector.run("raw_http_request", {"method": "GET", "path": "/users/me"}, auth)
        assert not hits(json.dumps(out), key)
    finally:
        sb.api_key = original


# -- issue 18, point 4: echoes in every form -----------------------------------------------------------
def _every_char(key: str, spell) -> str:
    return "".join(spell(ch) for ch in key)


def _pct_lower(key: str) -> str:
    return _every_char(key, lambda ch: "".join(f"%{b:02x}" for b in ch.encode()))


def _json_u(key: str, upper: bool = False) -> str:
    return _every_char(key, lambda ch: f"\\u{ord(ch):04X}" if upper else f"\\u{ord(ch):04x}")


def _mixed(key: str) -> str:
    return "".join(ch if i % 3 == 0 else (f"\\u{ord(ch):04x}" if i % 3 == 1 else f"%{ord(ch):02x}") for i, ch in enumerate(key))


def _echo_cases(key: str) -> dict[str, tuple[bytes, str]]:
    """(raw answer, operation) per form in which a hostile server can echo the key."""
    from hardening.hostile import response

    slashed = key.replace("/", "\\/")
    return {
        "header-name": (response(headers={"Content-Type": "application/json", f"X-{key}": "1"}), "raw"),
        "header-value-lower-percent": (
            response(headers={"Content-Type": "application/json", "X-Echo": _pct_lower(key)}),
            "raw",
        ),
        "body-json-u-escaped": (response(body=f'{{"user": {{"id": "1", "username": "{_json_u(key)}"}}}}'.encode()), "get_user"),
        "body-json-u-upper": (
            response(body=f'{{"user": {{"id": "1", "username": "{_json_u(key, True)}"}}}}'.encode()),
            "get_user",
        ),
        "body-mixed-escapes": (response(body=f'{{"user": {{"id": "1", "username": "{_mixed(key)}"}}}}'.encode()), "get_user"),
        "body-slash-escaped": (response(body=f'{{"user": {{"id": "1", "username": "{slashed}"}}}}'.encode()), "get_user"),
        "body-lower-percent": (
            response(body=f'{{"user": {{"id": "1", "username": "{_pct_lower(key)}"}}}}'.encode()),
            "get_user",
        ),
        "error-json-u-escaped": (
            response("422 Unprocessable Entity", f'{{"errors": [{{"title": "bad {_json_u(key)}"}}]}}'.encode()),
            "get_user",
        ),
        "error-lower-percent": (response("400 Bad Request", f'{{"message": "{_pct_lower(key)}"}}'.encode()), "get_user"),
        "reason-phrase": (response(f"400 {key}", b""), "get_user"),
        "reason-phrase-escaped": (response(f"400 {_pct_lower(key)}", b""), "get_user"),
    }


def _leak_texts(item: object) -> dict[str, str]:
    import traceback

    if isinstance(item, BaseException):
        return {
            "str": str(item),
            "args": repr(item.args),
            "repr": repr(item),
            "traceback": "".join(traceback.format_exception(item)),
            "json": json.dumps(item.to_dict(), default=repr) if isinstance(item, errors.ConnectorError) else "",
        }
    return {"output": json.dumps(item, ensure_ascii=False, default=repr)}


def _all_forms(key: str) -> list[str]:
    return [*forms(key), _pct_lower(key), key.lower(), urllib.parse.quote(key, safe="").lower()]


ECHO_KEYS = ["AC-CANARY-0f1e2d3c4b5a69788796a5b4c3d2e1f0", "AC-CANARY/with/slashes/0f1e2d3c4b5a6978"]


@pytest.mark.parametrize("case", list(_echo_cases("k")))
@pytest.mark.parametrize("key", ECHO_KEYS, ids=["canary", "slashed"])
def test_echoed_keys_are_scrubbed_in_every_form(sec_connector, key, case):
    from hardening.hostile import HostileServer, always

    if case == "header-name" and "/" in key:
        pytest.skip("a slash cannot be part of an HTTP header name")
    raw, operation = _echo_cases(key)[case]
    with HostileServer(always(raw)) as server:
        auth = sec_connector.authentication({"api_url": server.url, "api_key": key}, name="echo")
        try:
            if operation == "raw":
                result: object = sec_connector.run("raw_http_request", {"method": "GET", "path": "/users/me"}, auth)
            else:
                result = sec_connector.run(operation, {"user_id": "1"}, auth)
        except errors.ConnectorError as exc:
            result = exc
    found = {where: [f for f in _all_forms(key) if f in text] for where, text in _leak_texts(result).items()}
    assert {where: f for where, f in found.items() if f} == {}
    assert "censored" in " ".join(_leak_texts(result).values()), "the echo was not there: the scan proves nothing"
