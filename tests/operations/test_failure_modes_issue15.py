"""Every operation added for issue 15 ("beyond the reference connector"): not-found, validation and
upstream-error behaviour, through the engine against the sandbox, one table row per operation."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import AccountError, ConnectorError, NotFound

# operation, a valid input naming a record that does not exist, and the request it must reach first
MISSING = [
    ("create_tag", None, "POST /api/3/tags"),
    ("list_tags", None, "GET /api/3/tags"),
    ("list_contact_tags", {"contact_id": "999"}, "GET /api/3/contacts/*"),
    ("add_tag_to_contact", {"contact_id": "999", "tag": "1"}, "GET /api/3/contacts/*"),
    ("remove_tag_from_contact", {"contact_id": "999", "tag": "1"}, "GET /api/3/contacts/*"),
    ("create_account", None, "POST /api/3/accounts"),
    ("get_account", {"account_id": "999"}, "GET /api/3/accounts/*"),
    ("update_account", {"account_id": "999", "name": "X"}, "PUT /api/3/accounts/*"),
    ("delete_account", {"account_id": "999"}, "DELETE /api/3/accounts/*"),
    ("list_accounts", None, "GET /api/3/accounts"),
    ("list_accounts_ddl", None, "GET /api/3/accounts"),
    ("list_account_contacts", None, "GET /api/3/accountContacts"),
    ("add_contact_to_account", None, "POST /api/3/accountContacts"),
    ("remove_contact_from_account", {"contact_id": "999"}, "GET /api/3/contacts/*"),
    ("get_automation", {"automation_id": "999"}, "GET /api/3/automations/*"),
    ("list_contact_automations", {"contact_id": "999"}, "GET /api/3/contacts/*"),
    ("remove_contact_from_automation", {"contact_id": "999", "automation_id": "1"}, "GET /api/3/contacts/*"),
    ("get_list", {"list_id": "999"}, "GET /api/3/lists/*"),
    ("delete_list", {"list_id": "999"}, "DELETE /api/3/lists/*"),
    ("list_contact_lists", {"contact_id": "999"}, "GET /api/3/contacts/*"),
    ("unsubscribe_contact_from_list", None, "POST /api/3/contactLists"),
    ("find_contact_by_email", None, "GET /api/3/contacts"),
    ("get_or_create_contact", None, "GET /api/3/contacts"),
    ("get_custom_field", {"field_id": "999"}, "GET /api/3/fields/*"),
    ("list_custom_field_options", {"field_id": "999"}, "GET /api/3/fields/*"),
    ("update_custom_field", {"field_id": "999", "title": "X"}, "PUT /api/3/fields/*"),
    ("delete_custom_field", {"field_id": "999"}, "DELETE /api/3/fields/*"),
    ("get_bulk_import_status", {"batch_id": "no-such-batch"}, "GET /api/3/import/info"),
    ("start_bulk_import", None, "POST /api/3/import/bulk_import"),
    ("bulk_import_contacts", None, "POST /api/3/import/bulk_import"),
    ("list_deal_custom_fields", None, "GET /api/3/dealCustomFieldMeta"),
    ("list_deal_custom_field_values", None, "GET /api/3/dealCustomFieldData"),
    ("list_deal_custom_field_values_ddl", None, "GET /api/3/dealCustomFieldData"),
    ("create_deal_custom_field_value", None, "POST /api/3/dealCustomFieldData"),
    ("update_deal_custom_field_value", {"value_id": "999", "value": "x"}, "PUT /api/3/dealCustomFieldData/*"),
    ("set_deal_custom_field_value", {"deal_id": "999", "field_id": "1", "value": "x"}, "GET /api/3/deals/*"),
]

# A valid input for each operation (used for the upstream-error row).
VALID = {
    "create_tag": {"tag": "VIP"},
    "list_tags": {},
    "list_contact_tags": {"contact_id": "1"},
    "add_tag_to_contact": {"contact_id": "2", "tag": "1"},
    "remove_tag_from_contact": {"contact_id": "1", "tag": "1"},
    "create_account": {"name": "Acme"},
    "get_account": {"account_id": "1"},
    "update_account": {"account_id": "1", "name": "Acme"},
    "delete_account": {"account_id": "1"},
    "list_accounts": {},
    "list_accounts_ddl": {},
    "list_account_contacts": {"account_id": "1"},
    "add_contact_to_account": {"contact_id": "1", "account_id": "1"},
    "remove_contact_from_account": {"contact_id": "1"},
    "get_automation": {"automation_id": "1"},
    "list_contact_automations": {"contact_id": "1"},
    "remove_contact_from_automation": {"contact_id": "1", "automation_id": "1"},
    "get_list": {"list_id": "1"},
    "delete_list": {"list_id": "1"},
    "list_contact_lists": {"contact_id": "1"},
    "unsubscribe_contact_from_list": {"contact_id": "1", "list_id": "1"},
    "find_contact_by_email": {"email": "jane.doe@example.com"},
    "get_or_create_contact": {"email": "jane.doe@example.com"},
    "get_custom_field": {"field_id": "1"},
    "list_custom_field_options": {"field_id": "1"},
    "update_custom_field": {"field_id": "1", "title": "Size"},
    "delete_custom_field": {"field_id": "1"},
    "get_bulk_import_status": {"batch_id": "abc"},
    "start_bulk_import": {"contacts": [{"email": "ada@example.com"}]},
    "bulk_import_contacts": {"contacts": [{"email": "ada@example.com"}]},
    "list_deal_custom_fields": {},
    "list_deal_custom_field_values": {"deal_id": "1"},
    "list_deal_custom_field_values_ddl": {},
    "create_deal_custom_field_value": {"deal_id": "1", "field_id": "2", "value": "2025-01-31"},
    "update_deal_custom_field_value": {"value_id": "1", "value": "Price"},
    "set_deal_custom_field_value": {"deal_id": "1", "field_id": "1", "value": "Price"},
}

# One bad input per operation: the field pointer and the rule it breaks.
INVALID = {
    "create_tag": ({"tag": "   "}, "/tag", "pattern"),
    "list_tags": ({"tag_type": "deal"}, "/tag_type", "oneOf"),
    "list_contact_tags": ({"contact_id": "jane"}, "/contact_id", "pattern"),
    "add_tag_to_contact": ({"contact_id": "1", "tag": ""}, "/tag", "minLength"),
    "remove_tag_from_contact": ({"contact_id": "1"}, "/tag", "required"),
    "create_account": ({"name": "Acme", "account_url": "acme dot com"}, "/account_url", "format"),
    "get_account": ({"account_id": "acme"}, "/account_id", "pattern"),
    "update_account": ({"account_id": "1", "name": ""}, "/name", "minLength"),
    "delete_account": ({}, "/account_id", "required"),
    "list_accounts": ({"limit": 500}, "/limit", "maximum"),
    "list_accounts_ddl": ({"offset": -1}, "/offset", "minimum"),
    "list_account_contacts": ({"contact_id": "x"}, "/contact_id", "pattern"),
    "add_contact_to_account": ({"contact_id": "1"}, "/account_id", "required"),
    "remove_contact_from_account": ({"contact_id": "1", "account": "1"}, "/account", "additionalProperties"),
    "get_automation": ({"automation_id": "1.5"}, "/automation_id", "pattern"),
    "list_contact_automations": ({}, "/contact_id", "required"),
    "remove_contact_from_automation": ({"contact_id": "1"}, "/automation_id", "required"),
    "get_list": ({"list_id": ""}, "/list_id", "pattern"),
    "delete_list": ({"list_id": 2}, "/list_id", "type"),
    "list_contact_lists": ({"contact_id": "-1"}, "/contact_id", "pattern"),
    "unsubscribe_contact_from_list": ({"contact_id": "1", "list_id": "1", "status": 1}, "/status", "additionalProperties"),
    "find_contact_by_email": ({"email": "nope"}, "/email", "format"),
    "get_or_create_contact": ({"email": "jane@example.com", "phone": 5}, "/phone", "type"),
    "get_custom_field": ({"field_id": "one"}, "/field_id", "pattern"),
    "list_custom_field_options": ({}, "/field_id", "required"),
    "update_custom_field": ({"field_id": "1", "order": -1}, "/order", "minimum"),
    "delete_custom_field": ({"field_id": "a"}, "/field_id", "pattern"),
    "get_bulk_import_status": ({"batch_id": "../x"}, "/batch_id", "pattern"),
    "start_bulk_import": ({"contacts": [{"email": f"c{i}@example.com"} for i in range(251)]}, "/contacts", "maxItems"),
    "bulk_import_contacts": ({"contacts": [{"email": "ada@example.com", "tags": "VIP"}]}, "/contacts/0/tags", "type"),
    "list_deal_custom_fields": ({"max_items": 0}, "/max_items", "minimum"),
    "list_deal_custom_field_values": ({"deal_id": "d1"}, "/deal_id", "pattern"),
    "list_deal_custom_field_values_ddl": ({"search": 5}, "/search", "type"),
    "create_deal_custom_field_value": ({"deal_id": "1", "field_id": "1", "value": ""}, "/value", "oneOf"),
    "update_deal_custom_field_value": ({"value_id": "1", "value": "x", "currency": "dollars"}, "/currency", "pattern"),
    "set_deal_custom_field_value": ({"deal_id": "1", "field_id": "1", "value": {"a": 1}}, "/value", "oneOf"),
}

NOT_FOUND = [(op, data) for op, data, _ in MISSING if data is not None]


def test_the_tables_cover_the_same_operations():
    names = [op for op, _, _ in MISSING]
    assert sorted(names) == sorted(VALID) == sorted(INVALID)


@pytest.mark.parametrize(("operation", "data"), NOT_FOUND, ids=[op for op, _ in NOT_FOUND])
def test_a_missing_record_is_not_found(run, operation, data):
    with pytest.raises(NotFound):
        run(operation, data)


@pytest.mark.parametrize("operation", sorted(INVALID))
def test_bad_input_is_refused_before_sending(run, sandbox, operation):
    data, pointer, keyword = INVALID[operation]
    assert (pointer, keyword) in refused_before_sending(run, sandbox, operation, data)


@pytest.mark.parametrize(("operation", "route"), [(op, route) for op, _, route in MISSING], ids=[op for op, _, _ in MISSING])
def test_an_upstream_failure_is_typed(run, sandbox, operation, route):
    # 402: ActiveCampaign refuses an account whose payment is due; never retried, so the test is quick.
    sandbox.faults.add(route, [402], body={"message": "Your account is suspended"})
    with pytest.raises(AccountError) as info:
        run(operation, VALID[operation])
    assert info.value.status == 402 and "suspended" in info.value.message
    assert api_requests(sandbox, route.split()[0])


@pytest.mark.parametrize(
    "operation", ["create_tag", "create_account", "add_contact_to_account", "create_deal_custom_field_value"]
)
def test_a_server_error_on_a_create_is_outcome_unknown_not_repeated(run, sandbox, operation):
    route = next(r for op, _, r in MISSING if op == operation)
    sandbox.faults.add(route, [500], body={"message": "Something broke"})
    with pytest.raises(ConnectorError) as info:
        run(operation, VALID[operation])
    assert info.value.type == "outcome_unknown"
    assert len(api_requests(sandbox, "POST")) == 1


def test_a_server_error_when_tagging_is_outcome_unknown_not_repeated(run, sandbox):
    sandbox.faults.add("POST /api/3/contactTags", [500], body={"message": "Something broke"})
    with pytest.raises(ConnectorError) as info:
        run("add_tag_to_contact", {"contact_id": "2", "tag": "1"})
    assert info.value.type == "outcome_unknown"
    assert len(api_requests(sandbox, "POST", "/api/3/contactTags")) == 1


def test_a_server_error_on_a_read_is_retried(run, sandbox):
    sandbox.faults.add("GET /api/3/accounts/*", [500], body={"message": "Something broke"})
    assert run("get_account", {"account_id": "1"})["account"]["name"] == "Globex Corporation"
    assert len(api_requests(sandbox, "GET")) == 2
