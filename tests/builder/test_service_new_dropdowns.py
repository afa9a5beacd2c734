"""Every dropdown of the operations added for issue 15, through the service's options endpoint (what the
builder calls), against the sandbox the service offers."""

from __future__ import annotations

import pytest

from ac_connector import load

SPEC = load()
NEW = [
    "create_tag",
    "list_tags",
    "list_contact_tags",
    "add_tag_to_contact",
    "remove_tag_from_contact",
    "create_account",
    "get_account",
    "update_account",
    "delete_account",
    "list_accounts",
    "list_account_contacts",
    "add_contact_to_account",
    "remove_contact_from_account",
    "get_automation",
    "list_contact_automations",
    "remove_contact_from_automation",
    "get_list",
    "delete_list",
    "list_contact_lists",
    "unsubscribe_contact_from_list",
    "get_custom_field",
    "list_custom_field_options",
    "update_custom_field",
    "delete_custom_field",
    "start_bulk_import",
    "bulk_import_contacts",
    "list_deal_custom_field_values",
    "create_deal_custom_field_value",
    "update_deal_custom_field_value",
    "set_deal_custom_field_value",
]
FIELDS = [(op, lookup["field"]) for op in NEW for lookup in SPEC.describe(op)["lookups"]]
# The choice each field must offer on the seeded sandbox (its text contains the second item).
EXPECTED = {
    "/tag": ("1", "customer"),
    "/account_id": ("1", "Globex"),
    "/contact_id": ("1", "jane"),
    "/automation_id": ("1", "Welcome Series"),
    "/list_id": ("1", "Newsletter"),
    "/field_id": ("1", ""),
    "/value_id": ("1", "Renewal"),
    "/deal_id": ("1", "renewal"),
}


def test_every_new_id_field_has_a_dropdown():
    assert {op for op, _ in FIELDS} >= set(NEW) - {"list_tags", "create_tag", "list_accounts"}


@pytest.mark.parametrize(("operation", "field"), FIELDS, ids=[f"{op}{f}" for op, f in FIELDS])
def test_the_dropdown_answers_through_the_options_endpoint(api, served, operation, field):
    served.sandbox.reset()
    body = {"field": field, "form": {"deal_id": "1"} if field == "/value_id" else {}, "authentication": "Sandbox"}
    response = api.post(f"/api/operations/{operation}/options", json=body)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result and all(set(o) == {"text", "value"} and o["value"] for o in result)
    last = field.rsplit("/", 1)[-1]
    if f"/{last}" in EXPECTED and "/-/" not in field:
        value, text = EXPECTED[f"/{last}"]
        assert any(o["value"] == value and text.lower() in o["text"].lower() for o in result), result
