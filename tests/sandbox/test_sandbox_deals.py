"""Deals, deal notes, pipelines, stages (incl. the delete decisions), tasks and task types."""

from __future__ import annotations

import httpx

from sandbox import Sandbox

DEAL = {"title": "Big one", "value": 250000, "currency": "USD", "contact": "2", "group": "1"}


def new_deal(client: httpx.Client, **fields) -> dict:
    response = client.post("/deals", json={"deal": {**DEAL, **fields}})
    assert response.status_code == 201, response.text
    return response.json()


def test_deal_lifecycle(client: httpx.Client) -> None:
    body = new_deal(client)
    deal = body["deal"]
    assert (deal["value"], deal["status"], deal["currency"], deal["stage"], deal["owner"]) == (250000, 0, "usd", "1", "1")
    assert [c["id"] for c in body["contacts"]] == ["2"]
    assert [g["id"] for g in body["dealGroups"]] == ["1"] and [s["id"] for s in body["dealStages"]] == ["1"]

    got = client.get(f"/deals/{deal['id']}").json()["deal"]
    assert (got["value"], got["status"], got["isDisabled"]) == ("250000", "0", False)
    updated = client.put(f"/deals/{deal['id']}", json={"deal": {"stage": "3", "status": 1, "value": 300000}})
    assert updated.status_code == 200
    assert (updated.json()["deal"]["stage"], updated.json()["deal"]["status"]) == ("3", 1)
    assert updated.json()["dealStages"][0]["id"] == "3"
    assert client.delete(f"/deals/{deal['id']}").json() == {}
    missing = client.get(f"/deals/{deal['id']}")
    assert (missing.status_code, missing.json()) == (404, {"message": f"No Result found for Deal with id {deal['id']}"})


def test_deal_validation(client: httpx.Client) -> None:
    def code(**fields) -> tuple[str, str]:
        error = client.post("/deals", json={"deal": fields}).json()["errors"][0]
        return error["code"], error["source"]["pointer"].rsplit("/", 1)[1]

    assert code(value=1, currency="usd", contact="1", group="1") == ("field_missing", "title")
    assert code(title="t", currency="usd", contact="1", group="1") == ("field_missing", "value")
    assert code(title="t", value=-5, currency="usd", contact="1", group="1") == ("field_invalid", "value")
    assert code(title="t", value=1, currency="dollars", contact="1", group="1") == ("field_invalid", "currency")
    assert code(title="t", value=1, currency="usd", group="1") == ("field_missing", "contact")
    assert code(title="t", value=1, currency="usd", contact="99", group="1") == ("related_missing", "contact")
    assert code(title="t", value=1, currency="usd", contact="1") == ("field_missing", "group")
    assert code(title="t", value=1, currency="usd", contact="1", stage="99") == ("related_missing", "stage")
    pipeline = client.post("/dealGroups", json={"dealGroup": {"title": "Other", "currency": "usd"}}).json()
    other_stage = pipeline["dealStages"][0]["id"]
    assert code(title="t", value=1, currency="usd", contact="1", group="1", stage=other_stage) == ("field_invalid", "stage")
    # the new pipeline does not auto-assign (LIVE default), so an owner is needed
    assert code(title="t", value=1, currency="usd", contact="1", group=pipeline["dealGroup"]["id"]) == (
        "field_missing",
        "owner",
    )
    assert (
        client.post("/deals", json={"deal": {**DEAL, "stage": other_stage, "group": None, "owner": "2"}}).json()["deal"][
            "group"
        ]
        == pipeline["dealGroup"]["id"]
    )


def test_deal_custom_field_type_error(client: httpx.Client) -> None:
    response = client.post("/deals", json={"deal": {**DEAL, "fields": [{"customFieldId": 2, "fieldValue": "abc"}]}})
    assert response.status_code == 422
    assert response.json() == {
        "errors": [{"detail": "The custom field value `abc` could not be saved to the custom field of type `date`."}]
    }
    ok = new_deal(client, fields=[{"customFieldId": 1, "fieldValue": "Budget"}])
    assert ok["deal"]["fields"] == [{"customFieldId": 1, "fieldValue": "Budget", "dealId": ok["deal"]["id"]}]


