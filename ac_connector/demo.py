"""``ac-connector demo``: a short workflow against a fresh sandbox, printed step by step.

It goes the way a user would: store an authentication, test it, create a
contact, pick a list from its dropdown, subscribe the contact, read it back.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from engine.errors import ConnectorError

from . import load
from .authtest import explain
from .store import AuthStore


def _without_links(value: Any) -> Any:
    """Links are URLs to related resources: noise in a demo."""
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


def _show(step: int, title: str, operation: str, data: Any, output: Any) -> None:
    out = sys.stdout
    output = _without_links(output)
    out.write(f"\n== Step {step}: {title}\n")
    out.write(f"   operation: {operation}\n")
    out.write("   input:  " + json.dumps(data, ensure_ascii=False) + "\n")
    text = json.dumps(output, indent=2, ensure_ascii=False, default=str)
    if len(text) > 1500:
        text = text[:1500] + "\n   ... (shortened)"
    out.write("   output: " + text.replace("\n", "\n   ") + "\n")


def run_demo() -> int:
    from sandbox import Sandbox, SandboxServer

    api_key = "demo-" + secrets.token_hex(16)
    sandbox = Sandbox(api_key=api_key)
    with SandboxServer(sandbox) as server, tempfile.TemporaryDirectory() as home:
        sys.stdout.write(f"Sandbox running at {server.url} (an ActiveCampaign-compatible account, offline)\n")
        connector = load(allow_loopback=True, strict_output=True)
        spec = connector.spec.auth
        store = AuthStore(Path(home), secret_fields=spec.secret_fields, url_field=spec.url_field)
        try:
            return _workflow(connector, store, server.url, api_key)
        except ConnectorError as exc:
            sys.stderr.write(json.dumps({"error": exc.to_dict()}, indent=2) + "\n")
            return 1
        finally:
            store.close()
            connector.close()


def _workflow(connector, store: AuthStore, url: str, api_key: str) -> int:
    stored = store.add("Demo sandbox", "personal", {"api_url": url, "api_key": api_key})
    sys.stdout.write(f"Stored authentication {stored.name!r} ({stored.type}); its key is encrypted at rest.\n")
    auth = connector.authentication(store.fields(stored.name), name=stored.name)

    check = explain(connector, auth)
    _show(1, "Check the authentication", "get_current_user (auth test)", {}, check)
    if not check["ok"]:
        return 1

    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    contact_input = {"email": email, "first_name": "Ada", "last_name": "Lovelace", "phone": "+44 20 7946 0000"}
    created = connector.run("create_contact", contact_input, auth)
    _show(2, "Create a contact", "create_contact", contact_input, created)
    contact_id = created["contact"]["id"]

    choices = connector.options("add_contact_to_list", "list_id", {"contact_id": contact_id}, auth)
    _show(3, "Fill the List dropdown", "list_lists_ddl (options for add_contact_to_list.list_id)", {}, choices)
    if not choices["result"]:
        sys.stderr.write("the sandbox has no list to choose\n")
        return 1
    chosen = choices["result"][0]

    sub_input = {"contact_id": contact_id, "list_id": chosen["value"]}
    subscribed = connector.run("add_contact_to_list", sub_input, auth)
    _show(4, f"Subscribe the contact to {chosen['text']!r}", "add_contact_to_list", sub_input, subscribed)

    read = connector.run("get_contact", {"contact_id": contact_id}, auth)
    summary = {"contact": {k: read["contact"].get(k) for k in ("id", "email", "firstName", "lastName")},
               "lists": [{"list": m["list"], "status": m["status"]} for m in read.get("contactLists", [])]}
    _show(5, "Read the contact back", "get_contact", {"contact_id": contact_id}, summary)
    sys.stdout.write("\nDemo finished: every step ran through the engine against the sandbox over HTTP.\n")
    return 0
