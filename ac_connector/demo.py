"""``ac-connector demo``: the example workflows against a fresh sandbox, through the workflow runner.

It goes the way a user would: store an authentication, test it, run ``examples/new-lead.json`` (a
contact, a list found through its dropdown, a deal, a note, every id passed by reference), read the
account back; then run ``examples/quote-follow-up.json`` while the sandbox fails the deal, and resume
it without sending the first steps again.
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
from .paths import connector_root
from .store import AuthStore
from .workflows import RunNotResumable, RunStore, read_document, resume_run, run_workflow

MARKS = {"succeeded": "ok", "failed": "FAILED", "outcome_unknown": "UNKNOWN", "skipped": "reused"}


def examples_dir() -> Path:
    return connector_root() / "examples"


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _short(value: Any, limit: int = 400) -> str:
    value = _without_links(value)
    extra = ""
    if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
        sideloads = sorted(k for k, v in value.items() if isinstance(v, list))
        if sideloads and len(sideloads) < len(value):  # related records sent along: named, not shown
            value = {k: v for k, v in value.items() if k not in sideloads}
            extra = f" (+ {', '.join(sideloads)})"
    text = json.dumps(value, ensure_ascii=False, default=str) + extra
    return text if len(text) <= limit else text[:limit] + " ... (shortened)"


def _without_links(value: Any) -> Any:
    """Links are URLs to related resources: noise in a demo."""
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


class _Printer:
    """Each step as it finishes, with the input its references resolved to and what came back."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.steps: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if event["event"] == "run_started":
            self.steps = event["steps"]
            resumed = f" (resuming run {event['resumed_from'][:8]})" if event.get("resumed_from") else ""
            _out(f"   run {event['run_id'][:8]}{resumed}")
        elif event["event"] == "step_finished":
            i, step = event["index"], self.steps[event["index"]]
            _out(
                f"   {i + 1}/{len(self.steps)} {MARKS.get(event['status'], event['status']):<7} {step['name']} "
                f"({step['operation']})" + ("" if event["status"] == "skipped" else f"  {event['duration_ms']:.0f} ms")
            )
            if event["status"] == "skipped":
                _out("         recorded output reused, nothing sent")
                return
            record = self.store.get(event["run_id"]).steps[i]
            _out(f"         input:  {_short(record.input)}")
            if event["error"]:
                _out(f"         error:  {event['error']['type']}: {event['error']['message']}")
            else:
                _out(f"         output: {_short(event['output'])}")


def run_demo() -> int:
    from sandbox import Sandbox, SandboxServer

    api_key = "demo-" + secrets.token_hex(16)
    sandbox = Sandbox(api_key=api_key)
    with SandboxServer(sandbox) as server, tempfile.TemporaryDirectory() as home:
        _out(f"Sandbox running at {server.url} (an ActiveCampaign-compatible account, offline)")
        connector = load(allow_loopback=True, strict_output=True)
        spec = connector.spec.auth
        auths = AuthStore(Path(home), secret_fields=spec.secret_fields, url_field=spec.url_field)
        runs = RunStore.open(home=home)
        try:
            return _demo(connector, auths, runs, sandbox, server.url, api_key)
        except ConnectorError as exc:
            sys.stderr.write(json.dumps({"error": exc.to_dict()}, indent=2) + "\n")
            return 1
        finally:
            runs.close()
            auths.close()
            connector.close()


def _demo(connector: Any, auths: AuthStore, runs: RunStore, sandbox: Any, url: str, api_key: str) -> int:
    stored = auths.add("Sandbox", "personal", {"api_url": url, "api_key": api_key})
    _out(f"Stored authentication {stored.name!r} ({stored.type}); its key is encrypted at rest.")
    auth = connector.authentication(auths.fields(stored.name), name=stored.name)
    check = explain(connector, auth)
    if not check["ok"]:
        _out(f"The authentication test failed: {check['error']['message']}")
        return 1
    _out(f"Authentication test: ok, signed in as {check['user'].get('email') or check['user'].get('username')}.")
    authentications = {"Sandbox": auth}
    if not _new_lead(connector, runs, authentications, auth):
        return 1
    if not _quote_follow_up(connector, runs, authentications, auth, sandbox):
        return 1
    _out(
        "\nDemo finished: both workflows ran through the workflow runner and the engine against the sandbox over "
        "HTTP.\nTry it yourself: ac-connector sandbox (in another terminal), ac-connector auth add Sandbox --url "
        "<its URL> --api-key <its key>,\nthen: ac-connector workflow run examples/new-lead.json --input "
        "@examples/new-lead.input.json"
    )
    return 0