def test_deal_filters_orders_and_paging(client: httpx.Client, sb: Sandbox) -> None:
    sb.load_fixture(deals=150)
    page1 = client.get("/deals", params={"limit": 100, "orders[id]": "ASC"}).json()
    page2 = client.get("/deals", params={"limit": 100, "offset": 100, "orders[id]": "ASC"}).json()
    ids = [d["id"] for d in page1["deals"] + page2["deals"]]
    assert page1["meta"]["total"] == 151 and len(set(ids)) == 151
    assert page1["meta"]["currencies"]["USD"]["total"] == "151"

    big = new_deal(client, title="Needle deal", value=999900, owner="2")["deal"]

    def ids_for(**params) -> list[str]:
        return [d["id"] for d in client.get("/deals", params={"limit": 100, **params}).json()["deals"]]

    assert ids_for(**{"filters[search]": "needle"}) == [big["id"]]
    assert ids_for(**{"filters[title]": "needle"}) == [big["id"]]
    assert ids_for(**{"filters[owner]": "2"}) == [big["id"]]
    assert ids_for(**{"filters[minimum_value]": "9000"}) == [big["id"]]
    assert big["id"] not in ids_for(**{"filters[maximum_value]": "9000"})
    assert all(d["stage"] == "2" for d in client.get("/deals", params={"filters[stage]": 2}).json()["deals"])
    assert all(d["status"] == "1" for d in client.get("/deals", params={"filters[status]": 1}).json()["deals"])
    assert ids_for(**{"filters[group]": "1", "filters[search]": "widget"}) == ["1"]
    assert ids_for(**{"orders[value]": "DESC", "limit": 1}) == [big["id"]]
    assert ids_for(**{"filters[created_before]": "2024-02-01"}) == ["1"]


def test_deal_notes(client: httpx.Client) -> None:
    created = client.post("/deals/1/notes", json={"note": {"note": "Called, left a message"}})
    assert created.status_code == 201
    note = created.json()["note"]
    assert (note["reltype"], note["relid"], note["owner"]) == ("Deal", "1", {"type": "deal", "id": "1"})
    assert created.json()["deals"][0]["id"] == "1"
    updated = client.put(f"/deals/1/notes/{note['id']}", json={"note": {"note": "Call back Monday"}})
    assert updated.status_code == 200 and updated.json()["note"]["note"] == "Call back Monday"
    assert client.put("/deals/1/notes/999", json={"note": {"note": "x"}}).status_code == 404
    assert client.post("/deals/999/notes", json={"note": {"note": "x"}}).json() == {
        "message": "No Result found for Deal with id 999"
    }
    assert client.post("/deals/1/notes", json={"note": {}}).json()["errors"][0]["code"] == "field_missing"


def test_notes_generic(client: httpx.Client) -> None:
    created = client.post("/notes", json={"note": {"note": "About Jane", "relid": 1, "reltype": "Subscriber"}})
    assert created.status_code == 201
    body = created.json()
    assert body["contacts"][0]["id"] == "1" and body["note"]["owner"] == {"type": "contact", "id": 1}
    nid = body["note"]["id"]
    assert client.get("/notes").json()["meta"]["total"] == 2
    assert client.get("/contacts/1/notes").json()["notes"][0]["id"] == nid
    assert client.patch(f"/notes/{nid}", json={"note": {"note": "Edited"}}).json()["note"]["note"] == "Edited"
    assert client.delete(f"/notes/{nid}").json() == {}
    assert client.delete(f"/notes/{nid}").json() == {"message": f"No Result found for Note with id {nid}"}
    bad = client.post("/notes", json={"note": {"note": "x", "relid": 1, "reltype": "Planet"}})
    assert bad.json()["errors"][0]["code"] == "field_invalid"
    assert (
        client.post("/notes", json={"note": {"note": "x", "relid": 99, "reltype": "Deal"}}).json()["errors"][0]["code"]
        == "related_missing"
    )


