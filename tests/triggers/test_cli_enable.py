"""``ac-connector workflow enable | disable`` registers and removes the sandbox webhook: never two, none left."""

from __future__ import annotations

import json

import pytest

from ac_connector.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch, sandbox_server, api_key):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    for name in ("AC_API_URL", "AC_API_KEY", "AC_CONNECTOR_SECRET_KEY", "AC_CONNECTOR_STORE", "AC_CONNECTOR_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["auth", "add", "Sandbox", "--url", sandbox_server.url, "--api-key", api_key]) == 0
    return tmp_path / "home"


def ours(sandbox) -> list[dict]:
    return [h for h in sandbox.store["webhooks"] if "/hooks/" in h["url"]]


def test_enable_twice_then_disable_leaves_no_stray_webhook(home, tmp_path, capsys, sandbox):
    flow = tmp_path / "hook.json"
    flow.write_text(
        json.dumps(
            {
                "version": 1,
                "name": "CLI hook",
                "trigger": {"type": "webhook", "authentication": "Sandbox", "events": ["subscribe"], "list_id": "1"},
                "steps": [
                    {
                        "id": "read",
                        "name": "Read",
                        "operation": "get_contact",
                        "authentication": "Sandbox",
                        "input": {"contact_id": "$.trigger.contact.id"},
                    }
                ],
            }
        )
    )
    capsys.readouterr()
    assert main(["workflow", "enable", str(flow), "--public-url", "https://hooks.example.com/base/"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["workflow", "enable", str(flow), "--public-url", "https://hooks.example.com/base"]) == 0
    second = json.loads(capsys.readouterr().out)
    [hook] = ours(sandbox)
    assert hook["id"] == first["webhook_id"] == second["webhook_id"] and hook["listid"] == "1"
    assert hook["url"].startswith(f"https://hooks.example.com/base/hooks/{first['trigger_id']}/")
    secret = hook["url"].rsplit("/", 1)[1]
    assert len(secret) >= 40 and secret not in json.dumps([first, second])
    assert sorted(hook["sources"]) == ["admin", "api", "public", "system"]
    assert main(["workflow", "disable", "CLI hook"]) == 0
    assert ours(sandbox) == []


def test_enable_refuses_a_bad_public_url_and_a_manual_workflow(home, tmp_path, capsys, sandbox):
    flow = tmp_path / "hook.json"
    flow.write_text(
        json.dumps(
            {
                "version": 1,
                "name": "CLI hook",
                "trigger": {"type": "webhook", "authentication": "Sandbox", "events": ["subscribe"]},
                "steps": [],
            }
        )
    )
    assert main(["workflow", "enable", str(flow), "--public-url", "ftp://nope"]) == 2
    assert "/public_url" in capsys.readouterr().err
    manual = tmp_path / "manual.json"
    manual.write_text(json.dumps({"version": 1, "name": "Manual", "steps": []}))
    assert main(["workflow", "enable", str(manual)]) == 2
    assert ours(sandbox) == []
