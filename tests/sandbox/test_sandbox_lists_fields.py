"""Lists, list memberships, custom fields, field options, field relations and field values."""

from __future__ import annotations

import httpx

from sandbox import Sandbox

NEW_LIST = {
    "name": "Weekly digest",
    "stringid": "weekly-digest",
    "sender_url": "https://example.com",
    "sender_reminder": "You signed up on example.com",
}


def test_list_lifecycle(client: httpx.Client) -> None:
    created = client.post("/lists", json={"list": NEW_LIST})
    assert created.status_code == 201
    lst = created.json()["list"]
    assert (lst["name"], lst["user"], lst["userid"]) == ("Weekly digest", 1, 1)
    got = client.get(f"/lists/{lst['id']}").json()["list"]
    assert got["stringid"] == "weekly-digest" and got["user"] == "1"
    assert [x["id"] for x in client.get("/lists", params={"filters[name]": "weekly"}).json()["lists"]] == [lst["id"]]
    assert client.delete(f"/lists/{lst['id']}").json() == {}
    assert client.get(f"/lists/{lst['id']}").json() == {"message": f"No Result found for _List with id {lst['id']}"}
    gone = client.delete(f"/lists/{lst['id']}")
    assert (gone.status_code, gone.json()) == (403, {"message": f"No Result found for _List with id {lst['id']}"})


def test_list_validation(client: httpx.Client) -> None:
    for missing in ("name", "stringid", "sender_url", "sender_reminder"):
        body = {k: v for k, v in NEW_LIST.items() if k != missing}
        response = client.post("/lists", json={"list": body})
        assert response.status_code == 422
        assert response.json()["errors"][0]["source"]["pointer"] == f"/data/attributes/{missing}"


def test_list_filters_ops_orders_and_paging(client: httpx.Client, sb: Sandbox) -> None:
    sb.load_fixture(lists=150)
    first = client.get("/lists", params={"limit": 100}).json()
    second = client.get("/lists", params={"limit": 100, "offset": 100}).json()
    ids = [x["id"] for x in first["lists"] + second["lists"]]
    assert first["meta"]["total"] == "152" and len(ids) == len(set(ids)) == 152
    assert len(client.get("/lists", params={"filters[name][starts_with]": "news"}).json()["lists"]) == 1
    names = [x["name"] for x in client.get("/lists", params={"orders[name]": "DESC", "limit": 2}).json()["lists"]]
    assert names == ["Newsletter", "Fixture list 1-99"]


def test_memberships_subscribe_unsubscribe_upsert(client: httpx.Client) -> None:
    body = {"contactList": {"list": 2, "contact": 2, "status": 1}}
    first = client.post("/contactLists", json=body)
    assert first.status_code == 200
    membership = first.json()["contactList"]
    assert (membership["status"], membership["list"], membership["contact"]) == (1, "2", "2")
    assert first.json()["contacts"][0]["id"] == "2"
    second = client.post("/contactLists", json={"contactList": {"list": "2", "contact": "2", "status": 2}})
    assert second.json()["contactList"]["id"] == membership["id"]
    listed = client.get("/contacts/2/contactLists").json()["contactLists"]
    assert [(m["list"], m["status"]) for m in listed] == [("2", "2")]
    assert client.get("/contacts", params={"listid": 2, "status": 2}).json()["meta"]["total"] == "1"


def test_membership_errors(client: httpx.Client) -> None:
    assert (
        client.post("/contactLists", json={"contactList": {"list": 99, "contact": 1, "status": 1}}).json()["errors"][0]["code"]
        == "related_missing"
    )
    assert (
        client.post("/contactLists", json={"contactList": {"list": 1, "contact": 99, "status": 1}}).json()["errors"][0]["code"]
        == "related_missing"
    )
    assert (
        client.post("/contactLists", json={"contactList": {"list": 1, "contact": 1, "status": 7}}).json()["errors"][0]["code"]
        == "field_invalid"
    )
    assert (
        client.post("/contactLists", json={"contactList": {"list": 1, "contact": 1}}).json()["errors"][0]["code"]
        == "field_missing"
    )


def test_deleting_a_list_removes_memberships(client: httpx.Client, sb: Sandbox) -> None:
    assert client.delete("/lists/1").status_code == 200
    assert client.get("/contacts/1/contactLists").json() == {"contactLists": []}
    assert sb.store["contactLists"].where("list", "1") == []


