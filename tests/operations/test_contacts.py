"""Contacts: create, create/update (sync), get, update, delete, list with filters and paging, the contact,
tag and note dropdowns, and deleting a contact note, all through the engine against the sandbox."""

from __future__ import annotations

import pytest

from engine.errors import AlreadyExists, NotFound, UpstreamValidation, ValidationError

JANE = {"id": "1", "email": "jane.doe@example.com", "firstName": "Jane", "lastName": "Doe"}
JOHN = {"id": "2", "email": "john.smith@example.com", "firstName": "John", "lastName": "Smith"}


def api_requests(sandbox, method: str | None = None, path: str | None = None):
    return [r for r in sandbox.log.matching(method, path) if r.path.startswith("/api/3")]


def last_body(sandbox, method: str):
    return api_requests(sandbox, method)[-1].body


def make_field(run, title: str, kind: str, options: tuple[str, ...] = ()) -> str:
    """A custom field of one type (with options for the choice types), made over the API."""
    field = run("raw_http_request", {"method": "POST", "path": "/fields", "body": {"field": {"title": title, "type": kind}}})[
        "body"
    ]["field"]
    if options:
        run(
            "raw_http_request",
            {
                "method": "POST",
                "path": "/fieldOption/bulk",
                "body": {"fieldOptions": [{"field": field["id"], "value": o, "label": o} for o in options]},
            },
        )
    return field["id"]


def values_of(run, contact_id: str) -> dict[str, str]:
    return {str(v["field"]): v["value"] for v in run("get_contact", {"contact_id": contact_id})["fieldValues"]}


def all_ids(contacts: list[dict]) -> list[int]:
    return [int(c["id"]) for c in contacts]


# -- create ----------------------------------------------------------------------------------
def test_create_contact_sends_only_the_fields_given(run, sandbox):
    out = run("create_contact", {"email": "ada@example.com", "first_name": "Ada"})
    assert last_body(sandbox, "POST") == {"contact": {"email": "ada@example.com", "firstName": "Ada"}}
    contact = out["contact"]
    assert contact["email"] == "ada@example.com" and contact["firstName"] == "Ada"
    stored = run("get_contact", {"contact_id": contact["id"]})["contact"]
    assert (stored["email"], stored["firstName"], stored["lastName"]) == ("ada@example.com", "Ada", "")


def test_create_contact_with_custom_field_values_of_every_type(run, sandbox):
    ids = {
        "text": make_field(run, "Favourite colour", "text"),
        "textarea": make_field(run, "About", "textarea"),
        "date": "2",  # seeded Birthday
        "datetime": make_field(run, "Last call", "datetime"),
        "dropdown": "1",  # seeded Company Size: 1-10, 11-50, 51-200
        "radio": make_field(run, "Plan", "radio", ("Basic", "Pro")),
        "checkbox": make_field(run, "Channels", "checkbox", ("Email", "Phone", "SMS")),
        "listbox": make_field(run, "Interests", "listbox", ("Books", "Music")),
    }
    given = {
        "text": "Blue",
        "textarea": "Line one\nLine two",
        "date": "1990-04-12",
        "datetime": "2024-11-01T13:05:00-05:00",
        "dropdown": "51-200",
        "radio": "Pro",
        "checkbox": ["Email", "SMS"],
        "listbox": ["Music"],
    }
    out = run(
        "create_contact",
        {"email": "ada@example.com", "field_values": [{"field": ids[kind], "value": value} for kind, value in given.items()]},
    )
    sent = {fv["field"]: fv["value"] for fv in last_body(sandbox, "POST")["contact"]["fieldValues"]}
    assert sent[ids["checkbox"]] == "||Email||SMS||" and sent[ids["listbox"]] == "||Music||"
    assert sent[ids["text"]] == "Blue" and sent[ids["date"]] == "1990-04-12"
    assert {str(v["field"]) for v in out["fieldValues"]} == set(ids.values())
    stored = values_of(run, out["contact"]["id"])
    assert stored[ids["checkbox"]] == "||Email||SMS||"
    assert stored[ids["radio"]] == "Pro" and stored[ids["textarea"]] == "Line one\nLine two"
    assert stored[ids["datetime"]].startswith("2024-11-01T13:05")


