"""The CLI contract and the authentication store, against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest

from ac_connector.cli import main
from ac_connector.store import AuthStore, StoreError
from engine.errors import ValidationError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AC_API_URL", raising=False)
    monkeypatch.delenv("AC_API_KEY", raising=False)
    monkeypatch.delenv("AC_CONNECTOR_SECRET_KEY", raising=False)
    return tmp_path / "home"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_with_environment_credentials(home, capsys, monkeypatch, sandbox_server, sandbox, api_key):
    monkeypatch.setenv("AC_API_URL", sandbox_server.url + "/api/3/")
    monkeypatch.setenv("AC_API_KEY", api_key)
    code, out, err = cli(capsys, "run", "create_contact", "--input", '{"email": "cli@example.com"}')
    assert code == 0 and err == ""
    assert json.loads(out)["contact"]["email"] == "cli@example.com"
    assert api_key not in out


def test_invalid_input_gives_json_on_stderr_and_nothing_on_stdout(home, capsys, sandbox):
    code, out, err = cli(capsys, "run", "create_contact", "--input", '{"email": "nope"}')
    assert code == 2 and out == ""
    error = json.loads(err)["error"]
    assert error["type"] == "validation" and error["errors"][0]["pointer"] == "/email"
    assert len(sandbox.log) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("run", "no_such_operation"),
        ("run", "get_contact", "--input", "{not json"),
        ("run", "get_contact", "--input", '{"contact_id": "1"}'),  # no authentication anywhere
        ("run", "get_contact", "--input", '{"contact_id": "1"}', "--auth", "missing"),
    ],
)
def test_failures_are_structured_never_tracebacks(home, capsys, args):
    code, out, err = cli(capsys, *args)
    assert code != 0 and out == ""
    assert "Traceback" not in err and json.loads(err)["error"]["type"]


def test_input_from_a_file(home, capsys, tmp_path, monkeypatch, sandbox_server, sandbox, api_key):
    monkeypatch.setenv("AC_API_URL", sandbox_server.url)
    monkeypatch.setenv("AC_API_KEY", api_key)
    path = tmp_path / "in.json"
    path.write_text('{"user_id": "1"}')
    code, out, _ = cli(capsys, "run", "get_user", "--input", f"@{path}")
    assert code == 0 and json.loads(out)["user"]["id"] == "1"


def test_auth_lifecycle(home, capsys, sandbox_server, sandbox, api_key):
    code, out, _ = cli(
        capsys, "auth", "add", "sb", "--url", sandbox_server.url + "/api/3", "--api-key", api_key, "--organisational"
    )
    assert code == 0
    added = json.loads(out)
    assert added["type"] == "organisational" and added["api_url"] == sandbox_server.url and "api_key" not in added
    code, out, _ = cli(capsys, "auth", "list")
    assert [a["name"] for a in json.loads(out)] == ["sb"] and api_key not in out
    code, out, _ = cli(capsys, "auth", "test", "sb")
    assert code == 0 and json.loads(out)["user"]["id"] == "1"
    code, out, _ = cli(capsys, "run", "get_user", "--auth", "sb", "--input", '{"user_id": "1"}')
    assert code == 0
    code, out, _ = cli(capsys, "auth", "remove", "sb")
    assert code == 0
    code, out, _ = cli(capsys, "auth", "list")
    assert json.loads(out) == []
    for path in home.rglob("*"):
        if path.is_file():
            assert api_key.encode() not in path.read_bytes()


def test_auth_test_says_the_key_is_wrong(home, capsys, sandbox_server, sandbox):
    cli(capsys, "auth", "add", "bad", "--url", sandbox_server.url, "--api-key", "not-the-key")
    code, out, err = cli(capsys, "auth", "test", "bad")
    error = json.loads(err)["error"]
    assert code == 1 and error["culprit"] == "key" and error["type"] == "authentication"


def test_auth_test_says_the_url_is_wrong(home, capsys):
    cli(capsys, "auth", "add", "nowhere", "--url", "http://127.0.0.1:9", "--api-key", "some-key")
    code, out, err = cli(capsys, "auth", "test", "nowhere")
    assert code == 1 and json.loads(err)["error"]["culprit"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://user:pw@acct.api-us1.com",
        "https://10.0.0.1",
        "https://acct.api-us1.com/other",
        "https://acct.api-us1.com/?x=1",
        "ftp://acct.com",
    ],
)
def test_auth_add_refuses_bad_urls(home, capsys, url):
    code, out, err = cli(capsys, "auth", "add", "x", "--url", url, "--api-key", "k")
    assert code == 2 and json.loads(err)["error"]["errors"][0]["pointer"] == "/api_url"


def test_store_encrypts_and_keeps_the_key_file_private(home):
    store = AuthStore(home)
    store.add("a", "personal", {"api_url": "https://acct.api-us1.com", "api_key": "very-secret-value-123"})
    assert stat.S_IMODE(os.stat(home / "secret.key").st_mode) == 0o600
    raw = (home / "authentications.sqlite3").read_bytes()
    assert b"very-secret-value-123" not in raw
    assert store.fields("a")["api_key"] == "very-secret-value-123"
    assert "very-secret-value-123" not in repr(store.get("a")) + json.dumps(store.get("a").public())


def test_changing_the_url_requires_the_key_again(home):
    store = AuthStore(home)
    store.add("org", "organisational", {"api_url": "https://acct.api-us1.com", "api_key": "k1"})
    with pytest.raises(ValidationError) as info:
        store.update("org", {"api_url": "https://evil.example.com"})
    assert info.value.errors[0]["pointer"] == "/api_key"
    store.update("org", {"api_url": "https://other.api-us1.com", "api_key": "k2"})
    assert store.fields("org") == {"api_url": "https://other.api-us1.com", "api_key": "k2"}


def test_a_ciphertext_cannot_move_to_another_name(home):
    store = AuthStore(home)
    store.add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "ka"})
    store.add("b", "personal", {"api_url": "https://b.api-us1.com", "api_key": "kb"})
    db = sqlite3.connect(home / "authentications.sqlite3")
    with db:
        db.execute(
            "UPDATE authentications SET secret_nonce = (SELECT secret_nonce FROM authentications WHERE "
            "name = 'a'), secret_blob = (SELECT secret_blob FROM authentications WHERE name = 'a') "
            "WHERE name = 'b'"
        )
    db.close()
    with pytest.raises(StoreError, match="cannot be decrypted"):
        store.fields("b")


def test_key_from_the_environment(home, monkeypatch):
    import base64

    monkeypatch.setenv("AC_CONNECTOR_SECRET_KEY", base64.b64encode(b"k" * 32).decode())
    store = AuthStore(home)
    store.add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "x"})
    assert not (home / "secret.key").exists()
    assert store.fields("a")["api_key"] == "x"


def test_describe_and_operations(capsys):
    code, out, _ = cli(capsys, "describe", "add_contact_to_list")
    described = json.loads(out)
    assert code == 0 and described["idempotency"].startswith("upsert")
    assert {lk["field"]: lk["operation"] for lk in described["lookups"]} == {
        "/contact_id": "list_contacts_ddl",
        "/list_id": "list_lists_ddl",
    }
    code, out, _ = cli(capsys, "operations", "--json")
    assert "create_contact" in [o["name"] for o in json.loads(out)]


def test_demo_runs_end_to_end(capsys):
    code, out, _ = cli(capsys, "demo")
    assert code == 0 and "Demo finished" in out and "Resumed as run" in out


def test_input_from_standard_input(home, capsys, monkeypatch, sandbox_server, sandbox, api_key):
    import io

    monkeypatch.setenv("AC_API_URL", sandbox_server.url)
    monkeypatch.setenv("AC_API_KEY", api_key)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"user_id": "999"}'))
    code, out, err = cli(capsys, "run", "get_user", "--input", "-")
    assert code == 1 and out == "" and json.loads(err)["error"]["type"] == "not_found"
