"""Webhook triggers end to end over HTTP: the sandbox POSTs form data to the service, one run per event."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from helpers.waiting import wait_for

from ac_connector.triggers.registration import HOOK_PREFIX


def workflow(name: str, events=("subscribe",), sources=("api",)) -> dict:
    return {
        "version": 1,
        "name": name,
        "trigger": {"type": "webhook", "authentication": "Sandbox", "events": list(events), "sources": list(sources)},
        "steps": [
            {
                "id": "read",
                "name": "Read the new contact",
                "operation": "get_contact",
                "authentication": "Sandbox",
                "input": {"contact_id": "$.trigger.contact.id"},
            }
        ],
    }


def enable(client: httpx.Client, doc: dict, public_url: str) -> dict:
    answer = client.post("/api/triggers/enable", json={"workflow": doc, "public_url": public_url})
    assert answer.status_code == 200, answer.text
    return answer.json()


def runs(service, name: str) -> list:
    return service.triggers.run_store.list(workflow=name)


def sandbox_hooks(service) -> list[dict]:
    return [h for h in service.offer.sandbox.store["webhooks"] if HOOK_PREFIX in h["url"]]


def create_contact(service, email: str, **more) -> str:
    auth = service.registry.get("Sandbox")
    return service.connector.run("create_contact", {"email": email, "first_name": "Ada", **more}, auth)["contact"]["id"]


@pytest.fixture
def client(base_url) -> httpx.Client:
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as http:
        yield http


def test_a_new_contact_starts_exactly_one_run_reading_the_nested_contact(service, base_url, client):
    name = f"New contact {uuid.uuid4().hex[:6]}"
    enabled = enable(client, workflow(name), base_url)
    assert enabled["created"] is True and enabled["url"].endswith("/***")
    contact_id = create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com", field_values=[{"field": "1", "value": "11-50"}])
    assert service.offer.sandbox.hooks.wait_idle(10)
    done = wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    assert len(done) == 1 and done[0].status == "succeeded"
    run = service.triggers.run_store.get(done[0].id)
    assert run.trigger["contact"]["id"] == contact_id and run.trigger["type"] == "subscribe"
    assert run.trigger["contact"]["fields"] == {"1": "11-50"}  # keyed by custom field id
    assert run.steps[0].input == {"contact_id": contact_id}
    assert run.steps[0].output["contact"]["email"].endswith("@example.com")
    time.sleep(0.3)
    assert len(runs(service, name)) == 1
    listed = client.get("/api/triggers").json()["triggers"]
    mine = next(t for t in listed if t["workflow"] == name)
    assert [(e["run_id"], e["state"]) for e in mine["recent_events"]] == [(run.id, "done")]


def test_the_same_event_delivered_twice_starts_one_run(service, base_url, client):
    name = f"Twice {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    service.offer.sandbox.hooks.configure(duplicate=True)
    create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")
    assert service.offer.sandbox.hooks.wait_idle(10)
    deliveries = [d for d in service.offer.sandbox.hooks.log() if d["event"] == "subscribe"]
    assert len(deliveries) == 2 and {d["status"] for d in deliveries} == {200}
    wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    time.sleep(0.3)
    assert len(runs(service, name)) == 1


def test_a_delivery_replayed_by_hand_starts_nothing_more(service, base_url, client):
    name = f"Replay {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")
    assert service.offer.sandbox.hooks.wait_idle(10)
    delivery = service.offer.sandbox.hooks.log()[-1]
    wait_for(lambda: runs(service, name))
    again = httpx.post(delivery["url"], content=delivery["body"], headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status_code == 200 and again.json()["started"] is False
    assert len(runs(service, name)) == 1


def test_a_wrong_secret_gets_404_and_starts_nothing(service, base_url, client):
    name = f"Secret {uuid.uuid4().hex[:6]}"
    trigger_id = enable(client, workflow(name), base_url)["trigger_id"]
    body = "type=subscribe&date_time=2024-01-01T00%3A00%3A00-05%3A00&initiated_by=api&contact%5Bid%5D=1"
    wrong = httpx.post(
        f"{base_url}{HOOK_PREFIX}{trigger_id}/not-the-secret",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 404
    time.sleep(0.3)
    assert runs(service, name) == [] and service.triggers.triggers.events(trigger_id) == []


def test_unknown_trigger_410_and_a_body_over_the_limit_413(service, base_url, client):
    gone = httpx.post(f"{base_url}{HOOK_PREFIX}deadbeef/whatever", content=b"type=subscribe")
    assert gone.status_code == 410
    name = f"Big {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    hook_url = next(h["url"] for h in sandbox_hooks(service) if h["name"].endswith(name))
    big = httpx.post(
        hook_url, content=b"type=subscribe&x=" + b"a" * 300_000, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert big.status_code == 413 and runs(service, name) == []


def test_enable_twice_keeps_one_webhook_and_disable_leaves_none(service, base_url, client):
    name = f"Once {uuid.uuid4().hex[:6]}"
    first = enable(client, workflow(name), base_url)
    second = enable(client, workflow(name, events=("subscribe", "update")), base_url)
    assert second["created"] is False and second["webhook_id"] == first["webhook_id"]
    hooks = sandbox_hooks(service)
    assert len(hooks) == 1 and hooks[0]["events"] == ["subscribe", "update"]
    old_url = hooks[0]["url"]
    disabled = client.post("/api/triggers/disable", json={"workflow": name}).json()
    assert disabled["webhooks_removed"] == [first["webhook_id"]]
    assert sandbox_hooks(service) == []
    assert httpx.post(old_url, content=b"type=subscribe").status_code == 410
    assert client.post("/api/triggers/disable", json={"workflow": name}).json()["disabled"] is False


def test_the_catalogue_gives_titles_descriptions_and_output_schemas(client):
    catalog = client.get("/api/triggers/catalog").json()
    subscribe = next(e for e in catalog["webhook_events"] if e["name"] == "subscribe")
    assert subscribe["title"] == "Contact subscribed"
    assert "fields" in subscribe["output_schema"]["properties"]["contact"]["properties"]
    assert {p["name"] for p in catalog["poll_events"]} >= {"new_contact", "deal_stage_changed"}
    assert {s["name"] for s in catalog["sources"]} == {"public", "admin", "api", "system"}


def test_two_services_on_one_store_and_a_restart_still_start_one_run(
    service, base_url, client, tmp_path_factory, trigger_connector
):
    from ac_connector.service.server import running
    from ac_connector.service.settings import ServiceSettings

    name = f"Shared {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")
    assert service.offer.sandbox.hooks.wait_idle(10)
    delivery = service.offer.sandbox.hooks.log()[-1]
    path = delivery["url"][len(base_url) :]
    wait_for(lambda: runs(service, name))
    settings = ServiceSettings(host="127.0.0.1", port=0, home=service.settings.home)
    with running(settings, sandbox=service.offer.sandbox, connector=trigger_connector) as (_, other_url):
        again = httpx.post(
            other_url + path, content=delivery["body"], headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert again.status_code == 200 and again.json()["started"] is False
    assert len(runs(service, name)) == 1


def test_an_event_answered_but_never_started_is_started_once_on_recovery(service, base_url, client):
    from ac_connector.triggers.store import event_key

    name = f"Recover {uuid.uuid4().hex[:6]}"
    trigger_id = enable(client, workflow(name), base_url)["trigger_id"]
    payload = {
        "type": "subscribe",
        "date_time": "2024-01-01T00:00:00-05:00",
        "initiated_by": "api",
        "contact": {"id": "1", "fields": {}},
    }
    triggers = service.triggers.triggers
    assert (
        triggers.record_event(
            trigger_id, event_key("subscribe", "contact:1", payload["date_time"], payload), "subscribe", payload
        )
        is not None
    )  # as if the process died right after
    assert len(service.triggers.recover()) == 1
    assert service.triggers.recover() == []
    [record] = runs(service, name)
    assert record.trigger["contact"]["id"] == "1" and record.status == "succeeded"


def test_neither_the_key_nor_the_hook_secret_is_stored(service, base_url, client):
    name = f"Secrets {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")
    assert service.offer.sandbox.hooks.wait_idle(10)
    wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    secret = next(h["url"] for h in sandbox_hooks(service) if h["name"].endswith(name)).rsplit("/", 1)[1]
    stored = b"".join(p.read_bytes() for p in service.settings.home.glob("*.sqlite3*"))
    assert service.offer.sandbox.api_key.encode() not in stored
    assert secret.encode() not in stored
    listed = client.get("/api/triggers").text
    assert secret not in listed and service.offer.sandbox.api_key not in listed


def test_check_follows_trigger_references_into_the_events_schema(trigger_connector):
    from ac_connector.workflows import check_workflow

    good = check_workflow(trigger_connector, workflow("Check"))
    assert good.ok, good.errors
    doc = workflow("Check", events=("deal_add",))
    doc["steps"][0]["input"]["contact_id"] = "$.trigger.deal.contactid"
    assert check_workflow(trigger_connector, doc).ok
    doc["steps"][0]["input"]["contact_id"] = "$.trigger.deal.value"  # a number into an id string
    checked = check_workflow(trigger_connector, doc)
    assert checked.warnings or checked.errors


def test_a_poll_trigger_enabled_through_the_service_is_polled_at_once(service, client):
    name = f"Poll {uuid.uuid4().hex[:6]}"
    doc = {
        "version": 1,
        "name": name,
        "trigger": {"type": "poll", "authentication": "Sandbox", "event": "new_contact", "interval_seconds": 1},
        "steps": workflow(name)["steps"],
    }
    assert client.post("/api/triggers/enable", json={"workflow": doc}).json()["kind"] == "poll"
    trigger_id = next(t["trigger_id"] for t in client.get("/api/triggers").json()["triggers"] if t["workflow"] == name)
    assert wait_for(lambda: service.triggers.triggers.cursor(trigger_id) is not None)  # the first pass: a baseline
    contact_id = create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")
    done = wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    assert [r.trigger["contact"]["id"] for r in done] == [contact_id]
    client.post("/api/triggers/disable", json={"workflow": name})


def test_sources_and_list_filter_decide_which_changes_start_runs(service, base_url, client):
    name = f"Form {uuid.uuid4().hex[:6]}"
    doc = workflow(name, sources=("public",))
    doc["trigger"]["list_id"] = "1"
    enable(client, doc, base_url)
    sandbox = service.offer.sandbox
    create_contact(service, f"{uuid.uuid4().hex[:8]}@example.com")  # source api: no run
    sandbox.emit("subscribe", contact=sandbox.store["contacts"].get("2"), list_id="2", source="public")  # list 2
    sandbox.emit("subscribe", contact=sandbox.store["contacts"].get("2"), list_id="1", source="public")
    assert sandbox.hooks.wait_idle(10)
    done = wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    time.sleep(0.3)
    assert [(r.trigger["contact"]["id"], r.trigger["list"], r.trigger["initiated_by"]) for r in runs(service, name)] == [
        ("2", "1", "public")
    ] and done


def test_the_delivery_is_answered_before_the_run_goes_on(service, base_url, client):
    name = f"Fast {uuid.uuid4().hex[:6]}"
    enable(client, workflow(name), base_url)
    hook_url = next(h["url"] for h in sandbox_hooks(service) if h["name"].endswith(name))
    service.offer.sandbox.faults.add("GET /api/3/contacts/*", delay_headers=2.0)  # the run's only step is slow
    body = "type=subscribe&date_time=2024-02-02T10%3A00%3A00-05%3A00&initiated_by=api&list=0&contact%5Bid%5D=1"
    answer = httpx.post(hook_url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["started"] is True
    assert [r.status for r in runs(service, name)] in ([], ["running"])  # answered, step still waiting
    done = wait_for(lambda: [r for r in runs(service, name) if r.status != "running"])
    assert [r.status for r in done] == ["succeeded"]