def test_create_contact_with_a_taken_email_is_already_exists(run, sandbox):
    with pytest.raises(AlreadyExists) as info:
        run("create_contact", {"email": JANE["email"], "first_name": "Other"})
    assert info.value.status == 422
    assert "Email address already exists in the system" in info.value.message
    assert len(api_requests(sandbox, "POST")) == 1  # a create is never retried


def test_create_contact_with_an_unknown_custom_field_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_contact", {"email": "ada@example.com", "field_values": [{"field": "999", "value": "x"}]})
    assert info.value.status == 422 and "No custom field with id 999" in info.value.message


# -- create or update (sync) -----------------------------------------------------------------
def test_create_or_update_contact_creates_then_updates_the_same_contact(run, sandbox):
    created = run("create_or_update_contact", {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})[
        "contact"
    ]
    assert api_requests(sandbox, "POST")[-1].path == "/api/3/contact/sync"
    updated = run("create_or_update_contact", {"email": "ada@example.com", "phone": "+44 20 7946 0000"})["contact"]
    assert last_body(sandbox, "POST") == {"contact": {"email": "ada@example.com", "phone": "+44 20 7946 0000"}}
    assert updated["id"] == created["id"]
    found = run("list_contacts", {"email": "ada@example.com"})
    assert found["total"] == 1
    stored = found["contacts"][0]
    assert (stored["firstName"], stored["lastName"], stored["phone"]) == ("Ada", "Lovelace", "+44 20 7946 0000")


def test_create_or_update_contact_sets_custom_field_values_of_an_existing_contact(run, sandbox):
    channels = make_field(run, "Channels", "checkbox", ("Email", "Phone"))
    out = run(
        "create_or_update_contact",
        {
            "email": JANE["email"],
            "field_values": [{"field": "1", "value": "51-200"}, {"field": channels, "value": ["Email", "Phone"]}],
        },
    )
    assert out["contact"]["id"] == JANE["id"]
    stored = values_of(run, JANE["id"])
    assert stored == {"1": "51-200", channels: "||Email||Phone||"}  # updated in place, not duplicated
    assert run("get_contact", {"contact_id": JANE["id"]})["contact"]["firstName"] == "Jane"


def test_create_or_update_contact_with_an_invalid_date_time_is_activecampaigns_422(run):
    when = make_field(run, "Last call", "datetime")
    with pytest.raises(UpstreamValidation) as info:
        run("create_or_update_contact", {"email": JANE["email"], "field_values": [{"field": when, "value": "soon"}]})
    assert info.value.status == 422 and "could not be saved" in info.value.message


# -- get -------------------------------------------------------------------------------------
def test_get_contact_returns_the_contact_with_its_related_records(run):
    out = run("get_contact", {"contact_id": JANE["id"]})
    assert {k: out["contact"][k] for k in JANE} == JANE
    assert [(m["list"], str(m["status"])) for m in out["contactLists"]] == [("1", "1")]
    assert [(v["field"], v["value"]) for v in out["fieldValues"]] == [("1", "11-50")]
    assert [d["title"] for d in out["deals"]] == ["Example Widget renewal"]
    assert out["contactAutomations"] == []


def test_get_contact_not_found(run):
    with pytest.raises(NotFound) as info:
        run("get_contact", {"contact_id": "999"})
    assert info.value.status == 404 and "No Result found for Subscriber with id 999" in info.value.message


# -- update ----------------------------------------------------------------------------------
def test_update_contact_sends_and_changes_only_the_fields_given(run, sandbox):
    out = run("update_contact", {"contact_id": JOHN["id"], "phone": "+1 312 555 0199"})
    request = api_requests(sandbox, "PUT")[-1]
    assert request.path == "/api/3/contacts/2"
    assert request.body == {"contact": {"phone": "+1 312 555 0199"}}
    assert out["contact"]["phone"] == "+1 312 555 0199"
    stored = run("get_contact", {"contact_id": JOHN["id"]})["contact"]
    assert {k: stored[k] for k in JOHN} == JOHN and stored["phone"] == "+1 312 555 0199"


