"""The first slice end to end: engine -> loopback HTTP -> sandbox, success and every error shape."""

from __future__ import annotations

import pytest

from engine import errors


def requests_sent(sandbox) -> int:
    return len([r for r in sandbox.log if r.path.startswith("/api/3")])


def test_auth_test_operation_reads_the_current_user(run):
    out = run("get_current_user")
    assert out["user"]["id"] == "1"


def test_create_then_read_a_contact_with_custom_field_values(run):
    field = run("list_custom_fields_ddl")["result"][0]["value"]
    created = run(
        "create_contact", {"email": "ada@example.com", "first_name": "Ada", "field_values": [{"field": field, "value": "Blue"}]}
    )
    contact = created["contact"]
    assert contact["email"] == "ada@example.com" and contact["firstName"] == "Ada"
    read = run("get_contact", {"contact_id": contact["id"]})
    assert read["contact"]["id"] == contact["id"]
    assert any(fv["field"] == field and fv["value"] == "Blue" for fv in read["fieldValues"])


def test_optional_inputs_left_out_are_not_sent(run, sandbox):
    run("create_contact", {"email": "only@example.com"})
    body = [r for r in sandbox.log if r.method == "POST"][-1].body
    assert body == {"contact": {"email": "only@example.com"}}


def test_checkbox_values_are_encoded_as_activecampaign_expects(run, sandbox):
    run("create_contact", {"email": "multi@example.com", "field_values": [{"field": "1", "value": ["A", "B"]}]})
    body = [r for r in sandbox.log if r.method == "POST"][-1].body
    assert body["contact"]["fieldValues"] == [{"field": "1", "value": "||A||B||"}]


def test_subscribe_a_contact_to_a_list_picked_from_the_ddl(run, connector, auth):
    contact = run("create_contact", {"email": "sub@example.com"})["contact"]
    choices = connector.options("add_contact_to_list", "list_id", {}, auth)
    assert choices["result"] and all(set(c) == {"text", "value"} for c in choices["result"])
    list_id = choices["result"][0]["value"]
    out = run("add_contact_to_list", {"contact_id": contact["id"], "list_id": list_id})
    assert str(out["contactList"]["list"]) == list_id and str(out["contactList"]["status"]) == "1"
    memberships = run("get_contact", {"contact_id": contact["id"]})["contactLists"]
    assert [str(m["list"]) for m in memberships] == [list_id]


def test_list_lists_filters_by_name(run):
    all_lists = run("list_lists")["lists"]
    name = all_lists[0]["name"]
    filtered = run("list_lists", {"name": name})
    assert filtered["lists"] and all(name.lower() in item["name"].lower() for item in filtered["lists"])


def test_users_list_and_ddl(run):
    users = run("list_users")
    assert users["total"] == len(users["users"]) and users["has_more"] is False
    ddl = run("list_users_ddl", {"search": users["users"][0]["email"]})
    assert [c["value"] for c in ddl["result"]] == [users["users"][0]["id"]]
    assert run("get_user", {"user_id": users["users"][0]["id"]})["user"]["email"] == users["users"][0]["email"]


def test_raw_http_request_adds_the_authentication(run):
    out = run("raw_http_request", {"method": "GET", "path": "/users/me"})
    assert out["status"] == 200 and out["body"]["user"]["id"] == "1"


# -- bad input: a clear error naming the field, nothing sent ---------------------------------
@pytest.mark.parametrize(
    ("operation", "data", "pointer", "keyword"),
    [
        ("create_contact", {}, "/email", "required"),
        ("create_contact", {"email": "not-an-email"}, "/email", "format"),
        ("create_contact", {"email": "a@example.com", "surname": "x"}, "/surname", "additionalProperties"),
        (
            "create_contact",
            {"email": "a@example.com", "field_values": [{"field": "x1", "value": "v"}]},
            "/field_values/0/field",
            "pattern",
        ),
        ("get_contact", {"contact_id": "1/../../users/me"}, "/contact_id", "pattern"),
        ("get_contact", {"contact_id": 12}, "/contact_id", "type"),
        ("add_contact_to_list", {"contact_id": "1", "list_id": "1", "status": 3}, "/status", "oneOf"),
        ("raw_http_request", {"method": "TRACE", "path": "/users"}, "/method", "enum"),
    ],
)
def test_invalid_input_is_refused_before_sending(connector, auth, sandbox, operation, data, pointer, keyword):
    with pytest.raises(errors.ValidationError) as info:
        connector.run(operation, data, auth)
    assert {"pointer": pointer, "keyword": keyword} in [
        {"pointer": e["pointer"], "keyword": e["keyword"]} for e in info.value.errors
    ]
    assert requests_sent(sandbox) == 0


