"""Deals through the engine against the sandbox: create, get, update, delete, list (filters, orders,
paging) and the deals dropdown."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, last

from engine import errors

SEEDED_DEAL = "1"  # "Example Widget renewal", 1,200.00 usd, contact 1, pipeline 1, stage 1 (sandbox/seed.py)


def new_pipeline(run, title: str = "Deals test pipeline", **extra) -> tuple[str, list[str]]:
    out = run("create_deal_pipeline", {"title": title, "currency": "usd", "auto_assign": 1, **extra})
    return out["dealGroup"]["id"], [s["id"] for s in out["dealStages"]]


def new_deal(run, **fields) -> dict:
    data = {"title": "Widget order", "value": 100, "currency": "usd", "contact_id": "1", "pipeline_id": "1"}
    data.update(fields)
    return run("create_deal", data)["deal"]


# -- create ------------------------------------------------------------------------------------
def test_create_deal_sends_the_value_in_cents_and_returns_the_sideloads(run, sandbox):
    pipeline, stages = new_pipeline(run)
    out = run(
        "create_deal",
        {
            "title": "Example Widget",
            "value": 1250.5,
            "currency": "usd",
            "contact_id": "1",
            "pipeline_id": pipeline,
            "description": "Twenty seats",
            "percent": 40,
        },
    )
    sent = last(sandbox, "POST").body
    assert sent == {
        "deal": {
            "title": "Example Widget",
            "value": 125050,
            "currency": "usd",
            "contact": "1",
            "group": pipeline,
            "description": "Twenty seats",
            "percent": 40,
        }
    }
    deal = out["deal"]
    assert int(deal["value"]) == 125050 and deal["currency"] == "usd"
    # Without a stage the deal starts in the pipeline's first stage.
    assert str(deal["stage"]) == stages[0] and str(deal["group"]) == pipeline
    assert [c["id"] for c in out["contacts"]] == ["1"]
    assert [s["id"] for s in out["dealStages"]] == [stages[0]]
    assert [g["id"] for g in out["dealGroups"]] == [pipeline]
    read = run("get_deal", {"deal_id": deal["id"]})["deal"]
    assert read["value"] == "125050" and read["title"] == "Example Widget" and read["status"] == "0"


@pytest.mark.parametrize(("amount", "cents"), [(19.99, 1999), (0.1, 10), (0, 0), (1000000, 100000000), (12.345, 1234)])
def test_decimal_amounts_become_whole_cents(run, sandbox, amount, cents):
    deal = new_deal(run, value=amount)
    assert last(sandbox, "POST").body["deal"]["value"] == cents
    assert run("get_deal", {"deal_id": deal["id"]})["deal"]["value"] == str(cents)


def test_create_deal_in_a_chosen_stage_with_owner_status_and_custom_fields(run, sandbox):
    pipeline, stages = new_pipeline(run)
    deal = new_deal(
        run,
        pipeline_id=pipeline,
        stage_id=stages[2],
        owner_id="2",
        status=2,
        custom_fields=[{"field_id": "1", "value": "Price"}],
    )
    sent = last(sandbox, "POST").body["deal"]
    assert sent["stage"] == stages[2] and sent["owner"] == "2" and sent["status"] == 2
    assert sent["fields"] == [{"customFieldId": 1, "fieldValue": "Price"}]
    read = run("get_deal", {"deal_id": deal["id"]})["deal"]
    assert (read["stage"], read["owner"], read["status"]) == (stages[2], "2", "2")


def test_a_stage_of_another_pipeline_is_refused_by_activecampaign(run):
    pipeline, _ = new_pipeline(run)
    with pytest.raises(errors.UpstreamValidation) as info:
        new_deal(run, pipeline_id=pipeline, stage_id="1")  # stage 1 is in the seeded pipeline 1
    assert info.value.status == 422 and "does not belong to the given pipeline" in info.value.message


def test_an_unknown_contact_is_activecampaigns_422_with_its_message(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        new_deal(run, contact_id="424242")
    assert info.value.status == 422 and "No contact with id 424242 exists" in info.value.message


def test_a_pipeline_without_auto_assign_needs_an_owner(run):
    pipeline, _ = new_pipeline(run, title="Manual pipeline")
    run("update_deal_pipeline", {"pipeline_id": pipeline, "auto_assign": 0})
    with pytest.raises(errors.UpstreamValidation) as info:
        new_deal(run, pipeline_id=pipeline)
    assert "owner is required" in info.value.message
    assert new_deal(run, pipeline_id=pipeline, owner_id="2")["owner"] == "2"


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"currency": "USD"}, "/currency", "pattern"),
        ({"currency": "dollars"}, "/currency", "pattern"),
        ({"value": -1}, "/value", "minimum"),
        ({"value": "1250.50"}, "/value", "type"),
        ({"value": 30000000}, "/value", "maximum"),
        ({"status": 3}, "/status", "oneOf"),
        ({"percent": 101}, "/percent", "maximum"),
        ({"contact_id": "jane"}, "/contact_id", "pattern"),
        ({"pipeline_id": None}, "/pipeline_id", "type"),
        ({"stage": "1"}, "/stage", "additionalProperties"),
        ({"custom_fields": [{"field_id": "1"}]}, "/custom_fields/0/value", "required"),
    ],
)
def test_invalid_deal_input_is_refused_before_sending(connector, auth, sandbox, data, pointer, keyword):
    base = {"title": "Bad", "value": 1, "currency": "usd", "contact_id": "1", "pipeline_id": "1"}
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal", {**base, **data}, auth)
    assert (pointer, keyword) in [(e["pointer"], e["keyword"]) for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_missing_required_deal_fields_are_each_named(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal", {"title": "No money"}, auth)
    assert {"/value", "/currency", "/contact_id", "/pipeline_id"} <= {e["pointer"] for e in info.value.errors}
    assert api_requests(sandbox) == []


# -- get ---------------------------------------------------------------------------------------
def test_get_deal_reads_the_seeded_deal(run):
    deal = run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]
    assert deal["title"] == "Example Widget renewal" and deal["value"] == "120000"
    assert (deal["contact"], deal["group"], deal["stage"], deal["isDisabled"]) == ("1", "1", "1", False)


def test_get_missing_deal_is_not_found(run):
    with pytest.raises(errors.NotFound) as info:
        run("get_deal", {"deal_id": "999999"})
    assert info.value.status == 404 and "No Result found for Deal with id 999999" in info.value.message


def test_the_reduced_deal_shape_without_pipeline_permission_is_accepted(run, sandbox):
    # ActiveCampaign's documented answer when the API user may not see the deal's pipeline
    # (api-map §5.2); the connector runs with strict output checks, so a schema that required
    # more than the id would fail here.
    reduced = {"deal": {"id": "2", "isDisabled": True, "title": "Demo Requested"}}
    sandbox.faults.add("GET /api/3/deals/2", statuses=[200], body=reduced, times=1)
    assert run("get_deal", {"deal_id": "2"}) == reduced


# -- update ------------------------------------------------------------------------------------
def test_update_sends_only_the_fields_given(run, sandbox):
    out = run("update_deal", {"deal_id": SEEDED_DEAL, "status": 1})
    assert last(sandbox, "PUT").body == {"deal": {"status": 1}}
    assert str(out["deal"]["status"]) == "1"
    read = run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]
    assert read["status"] == "1" and read["value"] == "120000" and read["title"] == "Example Widget renewal"


def test_update_value_converts_to_cents_and_moves_the_stage(run, sandbox):
    out = run("update_deal", {"deal_id": SEEDED_DEAL, "value": 99.95, "stage_id": "2", "title": "Renewal"})
    assert last(sandbox, "PUT").body == {"deal": {"title": "Renewal", "value": 9995, "stage": "2"}}
    assert [s["id"] for s in out["dealStages"]] == ["2"]
    read = run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]
    assert (read["value"], read["stage"], read["title"]) == ("9995", "2", "Renewal")


def test_update_can_move_a_deal_to_another_pipeline_with_one_of_its_stages(run, sandbox):
    pipeline, stages = new_pipeline(run)
    run("update_deal", {"deal_id": SEEDED_DEAL, "pipeline_id": pipeline, "stage_id": stages[1]})
    assert last(sandbox, "PUT").body == {"deal": {"group": pipeline, "stage": stages[1]}}
    read = run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]
    assert (read["group"], read["stage"]) == (pipeline, stages[1])


def test_update_with_a_pipeline_and_no_stage_is_refused_before_sending(run, connector, auth, sandbox):
    # "Deal's stage or deal.stage should belong to deal.group" (update-a-deal-new): ActiveCampaign picks no
    # stage, so the input needs one.
    pipeline, _ = new_pipeline(run)
    sandbox.log.clear()
    with pytest.raises(errors.ValidationError) as info:
        connector.run("update_deal", {"deal_id": SEEDED_DEAL, "pipeline_id": pipeline}, auth)
    assert [(e["pointer"], e["keyword"]) for e in info.value.errors] == [("/stage_id", "required")]
    assert api_requests(sandbox) == []


def test_the_sandbox_refuses_a_pipeline_without_a_stage_of_it_as_activecampaign_does(run):
    pipeline, stages = new_pipeline(run)
    for body in ({"group": pipeline}, {"stage": stages[0]}):  # a pipeline alone; a stage of another pipeline
        with pytest.raises(errors.UpstreamValidation) as info:
            run("raw_http_request", {"method": "PUT", "path": f"/deals/{SEEDED_DEAL}", "body": {"deal": body}})
        assert info.value.status == 422 and info.value.to_dict()["upstream"][0]["pointer"] == "/data/attributes/stage"
    assert run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]["group"] == "1"


def test_a_deal_for_an_account_in_a_stage_alone(run, sandbox):
    # create-a-deal-new: contact "Required if deal.account is not provided"; group "Required if deal.stage is
    # not provided. If deal.group is not provided, the stage's pipeline will be assigned".
    account = run("create_account", {"name": "Acme Ltd"})["account"]["id"]
    pipeline, stages = new_pipeline(run)
    out = run(
        "create_deal",
        {"title": "Support", "value": 5000, "currency": "usd", "account_id": account, "stage_id": stages[1], "owner_id": "1"},
    )
    assert last(sandbox, "POST").body == {
        "deal": {"title": "Support", "value": 500000, "currency": "usd", "account": account, "stage": stages[1], "owner": "1"}
    }
    deal = run("get_deal", {"deal_id": out["deal"]["id"]})["deal"]
    assert (deal["account"], deal["contact"], deal["group"], deal["stage"]) == (account, None, pipeline, stages[1])


def test_a_deal_needs_a_contact_or_an_account_and_a_pipeline_or_a_stage(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal", {"title": "Orphan", "value": 1, "currency": "usd"}, auth)
    assert {("/contact_id", "required"), ("/pipeline_id", "required")} <= {
        (e["pointer"], e["keyword"]) for e in info.value.errors
    }
    assert api_requests(sandbox) == []


def test_the_value_says_currency_units_not_cents(connector):
    for name in ("create_deal", "update_deal"):
        value = connector.describe(name)["input"]["properties"]["value"]
        assert "in currency units, e.g. 1250.50" in value["title"]
        assert "In currency units, e.g. 1250.50 (sent to ActiveCampaign as cents)" in " ".join(value["description"].split())


def test_update_missing_deal_is_not_found(run):
    with pytest.raises(errors.NotFound):
        run("update_deal", {"deal_id": "999999", "title": "Ghost"})


def test_update_with_a_stage_outside_the_given_pipeline_is_refused(run):
    pipeline, _ = new_pipeline(run)
    with pytest.raises(errors.UpstreamValidation) as info:
        run("update_deal", {"deal_id": SEEDED_DEAL, "pipeline_id": pipeline, "stage_id": "2"})
    assert "does not belong" in info.value.message
    assert run("get_deal", {"deal_id": SEEDED_DEAL})["deal"]["group"] == "1"


def test_invalid_update_is_refused_before_sending(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("update_deal", {"deal_id": SEEDED_DEAL, "status": "won", "currency": "EUR"}, auth)
    assert {"/status", "/currency"} <= {e["pointer"] for e in info.value.errors}
    assert api_requests(sandbox) == []


# -- delete ------------------------------------------------------------------------------------
def test_delete_deal_answers_what_was_deleted(run):
    deal = new_deal(run)
    assert run("delete_deal", {"deal_id": deal["id"]}) == {"deleted": True, "id": deal["id"]}
    with pytest.raises(errors.NotFound):
        run("get_deal", {"deal_id": deal["id"]})
    with pytest.raises(errors.NotFound):
        run("delete_deal", {"deal_id": deal["id"]})


def test_delete_refuses_a_path_like_id_before_sending(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("delete_deal", {"deal_id": "1/../../users/1"}, auth)
    assert info.value.errors[0]["pointer"] == "/deal_id"
    assert api_requests(sandbox) == []


# -- list --------------------------------------------------------------------------------------
def test_list_deals_sends_each_filter_as_activecampaign_names_it(run, sandbox):
    run(
        "list_deals",
        {
            "pipeline_id": "1",
            "stage_id": "1",
            "owner_id": "1",
            "status": 0,
            "search": "widget",
            "search_field": "title",
            "title": "Widget",
            "created_after": "2020-01-01",
            "created_before": "2100-01-01",
            "updated_after": "2020-01-01",
            "updated_before": "2100-01-01",
            "minimum_value": 10,
            "maximum_value": 5000,
            "order_by": "value",
            "order": "DESC",
            "limit": 5,
            "offset": 0,
        },
    )
    query = {k: v[0] for k, v in last(sandbox, "GET").query.items()}
    assert query == {
        "filters[group]": "1",
        "filters[stage]": "1",
        "filters[owner]": "1",
        "filters[status]": "0",
        "filters[search]": "widget",
        "filters[search_field]": "title",
        "filters[title]": "Widget",
        "filters[created_after]": "2020-01-01",
        "filters[created_before]": "2100-01-01",
        "filters[updated_after]": "2020-01-01",
        "filters[updated_before]": "2100-01-01",
        "filters[minimum_value]": "10",
        "filters[maximum_value]": "5000",
        "orders[value]": "DESC",
        "limit": "5",
        "offset": "0",
    }


def test_list_deals_without_filters_sends_none(run, sandbox):
    out = run("list_deals")
    assert {k for k in last(sandbox, "GET").query} == {"limit", "offset"}
    assert [d["id"] for d in out["deals"]] == [SEEDED_DEAL] and out["total"] == 1 and out["has_more"] is False


def test_list_deals_filters_by_pipeline_stage_status_and_owner(run):
    pipeline, stages = new_pipeline(run)
    a = new_deal(run, title="Alpha", pipeline_id=pipeline, stage_id=stages[0], owner_id="2")
    b = new_deal(run, title="Beta", pipeline_id=pipeline, stage_id=stages[1], owner_id="1", status=1)
    ids = lambda data: sorted(d["id"] for d in run("list_deals", data)["deals"])  # noqa: E731
    assert ids({"pipeline_id": pipeline}) == sorted([a["id"], b["id"]])
    assert ids({"stage_id": stages[1]}) == [b["id"]]
    assert ids({"pipeline_id": pipeline, "status": 1}) == [b["id"]]
    assert ids({"owner_id": "2"}) == [a["id"]]
    assert ids({"pipeline_id": pipeline, "status": 2}) == []


def test_list_deals_search_value_range_and_dates(run):
    cheap = new_deal(run, title="Cheap gadget", value=10)
    dear = new_deal(run, title="Dear gadget", value=9000.5)
    ids = lambda data: sorted(d["id"] for d in run("list_deals", data)["deals"])  # noqa: E731
    assert ids({"search": "gadget", "search_field": "title"}) == sorted([cheap["id"], dear["id"]])
    assert ids({"search": "dear"}) == [dear["id"]]
    # The value filters take whole units of the currency; values are stored in cents.
    assert ids({"search": "gadget", "minimum_value": 100}) == [dear["id"]]
    assert ids({"search": "gadget", "maximum_value": 100}) == [cheap["id"]]
    # The seeded deal was created in 2024; these two were created now.
    assert SEEDED_DEAL not in ids({"created_after": "2025-01-01"})
    assert ids({"created_before": "2025-01-01"}) == [SEEDED_DEAL]


def test_list_deals_orders(run):
    for title, value in (("Banana", 30), ("Apple", 20), ("Cherry", 10)):
        new_deal(run, title=title, value=value)
    by = lambda data: [d["title"] for d in run("list_deals", {"search": "a", **data})["deals"]]  # noqa: E731
    titles = by({"order_by": "title"})
    assert titles == sorted(titles, key=str.lower)
    assert by({"order_by": "title", "order": "DESC"}) == titles[::-1]
    values = [int(d["value"]) for d in run("list_deals", {"order_by": "value", "order": "DESC"})["deals"]]
    assert values == sorted(values, reverse=True)


def test_list_deals_pages_and_caps_return_all(run, sandbox):
    sandbox.load_fixture(deals=45)
    page = run("list_deals", {"limit": 20, "offset": 20})
    assert len(page["deals"]) == 20 and page["total"] == 46 and page["has_more"] is True
    assert page["next_offset"] == 40
    tail = run("list_deals", {"limit": 20, "offset": 40})
    assert len(tail["deals"]) == 6 and tail["has_more"] is False and tail["next_offset"] is None
    everything = run("list_deals", {"return_all": True})
    assert len({d["id"] for d in everything["deals"]}) == 46 and everything["has_more"] is False
    capped = run("list_deals", {"return_all": True, "max_items": 30})
    assert len(capped["deals"]) == 30 and capped["has_more"] is True


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"status": 5}, "/status"),
        ({"search_field": "email"}, "/search_field"),
        ({"order_by": "owner"}, "/order_by"),
        ({"created_after": "yesterday"}, "/created_after"),
        ({"minimum_value": 10.5}, "/minimum_value"),
        ({"limit": 500}, "/limit"),
        ({"order": "up"}, "/order"),
    ],
)
def test_invalid_list_input_is_refused_before_sending(connector, auth, sandbox, data, pointer):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("list_deals", data, auth)
    assert pointer in [e["pointer"] for e in info.value.errors]
    assert api_requests(sandbox) == []


# -- dropdown ----------------------------------------------------------------------------------
def test_deals_ddl_shows_title_value_and_currency(run):
    new_deal(run, title="Gadget", value=1234.5, currency="eur")
    choices = run("list_deals_ddl")["result"]
    assert {"text": "Example Widget renewal (1,200.00 USD)", "value": SEEDED_DEAL} in choices
    assert any(c["text"] == "Gadget (1,234.50 EUR)" for c in choices)


def test_deals_ddl_searches_titles(run, sandbox):
    gadget = new_deal(run, title="Blue gadget")
    out = run("list_deals_ddl", {"search": "gadget"})
    assert [c["value"] for c in out["result"]] == [gadget["id"]]
    query = {k: v[0] for k, v in last(sandbox, "GET").query.items()}
    assert query["filters[search]"] == "gadget" and query["filters[search_field]"] == "title"


def test_deals_ddl_pages_past_100(run, sandbox):
    sandbox.load_fixture(deals=150)
    first = run("list_deals_ddl")
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    second = run("list_deals_ddl", {"offset": first["next_offset"]})
    assert len(second["result"]) == 51 and second["next_offset"] is None
    values = [c["value"] for c in first["result"] + second["result"]]
    assert len(set(values)) == 151


def test_deal_fields_name_their_dropdowns(connector, auth):
    lookups = {(lk["field"], lk["operation"]) for lk in connector.describe("create_deal")["lookups"]}
    assert lookups == {
        ("/contact_id", "list_contacts_ddl"),
        ("/account_id", "list_accounts_ddl"),
        ("/pipeline_id", "list_deal_pipelines_ddl"),
        ("/stage_id", "list_deal_stages_ddl"),
        ("/owner_id", "list_users_ddl"),
        ("/custom_fields/-/field_id", "list_deal_custom_fields_ddl"),
    }
    choices = connector.options("update_deal", "deal_id", {}, auth, search="renewal")
    assert choices["result"] == [{"text": "Example Widget renewal (1,200.00 USD)", "value": SEEDED_DEAL}]


def test_list_deals_searches_contact_names_and_organisations(run):
    # The seeded deal's contact is Jane Doe; give John Smith an organisation and a deal.
    account = run(
        "raw_http_request", {"method": "POST", "path": "/accounts", "body": {"account": {"name": "Smith Widgets Ltd"}}}
    )["body"]["account"]
    run(
        "raw_http_request",
        {"method": "POST", "path": "/accountContacts", "body": {"accountContact": {"account": account["id"], "contact": "2"}}},
    )
    johns = new_deal(run, title="Gear order", contact_id="2")
    ids = lambda data: sorted(d["id"] for d in run("list_deals", data)["deals"])  # noqa: E731
    assert ids({"search": "jane doe", "search_field": "contact"}) == [SEEDED_DEAL]
    assert ids({"search": "jane", "search_field": "title"}) == []
    assert ids({"search": "widgets", "search_field": "org"}) == [johns["id"]]
    assert ids({"search": "widget"}) == sorted([SEEDED_DEAL, johns["id"]])  # all: title, contact and org


def test_deal_custom_field_dropdown(connector, auth, run, sandbox):
    choices = connector.options("create_deal", "/custom_fields/-/field_id", {}, auth)["result"]
    assert choices == [{"text": "Close reason (text)", "value": "1"}, {"text": "Expected close date (date)", "value": "2"}]
    assert connector.options("update_deal", "/custom_fields/-/field_id", {}, auth, search="DATE")["result"] == [
        {"text": "Expected close date (date)", "value": "2"}
    ]
    # A date field refuses a value that is not a date, with ActiveCampaign's words.
    with pytest.raises(errors.UpstreamValidation) as info:
        run("update_deal", {"deal_id": SEEDED_DEAL, "custom_fields": [{"field_id": "2", "value": "soon"}]})
    assert "could not be saved to the custom field of type `date`" in info.value.message
    out = run("update_deal", {"deal_id": SEEDED_DEAL, "custom_fields": [{"field_id": "2", "value": "2025-06-30"}]})
    assert out["deal"]["fields"][0]["fieldValue"] == "2025-06-30"
