"""Automations: list (with the connector-side name and status filters), the automation dropdown, and
adding a contact to an automation, through the engine against the sandbox.

The seeded account has four automations: 1 "Welcome Series" and 2 "Abandoned Cart Follow-up" (active, status
1), 3 "Old Newsletter Drip" (inactive, 2) and 4 "Draft Onboarding" (inactive and never started, 0).
Automations cannot be created over the API.
"""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import AuthenticationError, OutcomeUnknown, UpstreamValidation


# -- list ------------------------------------------------------------------------------------
def test_list_automations(run, sandbox):
    out = run("list_automations")
    assert [a["name"] for a in out["automations"]] == [
        "Welcome Series",
        "Abandoned Cart Follow-up",
        "Old Newsletter Drip",
        "Draft Onboarding",
    ]
    assert [a["status"] for a in out["automations"]] == ["1", "1", "2", "0"]
    assert (out["total"], out["has_more"], out["next_offset"]) == (4, False, None)
    assert api_requests(sandbox, "GET")[-1].query == {"limit": ["20"], "offset": ["0"]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "1"}, ["1", "2"]),
        ({"status": "2"}, ["3"]),
        ({"status": "0"}, ["4"]),
        ({"status": "inactive"}, ["3", "4"]),
        ({"status": "any"}, ["1", "2", "3", "4"]),
        ({"name": "NEWSLETTER"}, ["3"]),
        ({"name": "e", "status": "1"}, ["1", "2"]),
        ({"name": "cart", "status": "2"}, []),
    ],
)
def test_list_automations_filters(run, data, expected):
    out = run("list_automations", data)
    assert [a["id"] for a in out["automations"]] == expected
    assert out["total"] == len(expected)  # the filtered count, read to the end: not ActiveCampaign's 4


def test_a_filtered_page_with_more_to_come_has_no_total(run):
    # ActiveCampaign's meta.total counts every automation; after a filter applied here it would be a lie.
    first = run("list_automations", {"status": "1", "limit": 2})
    assert [a["id"] for a in first["automations"]] == ["1", "2"] and first["has_more"] is True
    assert first["total"] is None
    rest = run("list_automations", {"status": "1", "limit": 2, "offset": 2})
    assert rest["automations"] == [] and rest["has_more"] is False and rest["total"] is None


def test_list_automations_single_page_says_more_remain(run):
    first = run("list_automations", {"limit": 2})
    assert [a["id"] for a in first["automations"]] == ["1", "2"]
    assert (first["has_more"], first["next_offset"]) == (True, 2)
    rest = run("list_automations", {"limit": 2, "offset": first["next_offset"]})
    assert [a["id"] for a in rest["automations"]] == ["3", "4"] and rest["has_more"] is False


def test_list_automations_return_all_with_a_cap(run, sandbox):
    capped = run("list_automations", {"return_all": True, "max_items": 2})
    assert [a["id"] for a in capped["automations"]] == ["1", "2"] and capped["has_more"] is True
    everything = run("list_automations", {"return_all": True})
    assert len(everything["automations"]) == 4 and everything["has_more"] is False
    assert api_requests(sandbox, "GET")[-1].query["limit"] == ["100"]


def add_automations(sandbox, count: int) -> None:
    """Automations cannot be created over the API, so these go straight into the sandbox account."""
    with sandbox.lock:
        for n in range(count):
            sandbox.store["automations"].insert(
                {
                    "name": f"Generated {n + 1}",
                    "cdate": "2024-02-01T10:00:00-05:00",
                    "mdate": "2024-02-01T10:00:00-05:00",
                    "status": "1" if n % 2 else "2",
                    "entered": 0,
                    "exited": 0,
                }
            )


def test_list_automations_return_all_pages_past_100(run, sandbox):
    add_automations(sandbox, 230)
    out = run("list_automations", {"return_all": True})
    ids = [int(a["id"]) for a in out["automations"]]
    assert len(ids) == 234 and len(set(ids)) == 234 and out["has_more"] is False
    assert [p.query["offset"] for p in api_requests(sandbox, "GET")] == [["0"], ["100"], ["200"]]
    active = run("list_automations", {"return_all": True, "status": "1"})["automations"]
    assert len(active) == 2 + 115 and all(a["status"] == "1" for a in active)


