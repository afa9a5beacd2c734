"""The runner against the sandbox over HTTP: references carry real data, checks come first, runs are kept."""

from __future__ import annotations

import asyncio
import copy

import pytest

from ac_connector.workflows import (
    RunNotResumable,
    WorkflowInvalid,
    aresume_run,
    arun_workflow,
    check_workflow,
    resume_run,
    run_workflow,
)

TRIGGER = {"email": "ada@example.com", "first_name": "Ada", "value": 1250.5}


def assert_sandbox_holds_what_the_references_point_to(sandbox, run, contact_email):
    """What reached the account: every id is the one the reference named, from the step that made it."""
    outputs = {s.id: s.output for s in run.steps}
    contact_id = outputs["contact"]["contact"]["id"]
    deal_id = outputs["deal"]["deal"]["id"]
    assert outputs["contact"]["contact"]["email"] == contact_email
    posted = {(e.method, e.path): e.body for e in sandbox.log}
    assert posted[("POST", "/api/3/contactLists")]["contactList"]["contact"] == contact_id
    assert posted[("POST", "/api/3/deals")]["deal"]["contact"] == contact_id
    assert posted[("POST", "/api/3/deals")]["deal"]["title"] == f"Deal for {contact_email}"
    assert posted[("POST", "/api/3/deals")]["deal"]["value"] == 125050  # a number stayed a number (cents)
    note = next(b for (m, p), b in posted.items() if m == "POST" and p.endswith("/notes"))
    assert note["note"]["note"] == (f"List membership {outputs['subscribe']['contactList']['id']} for contact {contact_id}")
    assert f"/api/3/deals/{deal_id}/notes" in {p for _, p in posted}


def test_four_steps_run_end_to_end(connector, sandbox, auths, store, four_steps, run):
    events = []
    record = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER, on_event=events.append)
    assert record.status == "succeeded", record.error
    assert [s.status for s in record.steps] == ["succeeded"] * 4
    assert len(sandbox.log) == 4
    assert_sandbox_holds_what_the_references_point_to(sandbox, record, "ada@example.com")
    # the account itself: the contact is on list 2 and owns the deal, which carries the note
    contact = run("get_contact", {"contact_id": record.steps[0].output["contact"]["id"]})
    assert {m["list"] for m in contact["contactLists"]} >= {"2"}
    deal = run("get_deal", {"deal_id": record.steps[2].output["deal"]["id"]})
    assert deal["deal"]["contact"] == record.steps[0].output["contact"]["id"]
    # events: started, then each step started/finished in order, then finished
    kinds = [(e["event"], e.get("step")) for e in events]
    assert kinds[0] == ("run_started", None) and kinds[-1] == ("run_finished", None)
    assert kinds[1:-1] == [(k, s) for s in ("contact", "subscribe", "deal", "note") for k in ("step_started", "step_finished")]
    assert all(e["run_id"] == record.id for e in events)
    # the store holds the run as it was: document, resolved inputs, outputs, timings
    kept = store.get(record.id)
    assert kept.workflow == four_steps and kept.trigger == TRIGGER
    assert kept.steps[1].input == {"contact_id": record.steps[0].output["contact"]["id"], "list_id": "2"}
    assert all(s.duration_ms is not None and s.started_at and s.finished_at for s in kept.steps)


def test_the_async_twin(connector, sandbox, auths, store, four_steps):
    async def go():
        try:
            return await arun_workflow(
                connector, four_steps, authentications=auths, store=store, trigger={**TRIGGER, "email": "async@example.com"}
            )
        finally:
            await connector.aclose()

    record = asyncio.run(go())
    assert record.status == "succeeded", record.error
    assert_sandbox_holds_what_the_references_point_to(sandbox, record, "async@example.com")


@pytest.mark.parametrize(
    ("step", "field", "reference", "says"),
    [
        (1, "contact_id", "$.steps.deal.deal.id", "later step"),
        (1, "contact_id", "$.steps.subscribe.contactList.id", "this step itself"),
        (2, "contact_id", "$.steps.contakt.contact.id", "there is no step 'contakt'"),
        (1, "contact_id", "$.steps.contact.contact.idd", "has no contact.idd"),
        (3, "note", "Deal {$.steps.deal.deals[0].id}", "has no deals[0].id"),
        (0, "email", "$.trigger.mail", "has no mail"),
    ],
)
def test_bad_references_are_refused_before_any_request(
    connector, sandbox, auths, store, four_steps, step, field, reference, says
):
    four_steps["steps"][step]["input"][field] = reference
    checked = check_workflow(connector, four_steps)
    assert not checked.ok
    assert [e["pointer"] for e in checked.errors] == [f"/steps/{step}/input/{field}"]
    assert says in checked.errors[0]["message"]
    with pytest.raises(WorkflowInvalid):
        run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
    assert len(sandbox.log) == 0
    assert store.list() == []