def test_update_contact_email_and_custom_field_values(run):
    channels = make_field(run, "Channels", "listbox", ("Email", "Phone"))
    run(
        "update_contact",
        {
            "contact_id": JOHN["id"],
            "email": "john@example.org",
            "first_name": "Johnny",
            "field_values": [{"field": channels, "value": ["Phone"]}, {"field": "2", "value": "1985-02-01"}],
        },
    )
    stored = run("get_contact", {"contact_id": JOHN["id"]})
    assert (stored["contact"]["email"], stored["contact"]["firstName"]) == ("john@example.org", "Johnny")
    assert values_of(run, JOHN["id"]) == {channels: "||Phone||", "2": "1985-02-01"}


def test_update_contact_not_found(run):
    with pytest.raises(NotFound) as info:
        run("update_contact", {"contact_id": "999", "first_name": "Nobody"})
    assert "No Result found for Subscriber with id 999" in info.value.message


def test_update_contact_to_another_contacts_email_is_already_exists(run):
    with pytest.raises(AlreadyExists) as info:
        run("update_contact", {"contact_id": JOHN["id"], "email": JANE["email"]})
    assert "Email address already exists" in info.value.message
    assert run("get_contact", {"contact_id": JOHN["id"]})["contact"]["email"] == JOHN["email"]


# -- delete ----------------------------------------------------------------------------------
def test_delete_contact_says_what_it_deleted(run, sandbox):
    assert run("delete_contact", {"contact_id": JOHN["id"]}) == {"deleted": True, "id": JOHN["id"]}
    assert api_requests(sandbox, "DELETE")[-1].path == "/api/3/contacts/2"
    with pytest.raises(NotFound):
        run("get_contact", {"contact_id": JOHN["id"]})
    assert [c["id"] for c in run("list_contacts")["contacts"]] == [JANE["id"]]


def test_delete_contact_not_found(run):
    with pytest.raises(NotFound) as info:
        run("delete_contact", {"contact_id": "999"})
    assert info.value.status == 404 and "No result found for contact with id 999" in info.value.message


# -- bad input: refused with the field's pointer, nothing sent -------------------------------
@pytest.mark.parametrize(
    ("operation", "data", "pointer", "keyword"),
    [
        ("create_contact", {"first_name": "Ada"}, "/email", "required"),
        ("create_contact", {"email": "ada at example.com"}, "/email", "format"),
        (
            "create_contact",
            {"email": "a@example.com", "field_values": [{"field": "1", "value": []}]},
            "/field_values/0/value",
            "oneOf",
        ),
        ("create_contact", {"email": "a@example.com", "field_values": [{"field": "1"}]}, "/field_values/0/value", "required"),
        ("create_or_update_contact", {"first_name": "Ada"}, "/email", "required"),
        (
            "create_or_update_contact",
            {"email": "a@example.com", "field_values": [{"field": "one", "value": "x"}]},
            "/field_values/0/field",
            "pattern",
        ),
        ("update_contact", {"first_name": "Ada"}, "/contact_id", "required"),
        ("update_contact", {"contact_id": "2/../1", "first_name": "Ada"}, "/contact_id", "pattern"),
        ("update_contact", {"contact_id": "2", "email": "not-an-email"}, "/email", "format"),
        ("update_contact", {"contact_id": "2", "last_name": "x" * 256}, "/last_name", "maxLength"),
        ("delete_contact", {"contact_id": 2}, "/contact_id", "type"),
        ("delete_contact", {}, "/contact_id", "required"),
        ("list_contacts", {"created_after": "last week"}, "/created_after", "format"),
        ("list_contacts", {"updated_before": "2024-13-01"}, "/updated_before", "format"),
        ("list_contacts", {"status": 7}, "/status", "oneOf"),
        ("list_contacts", {"order_by": "score"}, "/order_by", "oneOf"),
        ("list_contacts", {"limit": 500}, "/limit", "maximum"),
        ("list_contacts", {"email": "jane"}, "/email", "format"),
        ("list_contacts", {"list_id": "newsletter"}, "/list_id", "pattern"),
        ("delete_contact_note", {"contact_id": "1"}, "/note_id", "required"),
        ("list_contact_notes_ddl", {}, "/contact_id", "required"),
    ],
)
def test_bad_input_is_refused_before_sending(connector, auth, sandbox, operation, data, pointer, keyword):
    with pytest.raises(ValidationError) as info:
        connector.run(operation, data, auth)
    assert {"pointer": pointer, "keyword": keyword} in [
        {"pointer": e["pointer"], "keyword": e["keyword"]} for e in info.value.errors
    ]
    assert pointer in info.value.message
    assert api_requests(sandbox) == []


