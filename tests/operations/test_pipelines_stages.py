"""Deal pipelines and stages through the engine against the sandbox, including the dependent stage
dropdown and what happens when a pipeline or a stage that still holds deals is deleted."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, last

from engine import errors

SEEDED_PIPELINE = "1"  # "Sales Pipeline" (usd) with stages 1, 2, 3 and deal 1 in stage 1 (sandbox/seed.py)


def new_pipeline(run, title: str = "Test pipeline", **extra) -> dict:
    return run("create_deal_pipeline", {"title": title, "currency": "usd", **extra})


def stage_ids(run, pipeline: str) -> list[str]:
    return [s["id"] for s in run("list_deal_stages", {"pipeline_id": pipeline})["dealStages"]]


def new_deal(run, pipeline: str, stage: str | None = None) -> dict:
    data = {"title": "Held deal", "value": 50, "currency": "usd", "contact_id": "1", "pipeline_id": pipeline, "owner_id": "1"}
    if stage:
        data["stage_id"] = stage
    return run("create_deal", data)["deal"]


# -- pipelines ---------------------------------------------------------------------------------
def test_create_pipeline_answers_with_its_three_starting_stages_and_users(run, sandbox):
    out = new_pipeline(run, title="Enterprise", auto_assign=1, assign_to_all_users=False, assignee_ids=["1", "2"])
    assert last(sandbox, "POST").body == {
        "dealGroup": {"title": "Enterprise", "currency": "usd", "autoassign": 1, "allusers": 0, "users": ["1", "2"]}
    }
    group = out["dealGroup"]
    assert group["title"] == "Enterprise" and group["currency"] == "usd" and str(group["autoassign"]) == "1"
    assert [s["title"] for s in out["dealStages"]] == ["To Contact", "In Contact", "Follow Up"]
    assert [str(s) for s in group["stages"]] == [s["id"] for s in out["dealStages"]]
    assert sorted(u["user"] for u in out["dealGroupUsers"]) == ["1", "2"]


def test_create_pipeline_sends_only_what_was_given(run, sandbox):
    bare = new_pipeline(run, title="Bare")["dealGroup"]
    assert last(sandbox, "POST").body == {"dealGroup": {"title": "Bare", "currency": "usd"}}
    # As the auto-assign description says: off when not given, so deals need an owner.
    assert str(bare["autoassign"]) == "0"
    with pytest.raises(errors.UpstreamValidation):
        run("create_deal", {"title": "No owner", "value": 1, "currency": "usd", "contact_id": "1", "pipeline_id": bare["id"]})
    new_pipeline(run, title="All users", assign_to_all_users=True)
    assert last(sandbox, "POST").body["dealGroup"]["allusers"] == 1


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"currency": "USD"}, "/currency", "pattern"),
        ({"auto_assign": 3}, "/auto_assign", "oneOf"),
        ({"assignee_ids": ["one"]}, "/assignee_ids/0", "pattern"),
        ({"assignee_ids": ["1", "1"]}, "/assignee_ids", "uniqueItems"),
        ({"title": ""}, "/title", "minLength"),
    ],
)
def test_invalid_pipeline_input_is_refused_before_sending(connector, auth, sandbox, data, pointer, keyword):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal_pipeline", {"title": "X", "currency": "usd", **data}, auth)
    assert (pointer, keyword) in [(e["pointer"], e["keyword"]) for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_an_unknown_assignee_is_activecampaigns_422(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        new_pipeline(run, assignee_ids=["4242"])
    assert info.value.status == 422 and "No user with id 4242 exists" in info.value.message


def test_update_pipeline_changes_only_the_fields_given(run, sandbox):
    out = run("update_deal_pipeline", {"pipeline_id": SEEDED_PIPELINE, "title": "Renamed"})
    assert last(sandbox, "PUT").body == {"dealGroup": {"title": "Renamed"}}
    assert out["dealGroup"]["title"] == "Renamed" and out["dealGroup"]["currency"] == "usd"
    run("update_deal_pipeline", {"pipeline_id": SEEDED_PIPELINE, "currency": "eur", "auto_assign": 2})
    listed = run("list_deal_pipelines", {"title": "Renamed"})["dealGroups"]
    assert [(p["title"], p["currency"], str(p["autoassign"])) for p in listed] == [("Renamed", "eur", "2")]


def test_update_missing_pipeline_is_not_found(run):
    with pytest.raises(errors.NotFound) as info:
        run("update_deal_pipeline", {"pipeline_id": "4242", "title": "Ghost"})
    assert "No Result found" in info.value.message


def test_list_pipelines_filters_orders_and_pages(run, sandbox):
    for title in ("Zeta sales", "Alpha sales", "Partners"):
        new_pipeline(run, title=title)
    titles = [p["title"] for p in run("list_deal_pipelines", {"title": "sales", "order_by_title": "ASC"})["dealGroups"]]
    assert titles == ["Alpha sales", "Sales Pipeline", "Zeta sales"]
    query = {k: v[0] for k, v in last(sandbox, "GET").query.items()}
    assert query["filters[title]"] == "sales" and query["orders[title]"] == "ASC"
    page = run("list_deal_pipelines", {"limit": 2})
    assert len(page["dealGroups"]) == 2 and page["total"] == 4 and page["has_more"] and page["next_offset"] == 2
    assert len(run("list_deal_pipelines", {"return_all": True})["dealGroups"]) == 4


def test_delete_empty_pipeline(run):
    pipeline = new_pipeline(run, title="Short-lived")["dealGroup"]["id"]
    assert run("delete_deal_pipeline", {"pipeline_id": pipeline}) == {"deleted": True, "id": pipeline, "deals_deleted": 0}
    assert pipeline not in [c["value"] for c in run("list_deal_pipelines_ddl")["result"]]
    assert stage_ids(run, pipeline) == []
    with pytest.raises(errors.NotFound):
        run("delete_deal_pipeline", {"pipeline_id": pipeline})


def test_a_pipeline_that_holds_deals_is_kept_unless_its_deals_may_go(run, sandbox):
    # ActiveCampaign deletes a pipeline's stages and deals with it (reference "Delete a pipeline"), so the
    # operation counts the deals first and stops, naming the field that allows it; nothing is deleted.
    pipeline = new_pipeline(run, title="Doomed")["dealGroup"]["id"]
    deal = new_deal(run, pipeline)
    sandbox.log.clear()
    with pytest.raises(errors.PreconditionFailed) as info:
        run("delete_deal_pipeline", {"pipeline_id": pipeline})
    assert info.value.to_dict()["pointer"] == "/delete_deals"
    assert f"Pipeline {pipeline} still holds 1 deal(s)" in info.value.message
    assert [(r.method, r.path) for r in api_requests(sandbox)] == [("GET", "/api/3/deals")]
    assert last(sandbox, "GET").query == {"filters[group]": [pipeline], "limit": ["1"], "offset": ["0"]}
    assert run("get_deal", {"deal_id": deal["id"]})["deal"]["id"] == deal["id"]


def test_deleting_a_pipeline_with_its_deals_deletes_their_tasks_too(run, sandbox):
    pipeline = new_pipeline(run, title="Doomed")["dealGroup"]["id"]
    deal = new_deal(run, pipeline)
    task_type = run("list_deal_task_types")["dealTasktypes"][0]["id"]
    task = run("create_deal_task", {"deal_id": deal["id"], "task_type_id": task_type, "due": "2030-01-01T09:00:00-05:00"})[
        "dealTask"
    ]
    assert run("delete_deal_pipeline", {"pipeline_id": pipeline, "delete_deals": True}) == {
        "deleted": True,
        "id": pipeline,
        "deals_deleted": 1,
    }
    with pytest.raises(errors.NotFound):
        run("get_deal", {"deal_id": deal["id"]})
    assert run("list_deals", {"pipeline_id": pipeline})["deals"] == []
    assert task["id"] not in [t["id"] for t in run("list_deal_tasks", {"return_all": True})["dealTasks"]]


def test_pipelines_ddl_shows_title_and_currency_and_searches(run, sandbox):
    new_pipeline(run, title="Euro deals", currency="eur")
    choices = run("list_deal_pipelines_ddl")["result"]
    assert {"text": "Sales Pipeline (USD)", "value": SEEDED_PIPELINE} in choices
    assert any(c["text"] == "Euro deals (EUR)" for c in choices)
    found = run("list_deal_pipelines_ddl", {"search": "euro"})["result"]
    assert [c["text"] for c in found] == ["Euro deals (EUR)"]
    assert last(sandbox, "GET").query["filters[title]"] == ["euro"]


# -- stages ------------------------------------------------------------------------------------
def test_create_stage_at_the_end_by_default(run, sandbox):
    out = run("create_deal_stage", {"title": "Negotiation", "pipeline_id": SEEDED_PIPELINE})
    assert last(sandbox, "POST").body == {"dealStage": {"title": "Negotiation", "group": SEEDED_PIPELINE}}
    assert "reorder" not in last(sandbox, "POST").query
    stage = out["dealStage"]
    assert stage["title"] == "Negotiation" and str(stage["group"]) == SEEDED_PIPELINE and str(stage["order"]) == "4"
    assert [g["id"] for g in out["dealGroups"]] == [SEEDED_PIPELINE]
    assert stage_ids(run, SEEDED_PIPELINE)[-1] == stage["id"]


def test_create_stage_at_a_position_shifting_the_others(run, sandbox):
    out = run(
        "create_deal_stage",
        {
            "title": "Qualified",
            "pipeline_id": SEEDED_PIPELINE,
            "order": 2,
            "shift_following": True,
            "color": "2ECC71",
            "width": 300,
        },
    )
    assert last(sandbox, "POST").query == {"reorder": ["1"]}
    stage = out["dealStage"]
    assert (stage["color"], str(stage["width"]), str(stage["order"])) == ("2ECC71", "300", "2")
    orders = {s["title"]: int(s["order"]) for s in run("list_deal_stages", {"pipeline_id": SEEDED_PIPELINE})["dealStages"]}
    assert orders == {"To Contact": 1, "Qualified": 2, "In Contact": 3, "Follow Up": 4}


def test_a_stage_in_a_missing_pipeline_is_activecampaigns_422(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        run("create_deal_stage", {"title": "Orphan", "pipeline_id": "4242"})
    assert "No pipeline with id 4242 exists" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"color": "#2ECC71"}, "/color"),
        ({"color": "green"}, "/color"),
        ({"order": 0}, "/order"),
        ({"width": "wide"}, "/width"),
        ({"pipeline_id": 1}, "/pipeline_id"),
    ],
)
def test_invalid_stage_input_is_refused_before_sending(connector, auth, sandbox, data, pointer):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal_stage", {"title": "X", "pipeline_id": "1", **data}, auth)
    assert pointer in [e["pointer"] for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_update_stage_changes_only_the_fields_given(run, sandbox):
    out = run("update_deal_stage", {"stage_id": "2", "title": "Talking"})
    assert last(sandbox, "PUT").body == {"dealStage": {"title": "Talking"}}
    assert out["dealStage"]["title"] == "Talking" and out["dealStage"]["color"] == "5487FF"
    run("update_deal_stage", {"stage_id": "3", "order": 1, "shift_following": True})
    assert last(sandbox, "PUT").query == {"reorder": ["1"]}
    stages = run("list_deal_stages", {"pipeline_id": SEEDED_PIPELINE})["dealStages"]
    assert sorted(stages, key=lambda s: int(s["order"]))[0]["id"] == "3"


def test_update_missing_stage_is_not_found(run):
    with pytest.raises(errors.NotFound):
        run("update_deal_stage", {"stage_id": "4242", "title": "Ghost"})


def test_delete_empty_stage(run):
    stage = run("create_deal_stage", {"title": "Temporary", "pipeline_id": SEEDED_PIPELINE})["dealStage"]["id"]
    assert run("delete_deal_stage", {"stage_id": stage}) == {"deleted": True, "id": stage, "deals_moved": 0, "deals_deleted": 0}
    assert stage not in stage_ids(run, SEEDED_PIPELINE)
    with pytest.raises(errors.NotFound):
        run("delete_deal_stage", {"stage_id": stage})


def test_a_stage_that_holds_deals_is_not_deleted_unless_the_input_says_what_becomes_of_them(run, sandbox):
    # ActiveCampaign deletes a stage's deals with it (reference "Delete a deal stage"): stage 1 holds the
    # seeded deal, so the operation counts first, stops before any DELETE, and names the field to set.
    second = new_deal(run, SEEDED_PIPELINE, stage="1")
    sandbox.log.clear()
    with pytest.raises(errors.PreconditionFailed) as info:
        run("delete_deal_stage", {"stage_id": "1"})
    assert info.value.to_dict() | {"message": ""} == {
        "type": "precondition_failed",
        "message": "",
        "retryable": False,
        "pointer": "/delete_deals",
        "step": "refused",
    }
    assert "Stage 1 still holds 2 deal(s)" in info.value.message and "move_deals_to_stage" in info.value.message
    assert [(r.method, r.path) for r in api_requests(sandbox)] == [("GET", "/api/3/deals")]
    assert last(sandbox, "GET").query == {"filters[stage]": ["1"], "limit": ["1"], "offset": ["0"]}
    assert "1" in stage_ids(run, SEEDED_PIPELINE)
    assert {run("get_deal", {"deal_id": d})["deal"]["stage"] for d in ("1", second["id"])} == {"1"}


def test_deleting_a_stage_can_move_its_deals_first(run, sandbox):
    second = new_deal(run, SEEDED_PIPELINE, stage="1")
    sandbox.log.clear()
    assert run("delete_deal_stage", {"stage_id": "1", "move_deals_to_stage": "3"}) == {
        "deleted": True,
        "id": "1",
        "deals_moved": 2,
        "deals_deleted": 0,
    }
    assert [(r.method, r.path) for r in api_requests(sandbox)] == [
        ("GET", "/api/3/deals"),
        ("PUT", "/api/3/dealStages/1/deals"),
        ("DELETE", "/api/3/dealStages/1"),
    ]
    assert last(sandbox, "PUT").body == {"deal": {"stage": "3"}}
    assert {run("get_deal", {"deal_id": d})["deal"]["stage"] for d in ("1", second["id"])} == {"3"}
    assert "1" not in stage_ids(run, SEEDED_PIPELINE)


def test_moving_to_a_stage_of_another_pipeline_is_refused_and_nothing_is_deleted(run, sandbox):
    other = new_pipeline(run, title="Other")["dealStages"][0]["id"]
    with pytest.raises(errors.UpstreamValidation) as info:
        run("delete_deal_stage", {"stage_id": "1", "move_deals_to_stage": other})
    assert "Target stage does not belong to same pipeline" in info.value.message
    assert "DELETE" not in [r.method for r in api_requests(sandbox)]
    assert run("get_deal", {"deal_id": "1"})["deal"]["stage"] == "1" and "1" in stage_ids(run, SEEDED_PIPELINE)


def test_deleting_a_stage_with_its_deals(run, sandbox):
    task_type = run("list_deal_task_types")["dealTasktypes"][0]["id"]
    task = run("create_deal_task", {"deal_id": "1", "task_type_id": task_type, "due": "2030-01-01T09:00:00-05:00"})["dealTask"]
    assert run("delete_deal_stage", {"stage_id": "1", "delete_deals": True}) == {
        "deleted": True,
        "id": "1",
        "deals_moved": 0,
        "deals_deleted": 1,
    }
    with pytest.raises(errors.NotFound):
        run("get_deal", {"deal_id": "1"})
    assert task["id"] not in [t["id"] for t in run("list_deal_tasks", {"return_all": True})["dealTasks"]]


def test_moving_and_deleting_the_deals_exclude_each_other(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("delete_deal_stage", {"stage_id": "1", "move_deals_to_stage": "2", "delete_deals": True}, auth)
    assert [e["pointer"] for e in info.value.errors] == ["/delete_deals"]
    assert api_requests(sandbox) == []


def test_list_stages_filters_by_pipeline_and_title(run, sandbox):
    other = new_pipeline(run, title="Other")["dealGroup"]["id"]
    stages = run("list_deal_stages", {"pipeline_id": other})
    assert last(sandbox, "GET").query["filters[d_groupid]"] == [other]
    assert {str(s["group"]) for s in stages["dealStages"]} == {other} and stages["total"] == 3
    follow = run("list_deal_stages", {"title": "follow"})["dealStages"]
    assert sorted(str(s["group"]) for s in follow) == sorted([SEEDED_PIPELINE, other])
    assert all(s["title"] == "Follow Up" for s in follow)


# -- the stage dropdown depends on the pipeline --------------------------------------------------
def test_stage_dropdown_lists_only_the_chosen_pipelines_stages(run, connector, auth, sandbox):
    other = new_pipeline(run, title="Other")
    other_id = other["dealGroup"]["id"]
    choices = connector.options("create_deal", "stage_id", {"pipeline_id": other_id, "title": "x"}, auth)
    assert [c["value"] for c in choices["result"]] == [s["id"] for s in other["dealStages"]]
    assert [c["text"] for c in choices["result"]] == ["To Contact", "In Contact", "Follow Up"]
    assert last(sandbox, "GET").query["filters[d_groupid]"] == [other_id]
    # No pipeline chosen yet: every stage, labelled with its pipeline since names repeat.
    every = connector.options("create_deal", "stage_id", {}, auth)["result"]
    assert "filters[d_groupid]" not in last(sandbox, "GET").query
    assert {"text": "To Contact (pipeline 1)", "value": "1"} in every and len(every) == 6
    lookup = next(lk for lk in connector.describe("create_deal")["lookups"] if lk["field"] == "/stage_id")
    assert lookup["depends_on"] == ["pipeline_id"]


def test_stage_dropdown_searches_titles(connector, auth):
    found = connector.options("update_deal", "stage_id", {"pipeline_id": SEEDED_PIPELINE}, auth, search="contact")
    assert [c["text"] for c in found["result"]] == ["To Contact", "In Contact"]


def test_pipeline_and_stage_dropdowns_page_past_100(run):
    for n in range(102):
        new_pipeline(run, title=f"Bulk pipeline {n:03d}")
    first = run("list_deal_pipelines_ddl")
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = run("list_deal_pipelines_ddl", {"offset": 100})
    assert len(rest["result"]) == 3 and rest["next_offset"] is None
    assert len({c["value"] for c in first["result"] + rest["result"]}) == 103
    stages = run("list_deal_stages_ddl")  # 103 pipelines x 3 stages
    assert len(stages["result"]) == 100 and stages["next_offset"] == 100
    seen = [c["value"] for c in stages["result"]]
    offset = stages["next_offset"]
    while offset is not None:
        page = run("list_deal_stages_ddl", {"offset": offset})
        seen += [c["value"] for c in page["result"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == 309


# -- who may manage a pipeline ---------------------------------------------------------------------
def test_a_pipeline_restricted_to_user_groups_and_opened_again(run, connector, auth, sandbox):
    groups = connector.options("create_deal_pipeline", "/user_group_ids/-", {}, auth, search="sales")["result"]
    assert groups == [{"text": "Sales", "value": "2"}]
    out = new_pipeline(run, title="Sales only", user_group_ids=["2"])
    sent = last(sandbox, "POST").body["dealGroup"]
    assert (sent["allgroups"], sent["groups"]) == (0, ["2"])
    assert str(out["dealGroup"]["allgroups"]) == "0" and [g["group"] for g in out["dealGroupGroups"]] == ["2"]
    pipeline = out["dealGroup"]["id"]
    # An unticked "every group" box changes nothing; ticking it opens the pipeline again.
    run("update_deal_pipeline", {"pipeline_id": pipeline, "title": "Still sales only", "all_user_groups": False})
    assert last(sandbox, "PUT").body == {"dealGroup": {"title": "Still sales only"}}
    opened = run("update_deal_pipeline", {"pipeline_id": pipeline, "all_user_groups": True})
    assert last(sandbox, "PUT").body == {"dealGroup": {"allgroups": 1}}
    assert str(opened["dealGroup"]["allgroups"]) == "1"
    run("update_deal_pipeline", {"pipeline_id": pipeline, "user_group_ids": ["1", "2"]})
    assert last(sandbox, "PUT").body == {"dealGroup": {"allgroups": 0, "groups": ["1", "2"]}}


def test_pipeline_groups_errors(run, connector, auth, sandbox):
    with pytest.raises(errors.UpstreamValidation) as info:
        new_pipeline(run, user_group_ids=["4242"])
    assert "No group with id 4242 exists" in info.value.message
    sandbox.log.clear()
    with pytest.raises(errors.ValidationError) as bad:
        connector.run("update_deal_pipeline", {"pipeline_id": "1", "user_group_ids": ["2"], "all_user_groups": True}, auth)
    assert bad.value.errors[0]["pointer"] == "/all_user_groups"
    with pytest.raises(errors.ValidationError) as empty:
        connector.run("create_deal_pipeline", {"title": "X", "currency": "usd", "user_group_ids": []}, auth)
    assert empty.value.errors[0]["pointer"] == "/user_group_ids"
    assert api_requests(sandbox) == []


def test_moving_the_deals_into_the_stage_being_deleted_is_refused_before_anything_is_sent(run, sandbox):
    with pytest.raises(errors.PreconditionFailed) as info:
        run("delete_deal_stage", {"stage_id": "1", "move_deals_to_stage": "1"})
    assert info.value.to_dict()["pointer"] == "/move_deals_to_stage"
    assert api_requests(sandbox) == [] and run("get_deal", {"deal_id": "1"})["deal"]["stage"] == "1"