def test_type_mismatches_are_warnings(connector, four_steps):
    four_steps["steps"][1]["input"]["list_id"] = "$.steps.contact.contact"  # an object into a string field
    four_steps["steps"][2]["input"]["value"] = "{$.trigger.value}"  # a text into a number field
    checked = check_workflow(connector, four_steps)
    assert checked.ok
    assert {w["pointer"] for w in checked.warnings} == {"/steps/1/input/list_id", "/steps/2/input/value"}


def test_literal_inputs_and_operations_are_checked_too(connector, four_steps):
    four_steps["steps"][1]["input"]["list_id"] = "not a number"
    four_steps["steps"][3]["operation"] = "no_such_operation"
    del four_steps["steps"][2]["input"]["currency"]
    checked = check_workflow(connector, four_steps)
    assert {(e["pointer"], e["keyword"]) for e in checked.errors} == {
        ("/steps/1/input/list_id", "pattern"),
        ("/steps/2/input/currency", "required"),
        ("/steps/3/operation", "operation"),
    }


def test_trigger_data_is_checked_first(connector, sandbox, auths, store, four_steps):
    with pytest.raises(Exception) as caught:
        run_workflow(connector, four_steps, authentications=auths, store=store, trigger={"first_name": "Ada"})
    assert caught.value.type == "validation" and caught.value.errors[0]["keyword"] == "required"
    assert len(sandbox.log) == 0


def test_template_syntax_in_user_input_reaches_the_account_literally(connector, sandbox, auths, store, four_steps, run):
    four_steps["steps"][3]["input"]["note"] = "{{ 7*7 }} {% if x %}{$.trigger.first_name}{% endif %} $.trigger"
    trigger = {**TRIGGER, "first_name": "{{ 7*7 }}{% raw %}$.steps.contact.contact.id"}
    record = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=trigger)
    assert record.status == "succeeded", record.error
    contact = run("get_contact", {"contact_id": record.steps[0].output["contact"]["id"]})
    assert contact["contact"]["firstName"] == "{{ 7*7 }}{% raw %}$.steps.contact.contact.id"
    note = sandbox.log.matching("POST", "/api/3/deals/*/notes")[0].body["note"]["note"]
    assert note == "{{ 7*7 }} {% if x %}{{ 7*7 }}{% raw %}$.steps.contact.contact.id{% endif %} $.trigger"


def test_a_bad_resolved_value_fails_its_step_by_name_and_field(connector, sandbox, auths, store, four_steps):
    four_steps["steps"][2]["input"]["title"] = "$.trigger.value"  # a number where a string is needed
    record = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
    assert record.status == "failed" and record.stopped_at == "deal"
    error = record.steps[2].error
    assert error["type"] == "validation" and error["step"] == "deal"
    assert error["errors"][0]["pointer"] == "/title" and "'deal'" in error["message"]
    assert [s.status for s in record.steps] == ["succeeded", "succeeded", "failed", "pending"]
    assert [e.path for e in sandbox.log] == ["/api/3/contacts", "/api/3/contactLists"]  # nothing for steps 3, 4


def test_the_first_upstream_failure_stops_the_run(connector, sandbox, auths, store, four_steps):
    four_steps["steps"][2]["input"]["pipeline_id"] = "999"
    record = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
    assert record.status == "failed" and record.stopped_at == "deal"
    assert record.error["type"] in ("not_found", "upstream_validation") and record.error["step"] == "deal"
    assert record.steps[3].status == "pending" and sandbox.log.count(path="/api/3/deals/*") == 0


def test_resume_after_a_failure_does_not_send_steps_one_and_two_again(connector, sandbox, auths, store, four_steps):
    sandbox.faults.add("POST /api/3/deals", statuses=[422], body={"errors": [{"title": "Deals are paused"}]})
    failed = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
    assert failed.status == "failed" and failed.stopped_at == "deal"
    before = len(sandbox.log)
    resumed = resume_run(connector, failed.id, authentications=auths, store=store)
    assert resumed.status == "succeeded", resumed.error
    assert [s.status for s in resumed.steps] == ["skipped", "skipped", "succeeded", "succeeded"]
    assert [(e.method, e.path) for e in sandbox.log[before:]] == [
        ("POST", "/api/3/deals"),
        ("POST", f"/api/3/deals/{resumed.steps[2].output['deal']['id']}/notes"),
    ]
    assert sandbox.log.count("POST", "/api/3/contacts") == 1 and sandbox.log.count("POST", "/api/3/contactLists") == 1
    # the new run used the recorded outputs; the old run says who resumed it
    assert resumed.steps[0].output == failed.steps[0].output and resumed.resumed_from == failed.id
    assert store.get(failed.id).resumed_by == resumed.id
    with pytest.raises(RunNotResumable):
        resume_run(connector, failed.id, authentications=auths, store=store)
    with pytest.raises(RunNotResumable):
        resume_run(connector, resumed.id, authentications=auths, store=store)  # it succeeded