def test_every_validation_error_is_listed_sorted_by_pointer(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_contact", {"email": "bad", "phone": 5, "first_name": "x" * 300}, auth)
    pointers = [e["pointer"] for e in info.value.errors]
    assert pointers == sorted(pointers) and {"/email", "/phone", "/first_name"} <= set(pointers)
    assert requests_sent(sandbox) == 0


# -- upstream errors: typed, with ActiveCampaign's own words ---------------------------------
def test_wrong_key_is_an_authentication_error(connector, sandbox_server, sandbox):
    bad = connector.authentication({"api_url": sandbox_server.url, "api_key": "wrong-key"})
    with pytest.raises(errors.AuthenticationError) as info:
        connector.run("get_current_user", {}, bad)
    assert info.value.status == 403 and "Check the API key" in info.value.message


def test_missing_contact_is_not_found_with_the_api_message(run):
    with pytest.raises(errors.NotFound) as info:
        run("get_contact", {"contact_id": "999999"})
    assert "No Result found" in info.value.message and info.value.status == 404


def test_duplicate_email_is_already_exists_with_its_pointer(run):
    run("create_contact", {"email": "dup@example.com"})
    with pytest.raises(errors.AlreadyExists) as info:
        run("create_contact", {"email": "dup@example.com"})
    upstream = info.value.details["upstream"][0]
    assert upstream["code"] == "duplicate" and upstream["pointer"] == "/data/attributes/email"


@pytest.mark.parametrize(
    ("status", "body", "expected", "text"),
    [
        (
            422,
            {"errors": [{"title": "Missing attribute", "source": {"pointer": "/data/attributes/contact"}}]},
            errors.UpstreamValidation,
            "Missing attribute (/data/attributes/contact)",
        ),
        (
            422,
            {"errors": "Bulk operation failed. Request must contain an array of fieldOption objects."},
            errors.UpstreamValidation,
            "Bulk operation failed",
        ),
        (
            422,
            {"errors": [{"detail": "The custom field value `abc` could not be saved"}]},
            errors.UpstreamValidation,
            "could not be saved",
        ),
        (
            400,
            {"errors": ["Field name is required", "Field type is required"]},
            errors.UpstreamValidation,
            "Field name is required; Field type is required",
        ),
        (400, {}, errors.UpstreamValidation, "HTTP 400"),
        (403, {"message": "No Result found for FieldValue with id 10"}, errors.NotFound, "No Result found"),
        (
            403,
            {"errors": [{"status": 403, "title": "Forbidden", "detail": "You do not have permission to view lists."}]},
            errors.AuthenticationError,
            "You do not have permission",
        ),
        (
            404,
            {"errors": [{"status": 404, "title": "Not Found", "detail": "Contact not found"}]},
            errors.NotFound,
            "Contact not found",
        ),
        (402, {"message": "The request could not be processed due to account payment issues."}, errors.AccountError, "payment"),
        (400, {"success": 0, "message": "Rate limit exceeded.", "failureReasons": []}, errors.RateLimited, "Rate limit"),
    ],
)
def test_each_error_shape_maps_to_its_type(connector, auth, sandbox, status, body, expected, text):
    sandbox.faults.add("POST /api/3/contacts", statuses=[status], body=body, times=1)
    with pytest.raises(expected) as info:
        connector.run("create_contact", {"email": "shape@example.com"}, auth, deadline=0.5)
    assert text in info.value.message
    assert type(info.value) is expected


def test_errors_serialise_to_stable_json(run):
    with pytest.raises(errors.NotFound) as info:
        run("get_contact", {"contact_id": "424242"})
    data = info.value.to_dict()
    assert data["type"] == "not_found" and data["retryable"] is False and data["status"] == 404
