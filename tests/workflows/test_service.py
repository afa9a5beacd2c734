"""Workflows through the HTTP service (uvicorn on a free port) against its offered sandbox."""

from __future__ import annotations

import copy
import json
import secrets

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.ratelimit import NoLimit

TRIGGER = {"email": "svc@example.com", "first_name": "Sven", "value": 10}


@pytest.fixture(scope="module")
def service_connector():
    from ac_connector import load

    connector = load(allow_loopback=True, limiter=NoLimit())
    yield connector
    connector.close()


@pytest.fixture(scope="module")
def account():
    from sandbox import Sandbox

    return Sandbox(api_key="canary-" + secrets.token_hex(20), rate_limit=None)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("service-home")


@pytest.fixture
def served(home, account, service_connector):
    account.reset()
    settings = ServiceSettings(host="127.0.0.1", port=0, home=home)
    seen: list[str] = []

    def record(response: httpx.Response) -> None:
        response.read()
        seen.append(str(response.headers) + response.text)

    with (
        running(settings, sandbox=account, connector=service_connector) as (service, url),
        httpx.Client(base_url=url, timeout=60, event_hooks={"response": [record]}) as client,
    ):
        yield service, client
    assert seen and not [text for text in seen if account.api_key in text], "a key came back in a response"


def stream_run(client: httpx.Client, path: str, body: dict) -> tuple[httpx.Response, list[dict]]:
    with client.stream("POST", path, json=body) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    return response, lines


