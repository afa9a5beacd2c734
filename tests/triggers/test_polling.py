"""Polling triggers against the sandbox over HTTP: every event once, in order, across restarts and a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers.waiting import wait_for

from ac_connector.cli import main
from ac_connector.triggers.runtime import TriggerContext
from ac_connector.workflows import RunStore, load_workflow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def poll_workflow(name: str, event: str, **more) -> dict:
    obj = "deal" if "deal" in event else "contact"
    step = (
        {
            "id": "read",
            "name": "Read",
            "operation": "get_deal",
            "authentication": "Sandbox",
            "input": {"deal_id": "$.trigger.deal.id"},
        }
        if obj == "deal"
        else {
            "id": "read",
            "name": "Read",
            "operation": "get_contact",
            "authentication": "Sandbox",
            "input": {"contact_id": "$.trigger.contact.id"},
        }
    )
    return {
        "version": 1,
        "name": name,
        "trigger": {"type": "poll", "authentication": "Sandbox", "event": event, "interval_seconds": 1, **more},
        "steps": [step],
    }


@pytest.fixture
def context(tmp_path, connector, auth):
    store = RunStore.open(tmp_path / "home")
    ctx = TriggerContext(connector, store, lambda name: auth)
    yield ctx
    ctx.stop()
    store.close()


def enabled(ctx: TriggerContext, event: str, **more) -> str:
    return ctx.enable(load_workflow(poll_workflow(f"Poll {event}", event, **more)))["trigger_id"]


def objects(ctx: TriggerContext, trigger_id: str, key: str = "contact") -> list[str]:
    return [e.payload[key]["id"] for e in ctx.triggers.events(trigger_id)]


def test_new_contacts_arrive_once_each_in_id_order_and_start_one_run_each(context, sandbox, run):
    trigger_id = enabled(context, "new_contact")
    assert context.poll_once(trigger_id) == []  # the first poll only sets the starting point
    made = [run("create_contact", {"email": f"p{n}@example.com"})["contact"]["id"] for n in range(3)]
    started = context.poll_once(trigger_id)
    assert objects(context, trigger_id) == made and len(started) == 3
    assert context.poll_once(trigger_id) == []
    records = [context.run_store.get(r) for r in started]
    assert sorted(r.steps[0].input["contact_id"] for r in records) == sorted(made)
    assert {r.status for r in records} == {"succeeded"}


def test_updated_contacts_and_a_second_update_of_the_same_contact(context, sandbox, run):
    trigger_id = enabled(context, "updated_contact")
    context.poll_once(trigger_id)
    time.sleep(1.1)  # ActiveCampaign's udate has second resolution
    run("update_contact", {"contact_id": "2", "last_name": "Smyth"})
    time.sleep(1.1)
    run("update_contact", {"contact_id": "1", "last_name": "Dough"})
    context.poll_once(trigger_id)
    assert objects(context, trigger_id) == ["2", "1"]  # in the order they happened
    assert context.poll_once(trigger_id) == []
    time.sleep(1.1)
    run("update_contact", {"contact_id": "2", "first_name": "Jon"})
    context.poll_once(trigger_id)
    assert objects(context, trigger_id) == ["2", "1", "2"]


def test_deal_stage_changed_only_when_the_stage_moves(context, sandbox, run):
    trigger_id = enabled(context, "deal_stage_changed")
    context.poll_once(trigger_id)
    time.sleep(1.1)
    run("update_deal", {"deal_id": "1", "title": "Renamed only"})
    context.poll_once(trigger_id)
    assert objects(context, trigger_id, "deal") == []
    time.sleep(1.1)
    run("update_deal", {"deal_id": "1", "stage_id": "2"})
    context.poll_once(trigger_id)
    [event] = context.triggers.events(trigger_id)
    assert (event.payload["deal"]["stage"], event.payload["previous"]) == ("2", "1")


def test_new_deals(context, sandbox, run):
    trigger_id = enabled(context, "new_deal")
    context.poll_once(trigger_id)
    time.sleep(1.1)
    made = [
        run("create_deal", {"title": f"D{n}", "value": 1, "currency": "usd", "contact_id": "1", "pipeline_id": "1"})["deal"][
            "id"
        ]
        for n in range(2)
    ]
    context.poll_once(trigger_id)
    assert objects(context, trigger_id, "deal") == made


def test_new_contact_on_a_list_and_new_tag_on_a_contact(context, sandbox, run):
    on_list = enabled(context, "new_contact_on_list", list_id="2")
    tagged = enabled(context, "new_tag_on_contact", tag_id="1")
    context.poll_once(on_list)
    context.poll_once(tagged)
    run("add_contact_to_list", {"contact_id": "2", "list_id": "2"})
    run("raw_http_request", {"method": "POST", "path": "/contactTags", "body": {"contactTag": {"contact": "2", "tag": "1"}}})
    context.poll_once(on_list)
    context.poll_once(tagged)
    assert objects(context, on_list) == ["2"] and objects(context, tagged) == ["2"]
    assert context.poll_once(on_list) == [] and context.poll_once(tagged) == []


def test_pollers_run_at_their_interval_in_the_background(context, sandbox, run):
    trigger_id = enabled(context, "new_contact")
    context.poll_once(trigger_id)
    context.start_pollers()
    made = run("create_contact", {"email": "bg@example.com"})["contact"]["id"]
    assert wait_for(lambda: objects(context, trigger_id) == [made])
    assert wait_for(lambda: context.run_store.list(workflow="Poll new_contact"))


CHILD = r"""
import os, sys, time
sys.path.insert(0, os.environ["REPO"])
from ac_connector.cli import _connector
from ac_connector.workflow_cli import _resolver, _runs
from ac_connector.triggers.polling import Poller
from ac_connector.triggers.store import TriggerStore