def test_custom_field_lifecycle_with_options_and_relations(client: httpx.Client) -> None:
    created = client.post("/fields", json={"field": {"title": "Favourite colour", "type": "dropdown"}})
    assert created.status_code == 201
    field = created.json()["field"]
    assert field["perstag"] == "FAVOURITE_COLOUR"
    options = client.post(
        "/fieldOption/bulk",
        json={
            "fieldOptions": [{"field": field["id"], "value": "Red", "label": "Red"}, {"field": field["id"], "value": "Blue"}]
        },
    )
    assert options.status_code == 201
    assert [(o["value"], o["label"], o["orderid"]) for o in options.json()["fieldOptions"]] == [
        ("Red", "Red", 1),
        ("Blue", "Blue", 2),
    ]
    rel = client.post("/fieldRels", json={"fieldRel": {"field": field["id"], "relid": 2}})
    assert rel.status_code == 201 and rel.json()["fieldRel"]["relid"] == 2
    got = client.get(f"/fields/{field['id']}").json()
    assert len(got["field"]["options"]) == 2 and got["field"]["relations"] == [rel.json()["fieldRel"]["id"]]
    assert [o["value"] for o in got["fieldOptions"]] == ["Red", "Blue"]
    listed = client.get("/fields").json()
    assert listed["meta"]["total"] == "3" and len(listed["fieldRels"]) == 3
    assert client.get("/fields", params={"filters[perstag]": "favourite_colour"}).json()["fields"][0]["id"] == field["id"]
    assert client.delete(f"/fields/{field['id']}").json() == {}
    assert client.get(f"/fields/{field['id']}").status_code == 404


def test_custom_field_errors(client: httpx.Client) -> None:
    dup = client.post("/fields", json={"field": {"title": "birthday", "type": "date"}})
    assert dup.status_code == 422
    assert dup.json() == {
        "errors": [
            {
                "title": "There is already a field with this title",
                "detail": "There is already a field named 'birthday' -- choose another name",
                "code": "duplicate",
            }
        ]
    }
    assert client.post("/fields", json={"field": {"title": "X"}}).json()["errors"][0]["code"] == "field_missing"
    assert (
        client.post("/fields", json={"field": {"title": "X", "type": "colour"}}).json()["errors"][0]["code"] == "field_invalid"
    )
    bulk = client.post("/fieldOption/bulk", json={"fieldOption": {"field": "1", "value": "x"}})
    assert bulk.json() == {"errors": "Bulk operation failed. Request must contain an array of fieldOption objects."}
    assert isinstance(
        client.post("/fieldOption/bulk", json={"fieldOptions": [{"field": "99", "value": "x"}]}).json()["errors"], str
    )


def test_field_values_create_read_update_delete_and_filters(client: httpx.Client) -> None:
    created = client.post(
        "/fieldValues", json={"fieldValue": {"contact": 2, "field": 1, "value": "51-200"}, "useDefaults": True}
    )
    assert created.status_code == 200
    value = created.json()["fieldValue"]
    assert (value["contact"], value["field"], value["owner"], value["value"]) == (2, 1, 2, "51-200")
    assert created.json()["contacts"][0]["id"] == "2"
    vid = value["id"]
    assert client.get(f"/fieldValues/{vid}").json()["fieldValue"]["contact"] == "2"
    again = client.post("/fieldValues", json={"fieldValue": {"contact": 2, "field": 1, "value": "1-10"}})
    assert again.json()["fieldValue"]["id"] == vid  # second create for the same contact+field updates
    assert [v["contact"] for v in client.get("/fieldValues", params={"filters[fieldid]": 1}).json()["fieldValues"]] == [
        "1",
        "2",
    ]
    assert [v["id"] for v in client.get("/fieldValues", params={"filters[val]": "1-10"}).json()["fieldValues"]] == [vid]
    updated = client.put(f"/fieldValues/{vid}", json={"fieldValue": {"contact": 2, "field": 1, "value": "11-50"}})
    assert updated.status_code == 200 and updated.json()["fieldValue"]["value"] == "11-50"
    assert client.delete(f"/fieldValues/{vid}").json() == {}
    for call in (client.get, client.delete):
        missing = call(f"/fieldValues/{vid}")
        assert (missing.status_code, missing.json()) == (403, {"message": f"No Result found for FieldValue with id {vid}"})


def test_datetime_field_values_are_converted_to_the_account_zone(client: httpx.Client) -> None:
    field = client.post("/fields", json={"field": {"title": "Demo at", "type": "datetime"}}).json()["field"]
    value = client.post(
        "/fieldValues", json={"fieldValue": {"contact": 1, "field": field["id"], "value": "2024-11-01T13:05:00-06:00"}}
    ).json()
    assert value["fieldValue"]["value"] == "2024-11-01T14:05:00-05:00"


def test_field_value_errors(client: httpx.Client) -> None:
    for body, pointer in (
        ({"contact": 99, "field": 1, "value": "x"}, "contact"),
        ({"contact": 1, "field": 99, "value": "x"}, "field"),
        ({"contact": 1, "field": 1}, "value"),
    ):
        errors = client.post("/fieldValues", json={"fieldValue": body}).json()["errors"]
        assert errors[0]["source"]["pointer"] == f"/data/attributes/{pointer}"
