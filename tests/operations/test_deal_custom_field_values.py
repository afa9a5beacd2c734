"""Deal custom fields and their values, through the engine against the sandbox. Seeded: fields 1 "Close
reason" (text) and 2 "Expected close date" (date); deal 1 has "Renewal" as its close reason."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, new_deal

from engine.errors import NotFound, UpstreamValidation


def test_list_deal_custom_fields_with_types_and_options(run, sandbox):
    sandbox.store["dealCustomFieldMeta"].insert(
        {"fieldLabel": "Segment", "fieldType": "multiselect", "fieldOptions": ["SMB", "Enterprise"]}
    )
    fields = run("list_deal_custom_fields", {"return_all": True})["fields"]
    assert [(f["fieldLabel"], f["fieldType"]) for f in fields] == [
        ("Close reason", "text"),
        ("Expected close date", "date"),
        ("Segment", "multiselect"),
    ]
    assert fields[2]["fieldOptions"] == ["SMB", "Enterprise"]


def test_set_by_field_creates_then_updates(run, sandbox):
    deal = new_deal(run)
    first = run("set_deal_custom_field_value", {"deal_id": deal, "field_id": "2", "value": "2025-06-30"})
    assert first["created"] is True and first["dealCustomFieldDatum"]["fieldValue"] == "2025-06-30"
    assert api_requests(sandbox, "POST", "/api/3/dealCustomFieldData")[-1].body == {
        "dealCustomFieldDatum": {"dealId": int(deal), "customFieldId": 2, "fieldValue": "2025-06-30"}
    }
    second = run("set_deal_custom_field_value", {"deal_id": deal, "field_id": "2", "value": "2025-07-31"})
    assert second["created"] is False
    assert second["dealCustomFieldDatum"]["id"] == first["dealCustomFieldDatum"]["id"]
    values = run("list_deal_custom_field_values", {"deal_id": deal})["values"]
    assert [(v["customFieldId"], v["fieldValue"]) for v in values] == [(2, "2025-07-31")]


def test_values_set_with_the_deal_and_by_value_are_one_set(run):
    deal = run(
        "create_deal",
        {
            "title": "Typed",
            "value": 5,
            "currency": "usd",
            "contact_id": "1",
            "pipeline_id": "1",
            "custom_fields": [{"field_id": "1", "value": "Price"}],
        },
    )["deal"]
    values = run("list_deal_custom_field_values", {"deal_id": deal["id"]})["values"]
    assert [(v["customFieldId"], v["fieldValue"]) for v in values] == [(1, "Price")]
    updated = run("update_deal_custom_field_value", {"value_id": values[0]["id"], "value": "Timing"})
    assert updated["dealCustomFieldDatum"]["fieldValue"] == "Timing"
    again = run("update_deal", {"deal_id": deal["id"], "title": "Typed again"})
    assert again["deal"]["fields"] == [{"customFieldId": 1, "fieldValue": "Timing", "dealId": deal["id"]}]


def test_a_value_of_the_wrong_type_is_refused_upstream(run):
    with pytest.raises(UpstreamValidation) as info:
        run("set_deal_custom_field_value", {"deal_id": "1", "field_id": "2", "value": "soon"})
    assert "could not be saved to the custom field of type `date`" in info.value.message


def test_create_for_a_missing_deal_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_deal_custom_field_value", {"deal_id": "999", "field_id": "1", "value": "x"})
    assert "A related deal was not found." in info.value.message


def test_set_for_a_missing_deal_is_not_found(run, sandbox):
    with pytest.raises(NotFound):
        run("set_deal_custom_field_value", {"deal_id": "999", "field_id": "1", "value": "x"})
    assert api_requests(sandbox, "POST") == []


def test_a_list_of_options_goes_as_a_list(run, sandbox):
    field = sandbox.store["dealCustomFieldMeta"].insert(
        {"fieldLabel": "Segment", "fieldType": "multiselect", "fieldOptions": ["SMB", "Enterprise"]}
    )
    out = run("set_deal_custom_field_value", {"deal_id": "1", "field_id": field["id"], "value": ["SMB", "Enterprise"]})
    assert out["dealCustomFieldDatum"]["fieldValue"] == ["SMB", "Enterprise"]


def test_a_number_goes_as_text_as_the_description_types_it(run, sandbox):
    """fieldValue is a string in the description ("100.99" for a number field; cents for currency)."""
    number = sandbox.store["dealCustomFieldMeta"].insert({"fieldLabel": "Seats", "fieldType": "number"})
    money = sandbox.store["dealCustomFieldMeta"].insert({"fieldLabel": "Budget", "fieldType": "currency"})
    out = run("create_deal_custom_field_value", {"deal_id": "1", "field_id": number["id"], "value": 100.99})
    assert out["dealCustomFieldDatum"]["fieldValue"] == "100.99"
    run("update_deal_custom_field_value", {"value_id": out["dealCustomFieldDatum"]["id"], "value": 12.0})
    run(
        "create_deal",
        {
            "title": "Cents",
            "value": 5,
            "currency": "usd",
            "contact_id": "1",
            "pipeline_id": "1",
            "custom_fields": [{"field_id": money["id"], "value": 9999, "currency": "cad"}],
        },
    )
    sent = [r.body for r in api_requests(sandbox) if r.method in ("POST", "PUT")]
    assert sent[0]["dealCustomFieldDatum"]["fieldValue"] == "100.99"
    assert sent[1] == {"dealCustomFieldDatum": {"fieldValue": "12"}}  # a whole number without ".0"
    assert sent[2]["deal"]["fields"] == [{"customFieldId": int(money["id"]), "fieldValue": "9999", "fieldCurrency": "cad"}]


def test_value_dropdown_follows_the_deal(connector, auth, run):
    out = connector.options("update_deal_custom_field_value", "value_id", {"deal_id": "1"}, auth)
    assert out["result"] == [{"text": "Renewal (field 1, deal 1)", "value": "1"}]
    assert connector.options("update_deal_custom_field_value", "value_id", {"deal_id": new_deal(run)}, auth)["result"] == []