def conforms(client: httpx.Client, name: str, data) -> None:
    doc = client.get("/api/openapi.json").json()
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(doc))
    validator = Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry)
    errors = list(validator.iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_a_four_step_run_streams_its_events_and_is_kept(served, account, four_steps):
    service, client = served
    response, events = stream_run(client, "/api/workflows/runs", {"workflow": four_steps, "trigger": TRIGGER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert [e["event"] for e in events] == ["run_started"] + ["step_started", "step_finished"] * 4 + ["run_finished"]
    for event in events:
        conforms(client, "RunEvent", event)
    run_id = events[0]["run_id"]
    assert response.headers["location"] == f"/api/runs/{run_id}" and events[-1]["status"] == "succeeded"
    outputs = {e["step"]: e["output"] for e in events if e["event"] == "step_finished"}
    contact_id = outputs["contact"]["contact"]["id"]
    deal_body = account.log.matching("POST", "/api/3/deals")[0].body["deal"]
    assert deal_body["contact"] == contact_id and deal_body["title"] == "Deal for svc@example.com"
    assert account.log.matching("POST", "/api/3/contactLists")[0].body["contactList"]["contact"] == contact_id
    assert account.log.count("POST", f"/api/3/deals/{outputs['deal']['deal']['id']}/notes") == 1

    listed = client.get("/api/runs", params={"workflow": "Four steps"}).json()
    conforms(client, "RunList", listed)
    assert [r["id"] for r in listed["runs"]][:1] == [run_id]
    run = client.get(f"/api/runs/{run_id}").json()
    conforms(client, "Run", run)
    assert run["document"] == four_steps and run["trigger"] == TRIGGER
    assert run["steps"][2]["input"]["contact_id"] == contact_id
    assert account.api_key not in json.dumps(run) + json.dumps(events)


@pytest.mark.parametrize(
    ("step", "field", "reference"),
    [
        (1, "contact_id", "$.steps.note.note.id"),  # a later step
        (1, "contact_id", "$.steps.ghost.contact.id"),  # a step that does not exist
        (1, "contact_id", "$.steps.contact.contact.uid"),  # a path the output schema lacks
    ],
)
def test_bad_references_are_refused_before_any_request(served, account, four_steps, step, field, reference):
    service, client = served
    four_steps["steps"][step]["input"][field] = reference
    checked = client.post("/api/workflows/check", json={"workflow": four_steps}).json()
    conforms(client, "CheckResult", checked)
    assert not checked["ok"] and checked["errors"][0]["pointer"] == f"/steps/{step}/input/{field}"
    before = len(service.runs.list(limit=1000))
    response = client.post("/api/workflows/runs", json={"workflow": four_steps, "trigger": TRIGGER})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["pointer"] == f"/steps/{step}/input/{field}"
    assert len(account.log) == 0 and len(service.runs.list(limit=1000)) == before


def test_check_warns_and_knows_the_service_authentications(served, four_steps):
    _, client = served
    doc = copy.deepcopy(four_steps)
    doc["steps"][1]["input"]["list_id"] = "$.steps.contact.contact"
    checked = client.post("/api/workflows/check", json={"workflow": doc}).json()
    assert checked["ok"] and checked["warnings"][0]["pointer"] == "/steps/1/input/list_id"
    doc["steps"][3]["authentication"] = "Elsewhere"
    checked = client.post("/api/workflows/check", json={"workflow": doc}).json()
    assert [e["pointer"] for e in checked["errors"]] == ["/steps/3/authentication"]
    bad = client.post("/api/workflows/check", json={"workflow": {"version": 1, "name": "x", "steps": [{}]}}).json()
    assert {e["pointer"] for e in bad["errors"]} == {"/steps/0/id", "/steps/0/name", "/steps/0/operation", "/steps/0/input"}


def test_resume_through_the_service_after_a_restart(home, account, service_connector, four_steps):
    """Runs survive a restart; resuming in the new service sends neither step 1 nor step 2 again."""
    account.reset()
    account.faults.add("POST /api/3/deals", statuses=[400])
    settings = ServiceSettings(host="127.0.0.1", port=0, home=home)
    with (
        running(settings, sandbox=account, connector=service_connector) as (_, url),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        _, events = stream_run(client, "/api/workflows/runs", {"workflow": four_steps, "trigger": TRIGGER})
        assert events[-1]["status"] == "failed" and events[-1]["stopped_at"] == "deal"
        run_id = events[0]["run_id"]
        before = client.get(f"/api/runs/{run_id}").json()
    with (
        running(settings, sandbox=account, connector=service_connector) as (_, url),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        after = client.get(f"/api/runs/{run_id}").json()
        assert after == before and after["status"] == "failed" and after["error"]["step"] == "deal"
        sent = len(account.log)
        response, events = stream_run(client, f"/api/runs/{run_id}/resume", {"retry_unknown": False})
        assert response.status_code == 200 and events[-1]["status"] == "succeeded"
        assert [(e["step"], e["status"]) for e in events if e["event"] == "step_finished"] == [
            ("contact", "skipped"),
            ("subscribe", "skipped"),
            ("deal", "succeeded"),
            ("note", "succeeded"),
        ]
        assert [e.path for e in account.log[sent:]][0] == "/api/3/deals" and len(account.log) - sent == 2
        assert account.log.count("POST", "/api/3/contacts") == 1
        again = client.post(f"/api/runs/{run_id}/resume", json={})
        assert again.status_code == 409 and again.json()["error"]["type"] == "not_resumable"
        assert client.get(f"/api/runs/{run_id}").json()["resumed_by"] == events[0]["run_id"]


def test_an_unknown_outcome_needs_retry_unknown(served, account, four_steps):
    _, client = served
    account.faults.add("POST /api/3/deals", drop_after_write=True)
    _, events = stream_run(client, "/api/workflows/runs", {"workflow": four_steps, "trigger": TRIGGER})
    assert events[-1]["status"] == "outcome_unknown"
    run_id = events[0]["run_id"]
    refused = client.post(f"/api/runs/{run_id}/resume", json={})
    assert refused.status_code == 409 and "retry" in refused.json()["error"]["message"]
    _, events = stream_run(client, f"/api/runs/{run_id}/resume", {"retry_unknown": True})
    assert events[-1]["status"] == "succeeded"
    assert account.log.count("POST", "/api/3/contacts") == 1 and account.log.count("POST", "/api/3/deals") == 2


def test_saved_workflows(served, four_steps):
    _, client = served
    name = four_steps["name"]
    saved = client.put(f"/api/workflows/{name}", json=four_steps)
    assert saved.status_code == 200 and saved.json()["check"]["ok"]
    conforms(client, "SavedWorkflow", saved.json())
    assert client.get(f"/api/workflows/{name}").json()["document"] == four_steps
    assert name in [w["name"] for w in client.get("/api/workflows").json()["workflows"]]
    draft = copy.deepcopy(four_steps)
    draft["steps"][1]["input"]["contact_id"] = "$.steps.later.id"
    kept = client.put(f"/api/workflows/{name}", json=draft).json()  # a draft with a bad reference is kept
    assert not kept["check"]["ok"]
    assert client.put("/api/workflows/Other", json=four_steps).status_code == 422  # name mismatch
    assert client.put(f"/api/workflows/{name}", json={"version": 1}).status_code == 422
    assert client.delete(f"/api/workflows/{name}").json() == {"removed": name}
    assert client.get(f"/api/workflows/{name}").status_code == 404
    assert client.delete(f"/api/workflows/{name}").status_code == 404


def test_run_a_saved_workflow_by_name(served, account, four_steps):
    _, client = served
    client.put("/api/workflows/Four steps", json=four_steps)
    _, events = stream_run(client, "/api/workflows/runs", {"name": "Four steps", "trigger": TRIGGER})
    assert events[-1]["status"] == "succeeded"
    assert client.post("/api/workflows/runs", json={"name": "Nope"}).status_code == 404


def test_errors(served, account, four_steps):
    _, client = served
    assert client.get("/api/runs/0123456789").status_code == 404
    assert client.get("/api/runs", params={"limit": "0"}).status_code == 422
    assert client.post("/api/workflows/runs", json={"workflow": four_steps, "trigger": {}}).status_code == 422
    assert client.post("/api/workflows/runs", json={"trigger": {}}).status_code == 422
    assert len(account.log) == 0


def test_the_run_store_never_holds_the_key(served, account, home, four_steps):
    _, client = served
    stream_run(client, "/api/workflows/runs", {"workflow": four_steps, "trigger": TRIGGER})
    for path in home.iterdir():
        if path.is_file():
            assert account.api_key.encode() not in path.read_bytes(), path.name


def test_a_run_goes_on_and_is_recorded_when_the_client_goes_away(served, account, four_steps):
    import time

    _, client = served
    account.faults.add("POST /api/3/contactLists", delay_headers=1, times=1)
    with (
        httpx.Client(base_url=client.base_url, timeout=30) as leaving,
        leaving.stream("POST", "/api/workflows/runs", json={"workflow": four_steps, "trigger": TRIGGER}) as response,
    ):
        first = json.loads(next(response.iter_lines()))
        assert client.get(f"/api/runs/{first['run_id']}").json()["status"] == "running"
    assert first["event"] == "run_started"  # the client has gone while step 2 waits
    deadline = time.monotonic() + 30
    while (run := client.get(f"/api/runs/{first['run_id']}").json())["status"] == "running":
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    assert run["status"] == "succeeded" and [s["status"] for s in run["steps"]] == ["succeeded"] * 4
    assert account.log.count("POST", "/api/3/deals") == 1