def test_pipeline_lifecycle(client: httpx.Client) -> None:
    created = client.post("/dealGroups", json={"dealGroup": {"title": "Partners", "currency": "EUR", "users": ["2"]}})
    assert created.status_code == 201
    body = created.json()
    group = body["dealGroup"]
    assert [s["title"] for s in body["dealStages"]] == ["To Contact", "In Contact", "Follow Up"]
    assert group["stages"] == [s["id"] for s in body["dealStages"]]
    assert [u["user"] for u in body["dealGroupUsers"]] == ["2"] and body["dealGroupGroups"] == []
    assert (group["currency"], group["autoassign"]) == ("eur", "0")
    listed = client.get("/dealGroups", params={"filters[title]": "partn"}).json()
    assert [g["id"] for g in listed["dealGroups"]] == [group["id"]] and listed["meta"]["total"] == 1
    assert len(listed["dealStages"]) == 3
    one = client.get(f"/dealGroups/{group['id']}").json()
    assert one["dealGroup"]["title"] == "Partners" and len(one["dealStages"]) == 3
    updated = client.put(f"/dealGroups/{group['id']}", json={"dealGroup": {"title": "Partners EU", "users": ["1"]}})
    assert updated.json()["dealGroup"]["title"] == "Partners EU"
    assert [u["user"] for u in updated.json()["dealGroupUsers"]] == ["1"]
    assert client.get("/dealGroups/99").json() == {"message": "No Result found for DealGroup with id 99"}
    assert (
        client.post("/dealGroups", json={"dealGroup": {"title": "No currency"}}).json()["errors"][0]["code"] == "field_missing"
    )


def test_deleting_a_pipeline_deletes_its_stages_deals_notes_and_tasks(client: httpx.Client, sb: Sandbox) -> None:
    assert client.delete("/dealGroups/1").json() == {}
    assert client.get("/deals/1").status_code == 404
    assert client.get("/dealStages", params={"filters[d_groupid]": 1}).json()["dealStages"] == []
    assert client.get("/notes").json()["meta"]["total"] == 0
    assert client.get("/dealTasks").json()["meta"]["total"] == "0"


def test_stage_lifecycle_and_reorder(client: httpx.Client) -> None:
    created = client.post(
        "/dealStages",
        params={"reorder": 1},
        json={"dealStage": {"title": "Qualify", "group": "1", "order": 1, "color": "#32B0FC"}},
    )
    assert created.status_code == 201
    stage = created.json()["dealStage"]
    assert (stage["order"], stage["color"], stage["width"]) == (1, "32B0FC", 280)
    assert created.json()["dealGroups"][0]["id"] == "1"
    in_order = client.get("/dealStages", params={"filters[d_groupid]": 1, "orders[order]": "ASC"}).json()
    assert [s["title"] for s in in_order["dealStages"]] == ["Qualify", "To Contact", "In Contact", "Follow Up"]
    assert in_order["meta"]["total"] == 4
    assert [s["id"] for s in client.get("/dealStages", params={"filters[title]": "qual"}).json()["dealStages"]] == [stage["id"]]
    updated = client.put(f"/dealStages/{stage['id']}", json={"dealStage": {"title": "Qualified", "width": 300}})
    assert updated.json()["dealStage"]["title"] == "Qualified" and updated.json()["dealStage"]["width"] == 300
    assert client.delete(f"/dealStages/{stage['id']}").json() == {}
    assert client.get(f"/dealStages/{stage['id']}").json() == {
        "message": f"No Result found for DealStage with id {stage['id']}"
    }
    assert (
        client.post("/dealStages", json={"dealStage": {"title": "x", "group": "99"}}).json()["errors"][0]["code"]
        == "related_missing"
    )