# -- list: filters and orders ------------------------------------------------------------------
@pytest.fixture
def three_contacts(run):
    """The two seeded contacts (created 2024-01-16, Jane on list 1 with tag 1) and one created now."""
    ada = run(
        "create_contact",
        {"email": "ada@math.example.org", "first_name": "Ada", "last_name": "Byron", "phone": "+44 20 7946 0000"},
    )["contact"]
    return ada["id"]


@pytest.mark.parametrize(
    ("data", "sent", "expected"),
    [
        ({"email": "john.smith@example.com"}, {"email": "john.smith@example.com"}, ["2"]),
        ({"email_like": "@example.com"}, {"email_like": "@example.com"}, ["1", "2"]),
        ({"search": "byron"}, {"search": "byron"}, ["3"]),
        ({"list_id": "1"}, {"listid": "1"}, ["1"]),
        ({"list_id": "1", "status": 1}, {"listid": "1", "status": "1"}, ["1"]),
        ({"list_id": "1", "status": 2}, {"listid": "1", "status": "2"}, []),
        ({"tag_id": "1"}, {"tagid": "1"}, ["1"]),
        ({"created_before": "2024-02-01"}, {"filters[created_before]": "2024-02-01"}, ["1", "2"]),
        ({"created_after": "2025-01-01"}, {"filters[created_after]": "2025-01-01"}, ["3"]),
        ({"updated_after": "2025-01-01"}, {"filters[updated_after]": "2025-01-01"}, ["3"]),
        ({"phone": "+44"}, {"phone": "+44"}, ["3"]),
        ({"id_greater": "1"}, {"id_greater": "1"}, ["2", "3"]),
        ({"id_less": "3"}, {"id_less": "3"}, ["1", "2"]),
    ],
)
def test_list_contacts_filters(run, sandbox, three_contacts, data, sent, expected):
    out = run("list_contacts", data)
    query = api_requests(sandbox, "GET", "/api/3/contacts")[-1].query
    assert {k: query[k] for k in sent} == {k: [v] for k, v in sent.items()}
    assert sorted(c["id"] for c in out["contacts"]) == expected
    assert out["total"] == len(expected) and out["has_more"] is False


def test_list_contacts_status_any_is_not_sent(run, sandbox):
    run("list_contacts", {"status": -1, "list_id": "1"})
    assert "status" not in api_requests(sandbox, "GET")[-1].query


def test_list_contacts_by_automation(run, sandbox):
    run("add_contact_to_automation", {"contact_id": JOHN["id"], "automation_id": "2"})
    out = run("list_contacts", {"automation_id": "2"})
    assert api_requests(sandbox, "GET")[-1].query["seriesid"] == ["2"]
    assert [c["id"] for c in out["contacts"]] == [JOHN["id"]]


@pytest.mark.parametrize(
    ("order_by", "direction", "key"),
    [
        ("email", "DESC", lambda c: c["email"]),
        ("first_name", "ASC", lambda c: c["firstName"]),
        ("last_name", "DESC", lambda c: c["lastName"]),
        ("id", "DESC", lambda c: int(c["id"])),
    ],
)
def test_list_contacts_orders(run, sandbox, three_contacts, order_by, direction, key):
    out = run("list_contacts", {"order_by": order_by, "order_direction": direction})
    query = api_requests(sandbox, "GET")[-1].query
    assert query[f"orders[{order_by}]"] == [direction]
    assert [k for k in query if k.startswith("orders[")] == [f"orders[{order_by}]"]
    assert out["contacts"] == sorted(out["contacts"], key=key, reverse=direction == "DESC")
    assert len(out["contacts"]) == 3


# -- list: paging ------------------------------------------------------------------------------
def test_list_contacts_single_pages_past_100(run, sandbox):
    sandbox.load_fixture(contacts=250)
    first = run("list_contacts", {"limit": 100})
    assert (len(first["contacts"]), first["total"], first["has_more"], first["next_offset"]) == (100, 252, True, 100)
    second = run("list_contacts", {"limit": 100, "offset": first["next_offset"]})
    third = run("list_contacts", {"limit": 100, "offset": second["next_offset"]})
    assert (len(third["contacts"]), third["has_more"], third["next_offset"]) == (52, False, None)
    ids = all_ids(first["contacts"] + second["contacts"] + third["contacts"])
    assert len(set(ids)) == 252


