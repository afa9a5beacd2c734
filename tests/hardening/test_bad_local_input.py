"""Issue 18, point 9 (local side): every bad input on the command line, in the environment, in the home
folder or in a service request is a typed error with exit 2 (or a documented code), never a traceback."""

from __future__ import annotations

import json
import socket
import sqlite3

import httpx
import pytest

from ac_connector.cli import main
from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.jsonlimits import MAX_DEPTH


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    for name in ("AC_API_URL", "AC_API_KEY", "AC_CONNECTOR_SECRET_KEY", "AC_CONNECTOR_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def cli(capsys, *args: str) -> tuple[int, dict]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return code, json.loads(captured.err)["error"]


def test_input_from_a_missing_file(home, capsys, tmp_path):
    code, error = cli(capsys, "run", "get_user", "--input", f"@{tmp_path / 'nope.json'}")
    assert code == 2 and error["type"] == "validation" and "no such file" in error["message"]


def test_input_from_a_folder(home, capsys, tmp_path):
    code, error = cli(capsys, "run", "get_user", "--input", f"@{tmp_path}")
    assert code == 2 and error["type"] == "validation" and "folder" in error["message"]


def test_input_from_a_latin1_file(home, capsys, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"user_id": "1", "note": "café"}'.encode("latin-1"))
    code, error = cli(capsys, "run", "get_user", "--input", f"@{path}")
    assert code == 2 and error["errors"][0]["keyword"] == "encoding" and "UTF-8" in error["message"]


@pytest.mark.parametrize(
    "text, keyword",
    [
        ("[" * 100_000 + "]" * 100_000, "depth"),
        ('{"user_id": "1", "x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "depth"),
        ('{"user_id": NaN}', "finite"),
        ('{"user_id": 1e999}', "finite"),
        ('{"user_id": ' + "9" * 5000 + "}", "json"),
    ],
    ids=["very-deep", "just-too-deep", "nan", "1e999", "huge-int"],
)
def test_input_beyond_the_json_limits(home, capsys, text, keyword):
    code, error = cli(capsys, "run", "get_user", "--input", text)
    assert code == 2 and error["errors"][0]["keyword"] == keyword


@pytest.mark.parametrize("backend", ["ftp://somewhere", "nonsense", "file:///dev/null/rate"])
def test_a_bad_rate_limit_backend_is_named(home, capsys, monkeypatch, backend):
    monkeypatch.setenv("AC_CONNECTOR_RATE_LIMIT", backend)
    code, error = cli(capsys, "run", "get_user", "--input", '{"user_id": "1"}')
    assert code == 2 and error["type"] == "configuration" and "AC_CONNECTOR_RATE_LIMIT" in error["message"]


def test_a_home_that_is_a_file(home, capsys):
    home.parent.mkdir(exist_ok=True)
    home.write_text("not a folder")
    code, error = cli(capsys, "auth", "list")
    assert code == 2 and error["type"] == "configuration" and "not a folder" in error["message"]


def test_a_corrupt_database(home, capsys):
    home.mkdir(mode=0o700)
    (home / "authentications.sqlite3").write_bytes(b"garbage, not SQLite " * 100)
    code, error = cli(capsys, "auth", "list")
    assert code == 2 and error["type"] == "configuration" and "not an ac-connector store" in error["message"]


def test_a_foreign_database(home, capsys):
    home.mkdir(mode=0o700)
    with sqlite3.connect(home / "authentications.sqlite3") as db:
        db.execute("CREATE TABLE authentications (id INTEGER PRIMARY KEY, username TEXT)")
        db.execute("INSERT INTO authentications VALUES (1, 'someone')")
    code, error = cli(capsys, "auth", "list")
    assert code == 2 and error["type"] == "configuration" and "not ac-connector's" in error["message"]


def test_a_locked_database(home, capsys):
    assert main(["auth", "add", "a", "--url", "https://acct.api-us1.com", "--api-key", "k"]) == 0
    capsys.readouterr()
    holder = sqlite3.connect(home / "authentications.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, error = cli(capsys, "auth", "add", "b", "--url", "https://acct.api-us1.com", "--api-key", "k")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1 and error["type"] == "store" and "locked" in error["message"]


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_an_out_of_range_sandbox_port(capsys, port):
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "--port", port])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "port" in err and "Traceback" not in err


def test_a_busy_sandbox_port(home, capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, error = cli(capsys, "sandbox", "--port", str(port))
    assert code == 2 and error["type"] == "configuration" and str(port) in error["message"]


def test_a_busy_serve_port_and_out_of_range(home, capsys):
    with pytest.raises(SystemExit) as info:
        main(["serve", "--port", "99999"])
    assert info.value.code == 2 and "Traceback" not in capsys.readouterr().err


# -- service request bodies --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from engine.ratelimit import NoLimit

    settings = ServiceSettings(port=0, home=tmp_path_factory.mktemp("home"), offer_sandbox=False)
    with running(settings, limiter=NoLimit()) as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"input": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}",
        b'{"input": {"user_id": NaN}}',
        b'{"input": {"user_id": "\\udc80"}}',
    ],
    ids=["deep", "just-too-deep", "nan", "surrogate"],
)
def test_service_bodies_beyond_the_limits_are_typed(service, body):
    answer = service.post("/api/operations/get_user/run", content=body, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]["type"] != "internal"