def test_an_unknown_outcome_is_not_sent_again_unless_asked(connector, sandbox, auths, store, four_steps):
    sandbox.faults.add("POST /api/3/deals", drop_after_write=True)
    stopped = run_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
    assert stopped.status == "outcome_unknown" and stopped.stopped_at == "deal"
    assert stopped.error["type"] == "outcome_unknown"
    before = len(sandbox.log)
    with pytest.raises(RunNotResumable) as caught:
        resume_run(connector, stopped.id, authentications=auths, store=store)
    assert "retry" in caught.value.message and len(sandbox.log) == before
    assert store.get(stopped.id).resumed_by is None

    async def go():
        try:
            return await aresume_run(connector, stopped.id, authentications=auths, store=store, retry_unknown=True)
        finally:
            await connector.aclose()

    resumed = asyncio.run(go())
    assert resumed.status == "succeeded"
    assert sandbox.log.count("POST", "/api/3/contacts") == 1  # never twice
    assert sandbox.log.count("POST", "/api/3/deals") == 2  # the unknown one and the retry the user asked for


def test_a_missing_authentication_fails_its_step_without_sending(connector, sandbox, auth, store, four_steps):
    four_steps["steps"][2]["authentication"] = "Sales team"
    record = run_workflow(connector, four_steps, authentications={"Sandbox": auth}, store=store, trigger=TRIGGER)
    assert record.stopped_at == "deal" and record.error["type"] == "authentication_missing"
    assert sandbox.log.count("POST", "/api/3/deals") == 0
    resumed = resume_run(connector, record.id, authentications={"Sandbox": auth, "Sales team": auth}, store=store)
    assert resumed.status == "succeeded" and sandbox.log.count("POST", "/api/3/contacts") == 1


def test_the_run_store_never_holds_the_key(connector, sandbox, sandbox_server, store, four_steps, api_key, tmp_path):
    good = connector.authentication({"api_url": sandbox_server.url, "api_key": api_key}, name="Sandbox")
    canary = "canary-" + "c0ffee" * 6
    bad = connector.authentication({"api_url": sandbox_server.url, "api_key": canary}, name="Wrong key")
    ok = run_workflow(connector, four_steps, authentications={"Sandbox": good}, store=store, trigger=TRIGGER)
    assert ok.status == "succeeded"
    doc = copy.deepcopy(four_steps)
    doc["steps"][1]["authentication"] = "Wrong key"
    failed = run_workflow(
        connector,
        doc,
        authentications={"Sandbox": good, "Wrong key": bad},
        store=store,
        trigger={**TRIGGER, "email": "b@example.com"},
    )
    assert failed.error["type"] == "authentication"
    store.close()
    for path in (tmp_path / "home").iterdir():
        data = path.read_bytes()
        assert api_key.encode() not in data and canary.encode() not in data, path.name
    assert canary not in repr(failed) and api_key not in repr(ok)


def test_prune_keeps_the_newest(connector, sandbox, auths, store, four_steps):
    four_steps["steps"] = four_steps["steps"][:1]
    ids = [
        run_workflow(connector, four_steps, authentications=auths, store=store, trigger={"email": f"p{i}@example.com"}).id
        for i in range(4)
    ]
    assert store.prune(keep=2) == 2
    assert [r.id for r in store.list()] == ids[:1:-1]
    assert store.prune(older_than=3600) == 0
    assert store.prune(older_than=0) == 2 and store.list() == []


@pytest.mark.parametrize(
    ("route", "step", "status"),
    [
        ("POST /api/3/contactLists", "subscribe", "failed"),  # an upsert: safe to send again
        ("POST /api/3/deals", "deal", "outcome_unknown"),  # an unsafe create: only with retry_unknown
    ],
)
def test_a_cancelled_run_says_where_it_stopped_and_resumes(connector, sandbox, auths, store, four_steps, route, step, status):
    sandbox.faults.add(route, delay_headers=1.5, times=1)

    async def go():
        task = asyncio.get_running_loop().create_task(
            arun_workflow(connector, four_steps, authentications=auths, store=store, trigger=TRIGGER)
        )
        for _ in range(600):
            await asyncio.sleep(0.01)
            runs = store.list()
            if runs and any(s.id == step and s.status == "running" for s in store.get(runs[0].id).steps):
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await connector.aclose()
        return store.list()[0].id

    run_id = asyncio.run(go())
    stopped = store.get(run_id)
    assert stopped.status == status and stopped.stopped_at == step and stopped.error["type"] == "interrupted"
    if status == "outcome_unknown":
        with pytest.raises(RunNotResumable):
            resume_run(connector, run_id, authentications=auths, store=store)
    resumed = resume_run(connector, run_id, authentications=auths, store=store, retry_unknown=status != "failed")
    assert resumed.status == "succeeded"
    assert sandbox.log.count("POST", "/api/3/contacts") == 1