def test_list_contacts_return_all_pages_after_the_last_id(run, sandbox):
    sandbox.load_fixture(contacts=250)
    out = run("list_contacts", {"return_all": True})
    ids = all_ids(out["contacts"])
    assert ids == sorted(set(ids)) and len(ids) == 252
    assert out["has_more"] is False and out["total"] == 252
    pages = api_requests(sandbox, "GET", "/api/3/contacts")
    assert len(pages) == 3
    assert all(p.query["orders[id]"] == ["ASC"] and p.query["limit"] == ["100"] and "offset" not in p.query for p in pages)
    assert "id_greater" not in pages[0].query
    assert [p.query["id_greater"] for p in pages[1:]] == [[str(ids[99])], [str(ids[199])]]


def test_list_contacts_return_all_nothing_lost_when_contacts_are_deleted_meanwhile(run, sandbox, connector, auth):
    sandbox.load_fixture(contacts=250)
    seen = []
    for contact in connector.stream("list_contacts", {"return_all": True}, auth):
        seen.append(int(contact["id"]))
        if len(seen) == 50:  # while the first page is being read, contacts already listed are deleted
            for cid in seen[:20]:
                run("delete_contact", {"contact_id": str(cid)})
    assert len(seen) == 252 and seen == sorted(set(seen))


def test_list_contacts_return_all_with_a_cap(run, sandbox):
    sandbox.load_fixture(contacts=250)
    out = run("list_contacts", {"return_all": True, "max_items": 150})
    assert len(out["contacts"]) == 150 and out["has_more"] is True
    assert len(api_requests(sandbox, "GET", "/api/3/contacts")) == 2
    everything = run("list_contacts", {"return_all": True, "max_items": 1000})
    assert len(everything["contacts"]) == 252 and everything["has_more"] is False


def test_list_contacts_return_all_with_a_filter(run, sandbox):
    sandbox.load_fixture(contacts=250, lists=2)
    fixture_list = run("list_lists", {"name": "Fixture list"})["lists"][0]["id"]
    out = run("list_contacts", {"list_id": fixture_list, "return_all": True})
    assert len(out["contacts"]) == 125 and out["has_more"] is False
    pages = api_requests(sandbox, "GET", "/api/3/contacts")
    assert len(pages) == 2 and all(p.query["listid"] == [fixture_list] for p in pages)
    members = {c["id"] for c in out["contacts"]}
    for cid in list(members)[:5]:
        assert fixture_list in [m["list"] for m in run("get_contact", {"contact_id": cid})["contactLists"]]


def test_list_contacts_return_all_in_a_chosen_order_pages_by_offset(run, sandbox):
    sandbox.load_fixture(contacts=250)
    out = run("list_contacts", {"return_all": True, "order_by": "email", "order_direction": "DESC"})
    emails = [c["email"] for c in out["contacts"]]
    assert len(emails) == 252 and emails == sorted(emails, reverse=True)
    pages = api_requests(sandbox, "GET", "/api/3/contacts")
    assert [p.query["offset"] for p in pages] == [["0"], ["100"], ["200"]]
    assert all("id_greater" not in p.query and p.query["orders[email]"] == ["DESC"] for p in pages)


# -- dropdowns -------------------------------------------------------------------------------
def test_contact_dropdown_shows_name_and_email(connector, auth, run):
    run("create_contact", {"email": "no.name@example.com"})
    out = connector.options("get_contact", "contact_id", {}, auth)
    assert out == {
        "result": [
            {"text": "Jane Doe <jane.doe@example.com>", "value": "1"},
            {"text": "John Smith <john.smith@example.com>", "value": "2"},
            {"text": "no.name@example.com", "value": "3"},
        ],
        "next_offset": None,
    }
    assert connector.options("update_contact", "contact_id", {}, auth, search="smith")["result"] == [
        {"text": "John Smith <john.smith@example.com>", "value": "2"}
    ]


