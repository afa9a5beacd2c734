"""The CLI writes listings as they arrive: the same document as run(), or JSON lines; and says when it stopped early."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ac_connector.cli import build_parser, main
from engine.ratelimit import NoLimit
from engine.runtime import Connector


@pytest.fixture
def env(tmp_path, monkeypatch, sandbox_server, sandbox, api_key):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AC_CONNECTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AC_API_URL", sandbox_server.url)
    monkeypatch.setenv("AC_API_KEY", api_key)
    sandbox.load_fixture(contacts=250)  # three pages in a return-all
    return sandbox


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _run_in_python(sandbox_server, api_key, data):
    from ac_connector.paths import connector_root

    connector = Connector.load(connector_root(), allow_loopback=True, limiter=NoLimit())
    try:
        auth = connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
        return connector.run("list_contacts", data, auth)
    finally:
        connector.close()


@pytest.mark.parametrize(
    "data", [{"limit": 2}, {"return_all": True}, {"return_all": True, "max_items": 1}, {"email": "none@x.io"}]
)
def test_the_document_is_what_run_returns(env, capsys, sandbox_server, api_key, data):
    code, out, err = cli(capsys, "run", "list_contacts", "--input", json.dumps(data))
    assert code == 0
    assert json.loads(out) == _run_in_python(sandbox_server, api_key, data)
    if data.get("max_items"):
        assert "stopped after 1 records (max_items); more remain" in err
    else:
        assert err == ""


def test_json_lines(env, capsys, sandbox_server, api_key):
    code, out, err = cli(capsys, "run", "list_contacts", "--input", '{"return_all": true}', "--jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    expected = _run_in_python(sandbox_server, api_key, {"return_all": True})
    assert records == expected["contacts"]
    assert json.loads(err) == {"summary": {k: v for k, v in expected.items() if k != "contacts"}}


def test_jsonl_is_for_listings(env, capsys):
    code, out, err = cli(capsys, "run", "get_contact", "--input", '{"contact_id": "1"}', "--jsonl")
    assert code == 2 and out == "" and json.loads(err)["error"]["type"] == "validation"


def test_a_listing_that_fails_on_its_first_page_writes_nothing(env, capsys):
    env.faults.add("GET /api/3/contacts", [404])
    code, out, err = cli(capsys, "run", "list_contacts", "--input", '{"return_all": true}')
    assert code == 1 and out == "" and json.loads(err)["error"]["type"] == "not_found"


def test_sandbox_takes_a_rate_limit():
    args = build_parser().parse_args(["sandbox", "--rate-limit", "off", "--port", "0"])
    assert args.rate_limit == "off"
    done = subprocess.run(
        [sys.executable, "-m", "ac_connector.cli", "sandbox", "--help"], capture_output=True, text=True, check=True
    )
    assert "--rate-limit" in done.stdout


def test_return_all_means_all_without_a_maximum(run, sandbox):
    """No hidden cap: the old default of max_items (10,000) is gone; a set maximum still stops it, and says so."""
    sandbox.load_fixture(contacts=10_050)
    everything = run("list_contacts", {"return_all": True})
    assert len(everything["contacts"]) == everything["total"] == 10_052 and everything["has_more"] is False
    capped = run("list_contacts", {"return_all": True, "max_items": 10_001})
    assert len(capped["contacts"]) == 10_001 and capped["has_more"] is True
