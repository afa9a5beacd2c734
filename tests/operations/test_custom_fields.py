"""Custom fields, their options and contacts' values, through the engine against the sandbox."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import AlreadyExists, NotFound, UpstreamValidation

TYPES = ["text", "textarea", "date", "datetime", "dropdown", "listbox", "radio", "checkbox", "hidden", "number"]


def last_body(sandbox, method: str):
    return api_requests(sandbox, method)[-1].body


def new_field(run, title: str, type_: str, options: list[str] | None = None) -> str:
    field_id = run("create_custom_field", {"title": title, "field_type": type_})["field"]["id"]
    if options:
        run("create_custom_field_option", {"field_id": field_id, "options": [{"value": o} for o in options]})
    return field_id


# -- create_custom_field -------------------------------------------------------------------
@pytest.mark.parametrize("type_", TYPES)
def test_create_custom_field_of_every_type(run, sandbox, type_):
    out = run("create_custom_field", {"title": f"My {type_} field", "field_type": type_})
    assert out["field"]["type"] == type_ and out["field"]["title"] == f"My {type_} field"
    assert last_body(sandbox, "POST") == {"field": {"title": f"My {type_} field", "type": type_}}
    listed = run("list_custom_fields", {"return_all": True})["fields"]
    assert {(f["id"], f["type"]) for f in listed} >= {(out["field"]["id"], type_)}


def test_create_custom_field_sends_every_given_setting(run, sandbox):
    out = run(
        "create_custom_field",
        {
            "title": "Renewal date",
            "field_type": "date",
            "description": "When it renews",
            "default_value": "2025-01-01",
            "personalization_tag": "RENEWAL",
            "visible": False,
            "order": 7,
        },
    )
    assert last_body(sandbox, "POST") == {
        "field": {
            "title": "Renewal date",
            "type": "date",
            "descript": "When it renews",
            "defval": "2025-01-01",
            "perstag": "RENEWAL",
            "visible": 0,
            "ordernum": 7,
        }
    }
    field = out["field"]
    assert field["perstag"] == "RENEWAL" and field["descript"] == "When it renews"
    assert str(field["visible"]) == "0" and str(field["ordernum"]) == "7"


def test_duplicate_field_title_is_already_exists_with_activecampaigns_words(run):
    run("create_custom_field", {"title": "Shoe size", "field_type": "number"})
    with pytest.raises(AlreadyExists) as info:
        run("create_custom_field", {"title": "Shoe size", "field_type": "text"})
    assert "There is already a field with this title" in info.value.message
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"title": "X"}, "/field_type", "required"),
        ({"title": "X", "field_type": "multiselect"}, "/field_type", "oneOf"),
        ({"title": "X", "type": "text"}, "/type", "additionalProperties"),
        ({"title": "", "field_type": "text"}, "/title", "minLength"),
        ({"title": "X", "field_type": "text", "personalization_tag": "has space"}, "/personalization_tag", "pattern"),
        ({"title": "X", "field_type": "text", "order": 0}, "/order", "minimum"),
        ({"title": "X", "field_type": "text", "colour": "red"}, "/colour", "additionalProperties"),
    ],
)
def test_create_custom_field_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_custom_field", data)


# -- create_custom_field_option ------------------------------------------------------------
def test_create_several_options_in_one_bulk_request(run, sandbox):
    field_id = new_field(run, "Plan", "dropdown")
    out = run(
        "create_custom_field_option",
        {
            "field_id": field_id,
            "options": [{"value": "basic"}, {"value": "pro", "label": "Professional", "is_default": True, "order": 5}],
        },
    )
    assert last_body(sandbox, "POST") == {
        "fieldOptions": [
            {"field": field_id, "value": "basic", "label": "basic", "isdefault": False},
            {"field": field_id, "value": "pro", "label": "Professional", "isdefault": True, "orderid": 5},
        ]
    }
    assert api_requests(sandbox, "POST", "/api/3/fieldOption/bulk")
    created = out["fieldOptions"]
    assert [(o["value"], o["label"], str(o["isdefault"])) for o in created] == [
        ("basic", "basic", "0"),
        ("pro", "Professional", "1"),
    ]
    assert all(str(o["field"]) == field_id for o in created)
    listed = run("list_custom_fields", {"return_all": True})
    mine = [o for o in listed["fieldOptions"] if str(o["field"]) == field_id]
    assert sorted(o["value"] for o in mine) == ["basic", "pro"]
    field = next(f for f in listed["fields"] if f["id"] == field_id)
    assert sorted(field["options"]) == sorted(o["id"] for o in created)


def test_create_a_single_option(run, sandbox):
    field_id = new_field(run, "Colour", "radio")
    out = run("create_custom_field_option", {"field_id": field_id, "options": [{"value": "Blue"}]})
    assert [o["value"] for o in out["fieldOptions"]] == ["Blue"]
    assert isinstance(last_body(sandbox, "POST")["fieldOptions"], list)


def test_option_for_a_field_that_does_not_exist_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_custom_field_option", {"field_id": "999", "options": [{"value": "A"}]})
    assert info.value.status == 422 and "Bulk operation failed" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"field_id": "1", "options": []}, "/options", "minItems"),
        ({"field_id": "1", "options": [{"label": "no value"}]}, "/options/0/value", "required"),
        ({"field_id": "1", "options": [{"value": ""}]}, "/options/0/value", "minLength"),
        ({"field_id": "one", "options": [{"value": "A"}]}, "/field_id", "pattern"),
        ({"options": [{"value": "A"}]}, "/field_id", "required"),
    ],
)
def test_create_option_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_custom_field_option", data)


def test_option_field_dropdown_offers_only_fields_that_take_options(run, connector, auth):
    new_field(run, "Notes", "textarea")
    choice_field = new_field(run, "Interests", "checkbox")
    choices = connector.options("create_custom_field_option", "field_id", {}, auth)["result"]
    values = [c["value"] for c in choices]
    assert choice_field in values and "1" in values  # the seeded dropdown
    types = {f["id"]: f["type"] for f in run("list_custom_fields", {"return_all": True})["fields"]}
    assert {types[v] for v in values} <= {"dropdown", "radio", "checkbox", "listbox"}


# -- values of every type ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("type_", "options", "value", "sent"),
    [
        ("text", None, "Blue", "Blue"),
        ("textarea", None, "line one\nline two", "line one\nline two"),
        ("hidden", None, "internal-7", "internal-7"),
        ("date", None, "2024-12-31", "2024-12-31"),
        ("number", None, 42, "42"),
        ("dropdown", ["S", "M", "L"], "M", "M"),
        ("radio", ["Yes", "No"], "No", "No"),
        ("checkbox", ["Email", "Phone", "Post"], ["Email", "Post"], "||Email||Post||"),
        ("listbox", ["Red", "Green"], ["Green"], "||Green||"),
    ],
)
def test_create_and_read_a_value_of_every_field_type(run, sandbox, type_, options, value, sent):
    field_id = new_field(run, f"Field {type_}", type_, options)
    out = run("create_custom_field_value", {"contact_id": "2", "field_id": field_id, "value": value})
    assert last_body(sandbox, "POST") == {
        "fieldValue": {"contact": "2", "field": field_id, "value": sent},
        "useDefaults": False,
    }
    created = out["fieldValue"]
    assert str(created["contact"]) == "2" and str(created["field"]) == field_id and created["value"] == sent
    assert [c["id"] for c in out["contacts"]] == ["2"]
    read = run("get_custom_field_value", {"field_value_id": created["id"]})["fieldValue"]
    assert read["value"] == sent and read["id"] == created["id"]


def test_datetime_value_keeps_its_instant_in_the_account_zone(run):
    field_id = new_field(run, "Last call", "datetime")
    given = "2024-11-01T13:05:00-06:00"
    created = run("create_custom_field_value", {"contact_id": "1", "field_id": field_id, "value": given})
    stored = run("get_custom_field_value", {"field_value_id": created["fieldValue"]["id"]})["fieldValue"]["value"]
    assert datetime.fromisoformat(stored) == datetime.fromisoformat(given)


def test_use_defaults_is_sent_at_the_top_level(run, sandbox):
    run("create_custom_field_value", {"contact_id": "2", "field_id": "2", "value": "1990-04-01", "use_defaults": True})
    body = last_body(sandbox, "POST")
    assert body["useDefaults"] is True and "useDefaults" not in body["fieldValue"]


def test_value_for_a_contact_that_does_not_exist_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_custom_field_value", {"contact_id": "9999", "field_id": "1", "value": "11-50"})
    assert info.value.status == 422 and "9999" in info.value.message


def test_a_datetime_activecampaign_cannot_read_is_its_422(run):
    field_id = new_field(run, "Meeting", "datetime")
    with pytest.raises(UpstreamValidation) as info:
        run("create_custom_field_value", {"contact_id": "1", "field_id": field_id, "value": "next tuesday"})
    assert "could not be saved to the custom field of type `datetime`" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"contact_id": "1", "field_id": "1"}, "/value", "required"),
        ({"contact_id": "1", "field_id": "1", "value": []}, "/value", "oneOf"),
        ({"contact_id": "1", "field_id": "1", "value": {"a": 1}}, "/value", "oneOf"),
        ({"contact_id": "1", "field_id": "1", "value": True}, "/value", "oneOf"),
        ({"contact_id": "x", "field_id": "1", "value": "a"}, "/contact_id", "pattern"),
    ],
)
def test_create_value_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_custom_field_value", data)


# -- get / update --------------------------------------------------------------------------
def test_get_value_that_does_not_exist_is_not_found(run, sandbox):
    with pytest.raises(NotFound) as info:
        run("get_custom_field_value", {"field_value_id": "4242"})
    assert "No Result found for FieldValue with id 4242" in info.value.message
    assert api_requests(sandbox)[-1].status == 403  # ActiveCampaign's documented answer


def test_update_value_changes_it_and_sends_the_whole_body(run, sandbox):
    field_id = new_field(run, "Channels", "checkbox", ["Email", "SMS", "Phone"])
    created = run("create_custom_field_value", {"contact_id": "2", "field_id": field_id, "value": ["Email"]})
    value_id = created["fieldValue"]["id"]
    out = run(
        "update_custom_field_value",
        {"field_value_id": value_id, "contact_id": "2", "field_id": field_id, "value": ["SMS", "Phone"]},
    )
    request = api_requests(sandbox, "PUT")[-1]
    assert request.path == f"/api/3/fieldValues/{value_id}"
    assert request.body == {"fieldValue": {"contact": "2", "field": field_id, "value": "||SMS||Phone||"}, "useDefaults": False}
    assert out["fieldValue"]["value"] == "||SMS||Phone||"
    assert run("get_custom_field_value", {"field_value_id": value_id})["fieldValue"]["value"] == "||SMS||Phone||"


def test_update_seeded_dropdown_value(run):
    out = run("update_custom_field_value", {"field_value_id": "1", "contact_id": "1", "field_id": "1", "value": "51-200"})
    assert out["fieldValue"]["value"] == "51-200"
    values = run("list_custom_field_values", {"field_id": "1"})["fieldValues"]
    assert [(v["id"], v["value"]) for v in values] == [("1", "51-200")]


def test_update_value_that_does_not_exist_is_not_found(run):
    with pytest.raises(NotFound):
        run("update_custom_field_value", {"field_value_id": "777", "contact_id": "1", "field_id": "1", "value": "1-10"})


def test_update_value_refuses_missing_contact_before_sending(run, sandbox):
    data = {"field_value_id": "1", "field_id": "1", "value": "1-10"}
    assert ("/contact_id", "required") in refused_before_sending(run, sandbox, "update_custom_field_value", data)


# -- list_custom_fields --------------------------------------------------------------------
def test_list_custom_fields_filters_by_personalization_tag(run, sandbox):
    out = run("list_custom_fields", {"personalization_tag": "COMPANY_SIZE"})
    assert api_requests(sandbox, "GET")[-1].query["filters[perstag]"] == ["COMPANY_SIZE"]
    assert [f["title"] for f in out["fields"]] == ["Company Size"]
    assert sorted(o["value"] for o in out["fieldOptions"]) == ["1-10", "11-50", "51-200"]
    assert all(str(r["field"]) == "1" for r in out["fieldRels"])
    assert out["total"] == 1 and out["has_more"] is False and out["next_offset"] is None


def test_list_custom_fields_one_page_says_what_remains(run, sandbox):
    out = run("list_custom_fields", {"limit": 1})
    assert len(out["fields"]) == 1 and out["has_more"] is True and out["next_offset"] == 1
    assert out["total"] == 2
    second = run("list_custom_fields", {"limit": 1, "offset": out["next_offset"]})
    assert second["fields"][0]["id"] != out["fields"][0]["id"] and second["has_more"] is False


def test_list_custom_fields_return_all_pages_past_100_and_joins_options(run, sandbox):
    for n in range(103):
        field_id = new_field(run, f"Bulk field {n}", "radio")
        run("create_custom_field_option", {"field_id": field_id, "options": [{"value": f"opt-{n}"}]})
    sandbox.log.clear()
    out = run("list_custom_fields", {"return_all": True})
    pages = api_requests(sandbox, "GET", "/api/3/fields")
    assert [r.query["limit"] for r in pages] == [["100"], ["100"]]
    assert len(out["fields"]) == 105 == out["total"] and out["has_more"] is False
    assert len({f["id"] for f in out["fields"]}) == 105
    assert {f"opt-{n}" for n in range(103)} <= {o["value"] for o in out["fieldOptions"]}
    assert len(out["fieldOptions"]) == len({o["id"] for o in out["fieldOptions"]}) == 106
    capped = run("list_custom_fields", {"return_all": True, "max_items": 50})
    assert len(capped["fields"]) == 50 and capped["has_more"] is True


# -- list_custom_field_values --------------------------------------------------------------
def test_list_values_filters_by_field_and_value(run, sandbox):
    field_id = new_field(run, "Tier", "dropdown", ["gold", "silver"])
    run("create_custom_field_value", {"contact_id": "1", "field_id": field_id, "value": "gold"})
    run("create_custom_field_value", {"contact_id": "2", "field_id": field_id, "value": "silver"})
    out = run("list_custom_field_values", {"field_id": field_id, "value": "silver"})
    assert api_requests(sandbox, "GET")[-1].query == {
        "filters[fieldid]": [field_id],
        "filters[val]": ["silver"],
        "limit": ["20"],
        "offset": ["0"],
    }
    assert [(v["contact"], v["value"]) for v in out["fieldValues"]] == [("2", "silver")]
    assert run("list_custom_field_values", {"field_id": field_id})["total"] == 2


def fixture_contacts(sandbox, count: int) -> list[str]:
    sandbox.load_fixture(contacts=count)
    return [c["id"] for c in sandbox.store["contacts"] if c["email"].startswith("fixture")]


def test_list_values_return_all_past_100(run, sandbox):
    field_id = new_field(run, "Score band", "text")
    for contact_id in fixture_contacts(sandbox, 105):
        run("create_custom_field_value", {"contact_id": contact_id, "field_id": field_id, "value": "B"})
    out = run("list_custom_field_values", {"field_id": field_id, "return_all": True})
    assert len(out["fieldValues"]) == 105 == len({v["id"] for v in out["fieldValues"]})
    assert out["has_more"] is False and out["total"] == 105
    page = run("list_custom_field_values", {"field_id": field_id, "limit": 100})
    assert len(page["fieldValues"]) == 100 and page["has_more"] is True and page["next_offset"] == 100


# -- DDLs ----------------------------------------------------------------------------------
def test_custom_fields_ddl_texts_types_and_search(run):
    new_field(run, "Favourite colour", "radio")
    all_choices = run("list_custom_fields_ddl")["result"]
    assert {"text": "Company Size (dropdown)", "value": "1"} in all_choices
    assert {"text": "Favourite colour (radio)", "value": "3"} in all_choices
    assert [c["value"] for c in run("list_custom_fields_ddl", {"search": "COLOUR"})["result"]] == ["3"]
    assert [c["value"] for c in run("list_custom_fields_ddl", {"search": "company_size"})["result"]] == ["1"]
    assert [c["value"] for c in run("list_custom_fields_ddl", {"types": ["date"]})["result"]] == ["2"]


def test_custom_fields_ddl_pages_beyond_100(run):
    for n in range(101):
        new_field(run, f"Paged {n}", "text")
    first = run("list_custom_fields_ddl")
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = run("list_custom_fields_ddl", {"offset": first["next_offset"]})
    assert len(rest["result"]) == 3 and rest["next_offset"] is None
    assert not {c["value"] for c in first["result"]} & {c["value"] for c in rest["result"]}


def test_field_values_ddl_shows_value_field_and_contact(run):
    field_id = new_field(run, "Topics", "listbox", ["News", "Offers"])
    run("create_custom_field_value", {"contact_id": "2", "field_id": field_id, "value": ["News", "Offers"]})
    choices = run("list_custom_field_values_ddl")["result"]
    assert {"text": "11-50 · field 1, contact 1", "value": "1"} in choices
    assert {"text": f"News, Offers · field {field_id}, contact 2", "value": "2"} in choices
    assert [c["value"] for c in run("list_custom_field_values_ddl", {"search": "offers"})["result"]] == ["2"]
    assert [c["value"] for c in run("list_custom_field_values_ddl", {"contact_id": "1"})["result"]] == ["1"]


def test_field_value_dropdown_follows_the_forms_field_and_contact(run, connector, auth, sandbox):
    field_id = new_field(run, "Region", "text")
    run("create_custom_field_value", {"contact_id": "1", "field_id": field_id, "value": "North"})
    run("create_custom_field_value", {"contact_id": "2", "field_id": field_id, "value": "South"})
    form = {"field_id": field_id, "contact_id": "2"}
    choices = connector.options("update_custom_field_value", "field_value_id", form, auth)["result"]
    assert [c["text"] for c in choices] == [f"South · field {field_id}, contact 2"]
    # The chosen contact's values in one documented request (retrieve-contact-field-values), not every value
    # of the field paged and filtered here.
    (sent,) = [r for r in api_requests(sandbox, "GET") if "fieldValues" in r.path]
    assert (sent.path, sent.query) == ("/api/3/contacts/2/fieldValues", {})
    everything = connector.options("get_custom_field_value", "field_value_id", {}, auth)["result"]
    assert len(everything) == 3


def test_field_values_ddl_pages_beyond_100(run, sandbox):
    field_id = new_field(run, "Cohort", "text")
    for contact_id in fixture_contacts(sandbox, 101):
        run("create_custom_field_value", {"contact_id": contact_id, "field_id": field_id, "value": "2024"})
    first = run("list_custom_field_values_ddl", {"field_id": field_id})
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = run("list_custom_field_values_ddl", {"field_id": field_id, "offset": 100})
    assert len(rest["result"]) == 1 and rest["next_offset"] is None
    assert not {c["value"] for c in first["result"]} & {c["value"] for c in rest["result"]}