def test_contact_dropdown_pages_past_100(connector, auth, sandbox):
    sandbox.load_fixture(contacts=250)
    values: list[str] = []
    offset = None
    pages = 0
    while True:
        out = connector.options("delete_contact", "contact_id", {}, auth, offset=offset)
        values += [o["value"] for o in out["result"]]
        pages += 1
        if out["next_offset"] is None:
            break
        offset = out["next_offset"]
    assert pages == 3 and len(values) == 252 and len(set(values)) == 252
    assert api_requests(sandbox, "GET", "/api/3/contacts")[-1].query["offset"] == ["200"]


def test_tag_dropdown(connector, auth, run):
    run("raw_http_request", {"method": "POST", "path": "/tags", "body": {"tag": {"tag": "VIP", "tagType": "contact"}}})
    out = connector.options("list_contacts", "tag_id", {}, auth)
    assert out["result"] == [{"text": "customer", "value": "1"}, {"text": "VIP", "value": "2"}]
    assert connector.options("list_contacts", "tag_id", {}, auth, search="vi")["result"] == [{"text": "VIP", "value": "2"}]


# -- contact notes ---------------------------------------------------------------------------
def add_note(run, contact_id: str, text: str) -> str:
    return run(
        "raw_http_request",
        {"method": "POST", "path": "/notes", "body": {"note": {"note": text, "relid": contact_id, "reltype": "Subscriber"}}},
    )["body"]["note"]["id"]


def test_delete_contact_note_picked_from_the_contacts_notes(connector, auth, run, sandbox):
    first = add_note(run, JANE["id"], "Called Jane about the renewal.\nShe wants a quote for 20 seats by Friday.")
    second = add_note(run, JANE["id"], "Sent the quote.")
    add_note(run, JOHN["id"], "John is not interested.")
    choices = connector.options("delete_contact_note", "note_id", {"contact_id": JANE["id"]}, auth)["result"]
    assert [c["value"] for c in choices] == [first, second]
    assert choices[0]["text"].startswith("Called Jane about the renewal. She wants a quote")
    assert choices[0]["text"].endswith(")") and len(choices[0]["text"]) < 80
    assert [
        c["value"]
        for c in connector.options("delete_contact_note", "note_id", {"contact_id": JANE["id"]}, auth, search="QUOTE")["result"]
    ] == [first, second]

    assert run("delete_contact_note", {"contact_id": JANE["id"], "note_id": first}) == {"deleted": True, "id": first}
    assert api_requests(sandbox, "DELETE")[-1].path == f"/api/3/notes/{first}"
    remaining = connector.options("delete_contact_note", "note_id", {"contact_id": JANE["id"]}, auth)["result"]
    assert [c["value"] for c in remaining] == [second]


def test_delete_contact_note_not_found(run):
    with pytest.raises(NotFound) as info:
        run("delete_contact_note", {"note_id": "999"})
    assert info.value.status == 403 and "No Result found for Note with id 999" in info.value.message


def test_note_dropdown_needs_a_contact(connector, auth, sandbox):
    with pytest.raises(ValidationError) as info:
        connector.options("delete_contact_note", "note_id", {}, auth)
    assert info.value.errors[0]["pointer"] == "/contact_id"
    assert api_requests(sandbox) == []


# -- the examples shown in the docs run on the seeded account ---------------------------------
FAMILY = (
    "create_contact",
    "create_or_update_contact",
    "get_contact",
    "update_contact",
    "delete_contact",
    "list_contacts",
    "list_contacts_ddl",
    "list_tags_ddl",
    "list_contact_notes_ddl",
    "delete_contact_note",
    "list_automations",
    "list_automations_ddl",
    "add_contact_to_automation",
    "create_list",
    "list_lists",
    "list_lists_ddl",
    "add_contact_to_list",
)


def test_every_example_of_the_family_runs_on_the_seeded_account(connector, auth, sandbox, run):
    ran = 0
    for name in FAMILY:
        described = connector.describe(name)
        assert described["examples"], f"{name} has no example"
        for example in described["examples"]:
            sandbox.reset()
            add_note(run, JANE["id"], "Prefers email.")  # the seeded account has no contact note (this is note 2)
            out = connector.run(name, example["input"], auth)  # strict output checks: the shape must fit too
            assert out, name
            ran += 1
    assert ran >= len(FAMILY)