def _new_lead(connector: Any, runs: RunStore, authentications: dict[str, Any], auth: Any) -> bool:
    path = examples_dir() / "new-lead.json"
    document = read_document(path)
    trigger = {**read_document(path.with_name("new-lead.input.json")), "email": f"ada-{uuid.uuid4().hex[:6]}@example.com"}
    _out(f"\n== Example 1: {path.name} - {document['description']}")
    _out(f"   trigger: {_short(trigger)}")
    record = run_workflow(
        connector, document, authentications=authentications, store=runs, trigger=trigger, on_event=_Printer(runs)
    )
    if record.status != "succeeded":
        _out(f"   The run {record.status} at {record.stopped_at!r}.")
        return False
    outputs = record.outputs()
    contact = connector.run("get_contact", {"contact_id": outputs["contact"]["contact"]["id"]}, auth)
    deal = connector.run("get_deal", {"deal_id": outputs["deal"]["deal"]["id"]}, auth)
    lists = [m["list"] for m in contact.get("contactLists", [])]
    _out(
        f"   Read back from the account: contact {contact['contact']['id']} ({contact['contact']['email']}) is on "
        f"list(s) {lists}; deal {deal['deal']['id']} {deal['deal']['title']!r} belongs to contact "
        f"{deal['deal']['contact']}: the ids the references pointed to."
    )
    return True


def _quote_follow_up(connector: Any, runs: RunStore, authentications: dict[str, Any], auth: Any, sandbox: Any) -> bool:
    path = examples_dir() / "quote-follow-up.json"
    document = read_document(path)
    trigger = {
        **read_document(path.with_name("quote-follow-up.input.json")),
        "email": f"grace-{uuid.uuid4().hex[:6]}@example.com",
    }
    _out(f"\n== Example 2: {path.name} - {document['description']}")
    _out("   The sandbox is told to answer 503 Service Unavailable to the next deal creation (a passing outage).")
    sandbox.faults.add("POST /api/3/deals", statuses=[503], times=1)
    record = run_workflow(
        connector, document, authentications=authentications, store=runs, trigger=trigger, on_event=_Printer(runs)
    )
    if record.status == "succeeded":
        _out("   The fault did not happen; nothing to resume.")
        return False
    _out(
        f"   The run stopped at {record.stopped_at!r} with status {record.status}: a create that may or may not "
        "have happened is never repeated blindly."
    )
    try:
        resume_run(connector, record.id, store=runs, authentications=authentications)
    except RunNotResumable as exc:
        _out(f"   Resume without --retry-unknown is refused: {exc.message}")
    title = f"Quote for {trigger['email']}"
    found = connector.run("list_deals", {"search": title, "search_field": "title"}, auth)
    if found["deals"]:
        _out(f"   The deal exists after all ({found['deals'][0]['id']}); it must not be sent again.")
        return False
    _out(f"   Checked the account: there is no deal titled {title!r}, so sending it again is safe.")
    before = len(sandbox.log)
    resumed = resume_run(
        connector, record.id, store=runs, authentications=authentications, retry_unknown=True, on_event=_Printer(runs)
    )
    sent = [f"{e.method} {e.path}" for e in sandbox.log[before:]]
    _out(
        f"   Resumed as run {resumed.id[:8]}: {resumed.status}. Requests the resume sent: {sent} "
        "(the contact and the task type were not fetched or created again)."
    )
    return resumed.status == "succeeded"