def test_deleting_a_stage_deletes_its_deals_as_activecampaign_does(client: httpx.Client) -> None:
    # "If the deal stage has existing deals, the request will delete all associated deals"
    # (developers.activecampaign.com/reference/delete-a-deal-stage).
    assert client.delete("/dealStages/1").json() == {}
    assert client.get("/deals/1").status_code == 404
    assert client.get("/notes/1").status_code in (403, 404)  # the deal's note went with it


def test_moving_the_deals_first_keeps_them(client: httpx.Client) -> None:
    moved = client.put("/dealStages/1/deals", json={"deal": {"stage": "2"}})
    assert moved.status_code == 200 and [d["stage"] for d in moved.json()["deals"]] == ["2"]
    assert client.delete("/dealStages/1").json() == {}
    assert client.get("/deals/1").json()["deal"]["stage"] == "2"


def test_deleting_a_pipeline_deletes_its_stages_and_deals(client: httpx.Client) -> None:
    # "the DELETE request will remove all stages and deals associated with it"
    # (developers.activecampaign.com/reference/delete-a-pipeline).
    assert client.delete("/dealGroups/1").status_code == 200
    assert client.get("/deals/1").status_code == 404
    assert client.get("/dealStages", params={"filters[d_groupid]": 1}).json()["dealStages"] == []


def test_move_deals_across_pipelines_is_refused(client: httpx.Client) -> None:
    other = client.post("/dealGroups", json={"dealGroup": {"title": "Other", "currency": "usd"}}).json()
    response = client.put("/dealStages/1/deals", json={"deal": {"stage": other["dealStages"][0]["id"]}})
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "status": 422,
                "title": "Invalid attribute",
                "detail": "Target stage does not belong to same pipeline",
                "source": {"pointer": "/data/attributes/stage"},
            }
        ]
    }


def test_tasks_lifecycle_and_filters(client: httpx.Client) -> None:
    created = client.post(
        "/dealTasks",
        json={
            "dealTask": {
                "title": "Send quote",
                "ownerType": "contact",
                "relid": "2",
                "duedate": "2031-03-01T10:00:00-06:00",
                "dealTasktype": "2",
                "assignee": 2,
            }
        },
    )
    assert created.status_code == 201
    task = created.json()["dealTask"]
    assert (task["reltype"], task["owner"], task["status"], task["duedate"]) == (
        "Subscriber",
        {"type": "contact", "id": "2"},
        0,
        "2031-03-01T11:00:00-05:00",
    )
    tid = task["id"]
    assert client.get(f"/dealTasks/{tid}").json()["dealTask"]["status"] == "0"

    def ids(**params) -> list[str]:
        return [t["id"] for t in client.get("/dealTasks", params=params).json()["dealTasks"]]

    assert ids(**{"filters[reltype]": "Subscriber"}) == [tid]
    assert ids(**{"filters[d_tasktypeid]": "2"}) == [tid]
    assert ids(**{"filters[assignee_userid]": "2"}) == [tid]
    assert ids(**{"filters[due_after]": "2031-01-01"}) == [tid]
    assert ids(**{"filters[due_before]": "2031-01-01"}) == ["1"]
    assert ids(**{"filters[duedate_range]": "2031-02-28+2031-03-02"}) == [tid]
    assert ids(**{"filters[title]": "quote"}) == [tid]
    refused = client.put(f"/dealTasks/{tid}", json={"dealTask": {"status": 1}})  # an Email task: outcomes
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/outcomeId"
    done = client.put(f"/dealTasks/{tid}", json={"dealTask": {"status": 1, "outcomeId": 1, "outcomeInfo": "Yes"}})
    assert done.status_code == 200 and done.json()["dealTask"]["status"] == 1
    assert (done.json()["dealTask"]["outcomeId"], done.json()["dealTask"]["outcomeInfo"]) == (1, "Yes")
    assert ids(**{"filters[status]": "1"}) == [tid]
    assert ids(**{"filters[outcome_id]": "1"}) == [tid]
    assert client.delete(f"/dealTasks/{tid}").json() == {}
    assert client.get(f"/dealTasks/{tid}").json() == {"message": f"No Result found for DealTask with id {tid}"}


