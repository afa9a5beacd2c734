"""Find-by-email, get-or-create (and its race), automations, lists and contact custom fields added for
issue 15, through the engine against the sandbox. Seeded: Jane (1) on list 1, John (2), field 1
"Company Size" (dropdown with options), automation 1 "Welcome Series"."""

from __future__ import annotations

import asyncio

from helpers.api_calls import api_requests


def test_find_contact_by_email_found_and_not_found(run, sandbox):
    out = run("find_contact_by_email", {"email": "JANE.DOE@example.com"})
    assert out["found"] is True and out["contact"]["id"] == "1"
    assert api_requests(sandbox, "GET")[-1].query["email"] == ["JANE.DOE@example.com"]
    assert run("find_contact_by_email", {"email": "nobody@example.com"}) == {"found": False}


def test_get_or_create_returns_an_existing_contact_unchanged(run, sandbox):
    out = run("get_or_create_contact", {"email": "jane.doe@example.com", "first_name": "Janet"})
    assert out["created"] is False and out["contact"]["firstName"] == "Jane"
    assert api_requests(sandbox, "POST") == []


def test_get_or_create_creates_when_missing(run, sandbox):
    out = run(
        "get_or_create_contact",
        {"email": "new.lead@example.com", "first_name": "New", "field_values": [{"field": "1", "value": "1-10"}]},
    )
    assert out["created"] is True and out["contact"]["firstName"] == "New"
    assert api_requests(sandbox, "POST")[-1].path == "/api/3/contact/sync"
    again = run("get_or_create_contact", {"email": "new.lead@example.com"})
    assert again["created"] is False and again["contact"]["id"] == out["contact"]["id"]


def test_two_racing_get_or_create_calls_leave_one_contact(connector, auth, sandbox):
    # Both look before either creates: the two calls run at once and both lookups' answers are held back, so
    # each call has seen "none" before either sync reaches the account (whatever the machine's load).
    email = "race@example.com"

    async def both():
        return await asyncio.gather(
            *(connector.arun("get_or_create_contact", {"email": email, "first_name": n}, auth) for n in ("A", "B"))
        )

    sandbox.faults.add("GET /api/3/contacts", [], delay_headers=0.5, times=2)
    outs = asyncio.run(both())
    assert outs[0]["contact"]["id"] == outs[1]["contact"]["id"]
    assert len(api_requests(sandbox, "POST", "/api/3/contact/sync")) == 2  # both found none: a real race
    assert [o["created"] for o in outs] == [True, True]
    assert [r.path for r in api_requests(sandbox, "GET", "/api/3/contacts")].count("/api/3/contacts") == 2
    matches = [c for c in sandbox.store["contacts"] if c["email"].lower() == email]
    assert len(matches) == 1


def test_automations_of_a_contact_and_removal(run, sandbox):
    assert run("get_automation", {"automation_id": "1"})["automation"]["name"] == "Welcome Series"
    run("add_contact_to_automation", {"contact_id": "1", "automation_id": "1"})
    runs = run("list_contact_automations", {"contact_id": "1"})["contactAutomations"]
    assert [str(r["automation"]) for r in runs] == ["1"]
    out = run("remove_contact_from_automation", {"contact_id": "1", "automation_id": "1"})
    assert out == {"removed": 1, "contact_id": "1", "automation_id": "1"}
    assert api_requests(sandbox, "DELETE")[-1].path == f"/api/3/contactAutomations/{runs[0]['id']}"
    assert run("list_contact_automations", {"contact_id": "1"})["contactAutomations"] == []
    assert run("remove_contact_from_automation", {"contact_id": "1", "automation_id": "1"})["removed"] == 0


def test_lists_get_unsubscribe_and_delete(run, sandbox):
    assert run("get_list", {"list_id": "1"})["list"]["name"] == "Newsletter"
    before = run("list_contact_lists", {"contact_id": "1"})["contactLists"]
    assert [(str(m["list"]), str(m["status"])) for m in before] == [("1", "1")]
    out = run("unsubscribe_contact_from_list", {"contact_id": "1", "list_id": "1"})
    assert str(out["contactList"]["status"]) == "2"
    assert api_requests(sandbox, "POST")[-1].body == {"contactList": {"list": "1", "contact": "1", "status": 2}}
    after = run("list_contact_lists", {"contact_id": "1"})["contactLists"]
    assert [(str(m["list"]), str(m["status"])) for m in after] == [("1", "2")]
    assert run("delete_list", {"list_id": "1"}) == {"deleted": True, "id": "1"}
    assert run("list_contact_lists", {"contact_id": "1"})["contactLists"] == []


def test_contact_custom_field_get_options_update_delete(run, sandbox):
    got = run("get_custom_field", {"field_id": "1"})
    assert got["field"]["title"] == "Company Size"
    options = run("list_custom_field_options", {"field_id": "1"})["options"]
    assert [o["value"] for o in options][:2] == ["1-10", "11-50"]
    assert run("list_custom_field_options", {"field_id": "2"})["options"] == []
    updated = run("update_custom_field", {"field_id": "1", "title": "Team size", "visible": False})["field"]
    assert (updated["title"], str(updated["visible"])) == ("Team size", "0")
    assert api_requests(sandbox, "PUT")[-1].body == {"field": {"title": "Team size", "visible": 0}}
    assert run("delete_custom_field", {"field_id": "1"}) == {"deleted": True, "id": "1"}
    assert run("get_contact", {"contact_id": "1"})["fieldValues"] == []


def test_custom_field_dropdown_through_the_options_call(connector, auth):
    out = connector.options("list_custom_field_options", "field_id", {}, auth)
    assert {"text", "value"} <= set(out["result"][0]) and any(o["value"] == "1" for o in out["result"])