def on_page(trigger_id, page):
    if page == 2:  # page 2 is in memory, its events and cursor not yet recorded
        open(os.environ["MARKER"], "w").close()
        time.sleep(120)

connector = _connector(None)
store = _runs()
triggers = TriggerStore.beside(store)
trigger_id = triggers.triggers("poll")[0].id
Poller(connector, triggers, trigger_id, _resolver(connector)("Sandbox"), on_page=on_page).poll_once()
"""


def test_a_poller_killed_mid_page_and_restarted_records_every_event_once(
    tmp_path, monkeypatch, capsys, sandbox, sandbox_server, api_key, run
):
    home = tmp_path / "home"
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(home))
    for name in ("AC_API_URL", "AC_API_KEY", "AC_CONNECTOR_STORE", "AC_CONNECTOR_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["auth", "add", "Sandbox", "--url", sandbox_server.url, "--api-key", api_key]) == 0
    flow = tmp_path / "poll.json"
    flow.write_text(json.dumps(poll_workflow("Killed poller", "new_contact")))
    assert main(["workflow", "enable", str(flow)]) == 0
    assert main(["workflow", "poll", "Killed poller", "--once"]) == 0  # baseline
    made = [c for c in map(str, range(3, 3 + 150))]
    sandbox.load_fixture(contacts=150)
    marker = tmp_path / "page2"
    env = {**os.environ, "REPO": ROOT, "MARKER": str(marker)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(marker.exists, timeout=60), child.stderr.read() if child.poll() is not None else "no marker"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with RunStore.open(home) as store:
        from ac_connector.triggers.store import TriggerStore

        triggers = TriggerStore.beside(store)
        trigger_id = triggers.triggers("poll")[0].id
        assert len(triggers.events(trigger_id)) == 100  # page 1 only; page 2 not recorded
    restarted = subprocess.run(
        [sys.executable, "-m", "ac_connector.cli", "workflow", "poll", "Killed poller", "--once"],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restarted.returncode == 0, restarted.stderr
    with RunStore.open(home) as store:
        triggers = TriggerStore.beside(store)
        ids = [e.payload["contact"]["id"] for e in triggers.events(trigger_id, limit=10_000)]
        assert ids == made  # every event, once, in order
        runs = store.list(workflow="Killed poller", limit=1000)
        assert sorted(r.trigger["contact"]["id"] for r in runs) == sorted(made)  # one run per event