def test_every_id_field_of_the_family_has_a_dropdown(connector):
    for name in FAMILY:
        described = connector.describe(name)
        with_lookup = {lk["field"] for lk in described["lookups"]}
        properties = described["input"].get("properties", {})
        id_fields = {f"/{k}" for k, v in properties.items() if v.get("pattern") == "^[0-9]+(?!\\n)$"}
        for k, v in properties.items():
            item = v.get("items", {}) if v.get("type") == "array" else {}
            id_fields |= {
                f"/{k}/-/{sub}" for sub, s in item.get("properties", {}).items() if s.get("pattern") == "^[0-9]+(?!\\n)$"
            }
        assert id_fields <= with_lookup, (name, id_fields - with_lookup)


def test_list_contacts_return_all_from_an_offset_pages_by_offset(run, sandbox):
    sandbox.load_fixture(contacts=250)
    out = run("list_contacts", {"return_all": True, "offset": 200})
    assert len(out["contacts"]) == 52 and out["has_more"] is False
    pages = api_requests(sandbox, "GET", "/api/3/contacts")
    assert [p.query["offset"] for p in pages] == [["200"]] and "id_greater" not in pages[0].query


# -- contacts without an email (allowNullEmail) ---------------------------------------------------
# create-a-new-contact: email "is required unless a phone number is provided and the account has opted-in to
# phone only contacts"; allowNullEmail "Option to allow phone-only contacts".
def test_a_phone_only_contact_is_created_with_allow_null_email(run, sandbox):
    out = run("create_contact", {"allow_null_email": True, "phone": "+1 312 555 0142", "first_name": "Pat"})
    assert api_requests(sandbox, "POST")[-1].body == {
        "contact": {"firstName": "Pat", "phone": "+1 312 555 0142", "allowNullEmail": True}
    }
    contact = run("get_contact", {"contact_id": out["contact"]["id"]})["contact"]
    assert (contact["email"], contact["phone"], contact["firstName"]) == ("", "+1 312 555 0142", "Pat")


def test_a_phone_only_contact_is_synced_twice_into_one(run, sandbox):
    first = run("create_or_update_contact", {"allow_null_email": True, "phone": "+1 312 555 0142", "first_name": "Pat"})
    assert api_requests(sandbox, "POST")[-1].status == 201
    again = run("create_or_update_contact", {"allow_null_email": True, "phone": "+1 312 555 0142", "last_name": "Lee"})
    assert api_requests(sandbox, "POST")[-1].body == {
        "contact": {"lastName": "Lee", "phone": "+1 312 555 0142", "allowNullEmail": True}
    }
    assert api_requests(sandbox, "POST")[-1].status == 200
    assert again["contact"]["id"] == first["contact"]["id"] and again["contact"]["email_empty"] is True
    contact = run("get_contact", {"contact_id": first["contact"]["id"]})["contact"]
    assert (contact["firstName"], contact["lastName"]) == ("Pat", "Lee")


@pytest.mark.parametrize("operation", ["create_contact", "create_or_update_contact"])
def test_without_an_email_a_phone_is_required_and_nothing_is_sent(connector, auth, sandbox, operation):
    with pytest.raises(ValidationError) as info:
        connector.run(operation, {"allow_null_email": True, "first_name": "Pat"}, auth)
    assert [(e["pointer"], e["keyword"]) for e in info.value.errors] == [("/phone", "required")]
    with pytest.raises(ValidationError) as info:
        connector.run(operation, {"phone": "+1 312 555 0142"}, auth)
    assert [(e["pointer"], e["keyword"]) for e in info.value.errors] == [("/email", "required")]
    assert api_requests(sandbox) == []


@pytest.mark.parametrize("operation", ["create_contact", "create_or_update_contact"])
def test_an_account_without_phone_only_contacts_refuses_them(run, sandbox, monkeypatch, operation):
    monkeypatch.setattr(sandbox, "phone_only_contacts", False)
    with pytest.raises(UpstreamValidation) as info:
        run(operation, {"allow_null_email": True, "phone": "+1 312 555 0142"})
    assert info.value.status == 422 and "Email address is required" in info.value.message
