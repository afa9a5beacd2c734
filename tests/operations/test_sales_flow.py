"""A whole sales flow through the engine against the sandbox, each step feeding the next as a workflow
would: pipeline, stages, contact, deal, task type, task, note, move the deal, win it, read it all back."""

from __future__ import annotations


def test_a_whole_sales_flow(run, connector, auth, sandbox):
    # 1. A pipeline that does not auto-assign, so deals name their owner; rename its first stage and
    #    add a last one.
    pipeline = run("create_deal_pipeline", {"title": "Q3 enterprise", "currency": "eur", "auto_assign": 0})
    pipeline_id = pipeline["dealGroup"]["id"]
    first, second, third = (s["id"] for s in pipeline["dealStages"])
    run("update_deal_stage", {"stage_id": first, "title": "Qualified"})
    closing = run("create_deal_stage", {"title": "Closing", "pipeline_id": pipeline_id, "color": "2ECC71"})
    closing_id = closing["dealStage"]["id"]

    # 2. A contact, then a deal for them, placed with the dropdowns a builder would show.
    contact = run("create_contact", {"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"})
    contact_id = contact["contact"]["id"]
    stage_choices = connector.options("create_deal", "stage_id", {"pipeline_id": pipeline_id}, auth)["result"]
    assert [c["text"] for c in stage_choices] == ["Qualified", "In Contact", "Follow Up", "Closing"]
    owner = connector.options("create_deal", "owner_id", {}, auth, search="sam")["result"][0]["value"]
    deal = run(
        "create_deal",
        {
            "title": "Compiler licences",
            "value": 48000.75,
            "currency": "eur",
            "contact_id": contact_id,
            "pipeline_id": pipeline_id,
            "stage_id": stage_choices[0]["value"],
            "owner_id": owner,
            "description": "40 seats, three years",
        },
    )
    deal_id = deal["deal"]["id"]
    assert [c["email"] for c in deal["contacts"]] == ["grace@example.com"]

    # 3. A task type, and a task of that type on the deal; then a note.
    task_type_id = run("create_deal_task_type", {"title": "Demo"})["dealTasktype"]["id"]
    task_id = run(
        "create_deal_task",
        {
            "deal_id": deal_id,
            "task_type_id": task_type_id,
            "title": "Product demo",
            "due": "2030-09-02T10:00:00+02:00",
            "assignee_id": owner,
        },
    )["dealTask"]["id"]
    note_id = run("create_deal_note", {"deal_id": deal_id, "note": "Wants a volume discount."})["note"]["id"]

    # 4. Work the deal: the demo happened, the deal moves on, then it is won.
    run("update_deal_task", {"task_id": task_id, "status": 1})
    run("update_deal_note", {"deal_id": deal_id, "note_id": note_id, "note": "Agreed 10% volume discount."})
    run("update_deal", {"deal_id": deal_id, "stage_id": closing_id})
    won = run("update_deal", {"deal_id": deal_id, "status": 1, "value": 43200.68})
    assert str(won["deal"]["status"]) == "1"

    # 5. Read everything back.
    read = run("get_deal", {"deal_id": deal_id})["deal"]
    assert (read["title"], read["status"], read["value"], read["currency"]) == ("Compiler licences", "1", "4320068", "eur")
    assert (read["group"], read["stage"], read["contact"], read["owner"]) == (pipeline_id, closing_id, contact_id, owner)
    assert read["description"] == "40 seats, three years"

    won_deals = run("list_deals", {"pipeline_id": pipeline_id, "status": 1})
    assert [d["id"] for d in won_deals["deals"]] == [deal_id] and won_deals["total"] == 1
    assert run("list_deals", {"stage_id": closing_id})["deals"][0]["id"] == deal_id
    assert run("list_deals", {"pipeline_id": pipeline_id, "status": 0})["deals"] == []

    tasks = run("list_deal_tasks", {"deal_id": deal_id})["dealTasks"]
    assert [(t["id"], t["title"], str(t["status"]), str(t["dealTasktype"]), str(t["assignee"])) for t in tasks] == [
        (task_id, "Product demo", "1", task_type_id, owner)
    ]
    assert {"text": "Demo", "value": task_type_id} in run("list_deal_task_types_ddl")["result"]

    note = run("raw_http_request", {"method": "GET", "path": f"/notes/{note_id}"})["body"]["note"]
    assert (note["note"], note["reltype"], str(note["relid"])) == ("Agreed 10% volume discount.", "Deal", deal_id)

    stages = run("list_deal_stages", {"pipeline_id": pipeline_id})["dealStages"]
    assert [s["title"] for s in sorted(stages, key=lambda s: int(s["order"]))] == [
        "Qualified",
        "In Contact",
        "Follow Up",
        "Closing",
    ]
    assert {second, third} <= {s["id"] for s in stages}
    assert run("list_deal_pipelines_ddl", {"search": "Q3"})["result"] == [{"text": "Q3 enterprise (EUR)", "value": pipeline_id}]
    assert {"text": "Compiler licences (43,200.68 EUR)", "value": deal_id} in run("list_deals_ddl")["result"]

    # Every step was one request: nothing retried, nothing sent twice.
    writes = [r for r in sandbox.log if r.method in ("POST", "PUT")]
    assert len(writes) == 12


DEALS_FAMILY = (
    "create_deal",
    "get_deal",
    "update_deal",
    "delete_deal",
    "list_deals",
    "list_deals_ddl",
    "create_deal_pipeline",
    "update_deal_pipeline",
    "delete_deal_pipeline",
    "list_deal_pipelines",
    "list_deal_pipelines_ddl",
    "create_deal_stage",
    "update_deal_stage",
    "delete_deal_stage",
    "list_deal_stages",
    "list_deal_stages_ddl",
    "create_deal_task",
    "update_deal_task",
    "list_deal_tasks",
    "list_deal_tasks_ddl",
    "create_deal_task_type",
    "update_deal_task_type",
    "list_deal_task_types",
    "list_deal_task_types_ddl",
    "create_deal_note",
    "update_deal_note",
    "list_deal_notes_ddl",
    "list_deal_custom_fields_ddl",
)


def test_every_example_of_the_deals_family_runs_on_the_seeded_account(connector, auth, sandbox):
    ran = 0
    for name in DEALS_FAMILY:
        described = connector.describe(name)
        assert described["idempotency"] == (
            "unsafe" if name.startswith("create_") else "idempotent" if name.startswith(("update_", "delete_")) else "safe"
        ), name
        examples = described["examples"]
        assert examples, f"{name} has no example"
        for example in examples:
            sandbox.reset()
            connector.run(name, example["input"], auth)  # strict output checks: the shape must fit too
            ran += 1
    assert ran >= 37


def test_every_id_field_of_the_family_has_a_dropdown(connector):
    def id_fields(schema: dict, pointer: str) -> set[str]:
        found = {pointer} if schema.get("pattern") == "^[0-9]+(?!\\n)$" else set()
        for name, sub in schema.get("properties", {}).items():
            found |= id_fields(sub, f"{pointer}/{name}")
        if isinstance(schema.get("items"), dict):
            found |= id_fields(schema["items"], f"{pointer}/-")
        return found

    checked = 0
    for name in DEALS_FAMILY:
        described = connector.describe(name)
        fields = id_fields(described["input"], "")
        assert fields <= {lk["field"] for lk in described["lookups"]}, (name, fields)
        checked += len(fields)
    assert checked >= 40  # the walker really finds them