def test_automation_dropdown_pages_past_100(connector, auth, sandbox):
    add_automations(sandbox, 230)
    first = connector.options("add_contact_to_automation", "automation_id", {}, auth)
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    last = connector.options("add_contact_to_automation", "automation_id", {}, auth, offset=200)
    assert len(last["result"]) == 34 and last["next_offset"] is None
    assert last["result"][-1] == {"text": "Generated 230", "value": "234"}


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"status": "active"}, "/status", "oneOf"),
        ({"limit": 0}, "/limit", "minimum"),
        ({"max_items": 0}, "/max_items", "minimum"),
        ({"name": 5}, "/name", "type"),
    ],
)
def test_list_automations_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "list_automations", data)


# -- dropdown --------------------------------------------------------------------------------
def test_automation_dropdown_marks_inactive_ones(connector, auth):
    out = connector.options("add_contact_to_automation", "automation_id", {}, auth)
    assert out == {
        "result": [
            {"text": "Welcome Series", "value": "1"},
            {"text": "Abandoned Cart Follow-up", "value": "2"},
            {"text": "Old Newsletter Drip (inactive)", "value": "3"},
            {"text": "Draft Onboarding (inactive)", "value": "4"},
        ],
        "next_offset": None,
    }


def test_automation_dropdown_search(connector, auth):
    out = connector.options("list_contacts", "automation_id", {}, auth, search="welcome")
    assert out["result"] == [{"text": "Welcome Series", "value": "1"}]


# -- add contact to automation ---------------------------------------------------------------
def test_add_contact_to_automation(run, sandbox):
    out = run("add_contact_to_automation", {"contact_id": "2", "automation_id": "1"})
    assert api_requests(sandbox, "POST")[-1].body == {"contactAutomation": {"contact": "2", "automation": "1"}}
    link = out["contactAutomation"]
    assert (str(link["contact"]), str(link["automation"])) == ("2", "1")
    assert [c["id"] for c in out["contacts"]] == ["2"]
    runs = run("get_contact", {"contact_id": "2"})["contactAutomations"]
    assert [(r["id"], r["automation"]) for r in runs] == [(link["id"], "1")]


@pytest.mark.parametrize("automation", ["3", "4"])  # stopped (2) and never started (0)
def test_add_contact_to_an_inactive_automation_is_refused_with_activecampaigns_message(run, sandbox, automation):
    with pytest.raises(UpstreamValidation) as info:
        run("add_contact_to_automation", {"contact_id": "1", "automation_id": automation})
    assert not isinstance(info.value, AuthenticationError)  # a 403, but the key is fine
    assert info.value.status == 403 and "Could not create SubscriberSeries" in info.value.message
    assert len(api_requests(sandbox, "POST")) == 1  # unsafe: never repeated
    assert run("get_contact", {"contact_id": "1"})["contactAutomations"] == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contact_id": "999", "automation_id": "1"}, "No contact with id 999 exists."),
        ({"contact_id": "1", "automation_id": "999"}, "No automation with id 999 exists."),
    ],
)
def test_add_contact_to_automation_with_unknown_ids_is_activecampaigns_422(run, data, message):
    with pytest.raises(UpstreamValidation) as info:
        run("add_contact_to_automation", data)
    assert info.value.status == 422 and message in info.value.message


def test_add_contact_to_automation_is_not_retried_after_a_server_error(run, sandbox):
    sandbox.faults.add("POST /api/3/contactAutomations", [502])
    with pytest.raises(OutcomeUnknown) as info:
        run("add_contact_to_automation", {"contact_id": "1", "automation_id": "1"})
    assert "not repeated" in info.value.message
    assert len(api_requests(sandbox, "POST")) == 1


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"contact_id": "1"}, "/automation_id", "required"),
        ({"automation_id": "1"}, "/contact_id", "required"),
        ({"contact_id": "1", "automation_id": "welcome"}, "/automation_id", "pattern"),
        ({"contact_id": 1, "automation_id": "1"}, "/contact_id", "type"),
        ({"contact_id": "1", "automation_id": "1", "start_at": "x"}, "/start_at", "additionalProperties"),
    ],
)
def test_add_contact_to_automation_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "add_contact_to_automation", data)