def test_task_validation(client: httpx.Client) -> None:
    def code(**fields) -> str:
        return client.post("/dealTasks", json={"dealTask": fields}).json()["errors"][0]["code"]

    assert code(duedate="2031-01-01", dealTasktype="1") == "field_missing"
    assert code(relid="99", duedate="2031-01-01", dealTasktype="1") == "related_missing"
    assert code(relid="1", duedate="tomorrow", dealTasktype="1") == "field_invalid"
    assert code(relid="1", duedate="2031-01-01", dealTasktype="9") == "related_missing"
    assert code(relid="1", duedate="2031-01-01", dealTasktype="1", ownerType="planet") == "field_invalid"


def test_task_types(client: httpx.Client) -> None:
    created = client.post("/dealTasktypes", json={"dealTasktype": {"title": "Skype", "status": 0}})
    assert created.status_code == 201
    kind = created.json()["dealTasktype"]
    assert (kind["title"], kind["status"]) == ("Skype", "0")
    assert [t["title"] for t in client.get("/dealTasktypes").json()["dealTasktypes"]] == ["Call", "Email", "Skype"]
    updated = client.put(f"/dealTasktypes/{kind['id']}", json={"dealTasktype": {"title": "Meet", "status": 1}})
    assert (updated.json()["dealTasktype"]["title"], updated.json()["dealTasktype"]["status"]) == ("Meet", "1")
    assert client.post("/dealTasktypes", json={"dealTasktype": {"title": "call"}}).json()["errors"][0]["code"] == "duplicate"
    assert client.delete(f"/dealTasktypes/{kind['id']}").json() == {}
    in_use = client.delete("/dealTasktypes/1")
    assert in_use.status_code == 422
    moved = client.put("/dealTasktypes/1/dealTasks", json={"dealTask": {"dealTasktype": "2"}})
    assert [t["dealTasktype"] for t in moved.json()["dealTasks"]] == ["2"]
    assert client.delete("/dealTasktypes/1").json() == {}


def test_task_outcomes_and_their_task_types(client: httpx.Client) -> None:
    # list-all-task-outcomes, create-a-task-outcome, list-all-task-type-outcome-relations (official reference).
    listed = client.get("/taskOutcomes").json()
    assert [(o["title"], o["sentiment"], o["dealTasktype_ids"]) for o in listed["taskOutcomes"]] == [
        ("Interested", "POSITIVE", ["2"]),
        ("Not interested", "NEGATIVE", ["2"]),
    ]
    assert listed["meta"]["total"] == "2"
    assert [o["id"] for o in client.get("/taskOutcomes", params={"filters[sentiment]": 1}).json()["taskOutcomes"]] == ["2"]
    created = client.post("/taskOutcomes", json={"taskOutcome": {"title": "Booked", "sentiment": "Neutral"}})
    assert created.status_code == 200 and created.json()["taskOutcome"]["sentiment"] == "NEUTRAL"
    bad = client.post("/taskOutcomes", json={"taskOutcome": {"sentiment": "Happy"}}).json()["errors"]
    assert [e["code"] for e in bad] == ["field_missing", "field_invalid"]  # both, as documented
    rels = client.get("/tasktypeOutcomeRels").json()["tasktypeOutcomeRels"]
    assert [(r["tasktype"], r["outcome"]) for r in rels] == [("2", "1"), ("2", "2")]
    linked = client.post("/tasktypeOutcomeRels", json={"tasktypeOutcomeRel": {"tasktype_id": 1, "outcome_id": 3}})
    assert linked.status_code == 200 and linked.json()["tasktypeOutcomeRel"]["tasktype"] == "1"
    assert client.put("/dealTasks/1", json={"dealTask": {"status": 1}}).status_code == 422  # Call has one now
    wrong = client.put("/dealTasks/1", json={"dealTask": {"status": 1, "outcomeId": 1}})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "field_invalid"
    assert client.put("/dealTasks/1", json={"dealTask": {"status": 1, "outcomeId": 3}}).status_code == 200
