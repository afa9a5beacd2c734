"""Lists: create, list (filter, order, paging), the list dropdown, and subscribing a contact, through the
engine against the sandbox. Seeded: lists 1 "Newsletter" (Jane subscribed) and 2 "Customers"."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import AuthenticationError, UpstreamValidation

NEW_LIST = {
    "name": "Monthly newsletter",
    "string_id": "monthly-newsletter",
    "sender_url": "https://www.example.com",
    "sender_reminder": "You signed up for our monthly newsletter on example.com.",
}


# -- create ----------------------------------------------------------------------------------
def test_create_list_sends_the_required_fields_and_defaults(run, sandbox):
    out = run("create_list", NEW_LIST)
    assert api_requests(sandbox, "POST")[-1].body == {
        "list": {
            "name": "Monthly newsletter",
            "stringid": "monthly-newsletter",
            "sender_url": "https://www.example.com",
            "sender_reminder": "You signed up for our monthly newsletter on example.com.",
            "channel": "email",
            "send_last_broadcast": 0,
        }
    }
    created = out["list"]
    assert (created["name"], created["stringid"], created["channel"]) == ("Monthly newsletter", "monthly-newsletter", "email")
    found = run("list_lists", {"name": "monthly"})["lists"]
    assert [(x["id"], x["name"]) for x in found] == [(created["id"], "Monthly newsletter")]


def test_create_list_with_the_advanced_fields(run, sandbox):
    out = run(
        "create_list",
        {
            **NEW_LIST,
            "channel": "sms",
            "send_last_broadcast": True,
            "user_id": "2",
            "carboncopy": "boss@example.com",
            "subscription_notify": "a@example.com,b@example.com",
            "unsubscription_notify": "a@example.com",
        },
    )
    body = api_requests(sandbox, "POST")[-1].body["list"]
    assert (body["channel"], body["send_last_broadcast"], body["user"]) == ("sms", 1, "2")
    assert body["subscription_notify"] == "a@example.com,b@example.com"
    created = out["list"]
    assert str(created["user"]) == "2" and created["channel"] == "sms"
    assert created["carboncopy"] == "boss@example.com"


def test_create_list_with_a_blank_reminder_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_list", {**NEW_LIST, "sender_reminder": "   "})
    assert info.value.status == 422 and "sender_reminder" in info.value.message


def test_create_list_without_permission(run, sandbox):
    sandbox.faults.add(
        "POST /api/3/lists",
        [403],
        body={"errors": [{"status": 403, "title": "Forbidden", "detail": "You do not have permission to create lists."}]},
    )
    with pytest.raises(AuthenticationError) as info:
        run("create_list", NEW_LIST)
    assert "You do not have permission to create lists." in info.value.message
    assert len(api_requests(sandbox, "POST")) == 1


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({k: v for k, v in NEW_LIST.items() if k != "sender_reminder"}, "/sender_reminder", "required"),
        ({k: v for k, v in NEW_LIST.items() if k != "string_id"}, "/string_id", "required"),
        ({**NEW_LIST, "string_id": "monthly newsletter"}, "/string_id", "pattern"),
        ({**NEW_LIST, "sender_url": "www example com"}, "/sender_url", "format"),
        ({**NEW_LIST, "name": ""}, "/name", "minLength"),
        ({**NEW_LIST, "channel": "fax"}, "/channel", "oneOf"),
        ({**NEW_LIST, "user_id": "admin"}, "/user_id", "pattern"),
    ],
)
def test_create_list_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_list", data)


# -- list ------------------------------------------------------------------------------------
def test_list_lists_filter_and_order(run, sandbox):
    assert [x["name"] for x in run("list_lists")["lists"]] == ["Newsletter", "Customers"]
    assert [x["name"] for x in run("list_lists", {"order_by_name": "ASC"})["lists"]] == ["Customers", "Newsletter"]
    assert api_requests(sandbox, "GET")[-1].query["orders[name]"] == ["ASC"]
    out = run("list_lists", {"name": "custom"})
    assert [x["id"] for x in out["lists"]] == ["2"] and out["total"] == 1
    assert api_requests(sandbox, "GET")[-1].query["filters[name]"] == ["custom"]


def test_list_lists_pages_past_100(run, sandbox):
    sandbox.load_fixture(lists=150)
    first = run("list_lists", {"limit": 100})
    assert (len(first["lists"]), first["total"], first["has_more"], first["next_offset"]) == (100, 152, True, 100)
    rest = run("list_lists", {"limit": 100, "offset": 100})
    assert (len(rest["lists"]), rest["has_more"]) == (52, False)
    everything = run("list_lists", {"return_all": True})
    ids = [x["id"] for x in everything["lists"]]
    assert len(ids) == len(set(ids)) == 152 and everything["has_more"] is False
    capped = run("list_lists", {"return_all": True, "max_items": 120})
    assert len(capped["lists"]) == 120 and capped["has_more"] is True
    assert [x["id"] for x in capped["lists"]] == ids[:120]


def test_list_dropdown_pages_and_searches(connector, auth, sandbox):
    sandbox.load_fixture(lists=150)
    first = connector.options("add_contact_to_list", "list_id", {}, auth)
    assert first["result"][:2] == [{"text": "Newsletter", "value": "1"}, {"text": "Customers", "value": "2"}]
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    second = connector.options("add_contact_to_list", "list_id", {}, auth, offset=first["next_offset"])
    assert len(second["result"]) == 52 and second["next_offset"] is None
    assert connector.options("list_contacts", "list_id", {}, auth, search="news")["result"] == [
        {"text": "Newsletter", "value": "1"}
    ]


# -- subscribe -------------------------------------------------------------------------------
def test_add_contact_to_list_subscribes_then_unsubscribes(run, sandbox):
    out = run("add_contact_to_list", {"contact_id": "2", "list_id": "2"})
    assert api_requests(sandbox, "POST")[-1].body == {"contactList": {"list": "2", "contact": "2", "status": 1}}
    assert (out["contactList"]["contact"], out["contactList"]["list"], str(out["contactList"]["status"])) == ("2", "2", "1")
    assert [c["id"] for c in run("list_contacts", {"list_id": "2", "status": 1})["contacts"]] == ["2"]

    run("add_contact_to_list", {"contact_id": "2", "list_id": "2", "status": 2})
    assert run("list_contacts", {"list_id": "2", "status": 1})["contacts"] == []
    assert [c["id"] for c in run("list_contacts", {"list_id": "2", "status": 2})["contacts"]] == ["2"]
    memberships = run("get_contact", {"contact_id": "2"})["contactLists"]
    assert [(m["list"], m["status"]) for m in memberships] == [("2", "2")]  # one membership, updated


def test_add_contact_to_list_resubscribe_sends_source_4(run, sandbox):
    run("add_contact_to_list", {"contact_id": "1", "list_id": "1", "status": 2})
    run("add_contact_to_list", {"contact_id": "1", "list_id": "1", "resubscribe": True})
    assert api_requests(sandbox, "POST")[-1].body == {"contactList": {"list": "1", "contact": "1", "status": 1, "sourceid": 4}}
    membership = run("get_contact", {"contact_id": "1"})["contactLists"][0]
    assert (membership["status"], membership["sourceid"]) == ("1", "4")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contact_id": "1", "list_id": "999"}, "No list with id 999 exists."),
        ({"contact_id": "999", "list_id": "1"}, "No contact with id 999 exists."),
    ],
)
def test_add_contact_to_list_with_unknown_ids_is_activecampaigns_422(run, data, message):
    with pytest.raises(UpstreamValidation) as info:
        run("add_contact_to_list", data)
    assert info.value.status == 422 and message in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"contact_id": "1"}, "/list_id", "required"),
        ({"contact_id": "1", "list_id": "1", "status": 0}, "/status", "oneOf"),
        ({"contact_id": "1", "list_id": "1", "resubscribe": "yes"}, "/resubscribe", "type"),
        ({"contact_id": "1;2", "list_id": "1"}, "/contact_id", "pattern"),
    ],
)
def test_add_contact_to_list_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "add_contact_to_list", data)
