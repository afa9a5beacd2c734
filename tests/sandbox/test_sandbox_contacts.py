"""Contacts: state through create/read/update/delete, sync, filters, paging and the cascade."""

from __future__ import annotations

import httpx

from sandbox import Sandbox


def new_contact(client: httpx.Client, email: str, **fields) -> dict:
    response = client.post("/contacts", json={"contact": {"email": email, **fields}})
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def test_create_read_update_delete(client: httpx.Client) -> None:
    created = new_contact(client, "ada@example.com", firstName="Ada", lastName="Lovelace", phone="555")
    cid = created["id"]
    assert isinstance(cid, str) and cid.isdigit()
    assert created["email"] == "ada@example.com" and created["firstName"] == "Ada"
    assert created["cdate"].endswith("-05:00")

    got = client.get(f"/contacts/{cid}").json()
    assert got["contact"]["lastName"] == "Lovelace"
    for sideload in ("contactAutomations", "contactLists", "deals", "fieldValues", "geoAddresses", "geoIps", "accountContacts"):
        assert got[sideload] == []
        if sideload != "geoAddresses":
            assert got["contact"][sideload] == []

    updated = client.put(f"/contacts/{cid}", json={"contact": {"firstName": "Augusta"}})
    assert updated.status_code == 200
    assert updated.json()["contact"]["firstName"] == "Augusta"
    assert updated.json()["contact"]["email"] == "ada@example.com"
    assert client.get(f"/contacts/{cid}").json()["contact"]["firstName"] == "Augusta"

    deleted = client.delete(f"/contacts/{cid}")
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert client.get(f"/contacts/{cid}").status_code == 404
    again = client.delete(f"/contacts/{cid}")
    assert (again.status_code, again.json()) == (404, {"message": f"No result found for contact with id {cid}"})


def test_not_found_message_names_subscriber(client: httpx.Client) -> None:
    response = client.get("/contacts/999999")
    assert (response.status_code, response.json()) == (404, {"message": "No Result found for Subscriber with id 999999"})
    assert client.put("/contacts/999999", json={"contact": {}}).status_code == 404


def test_create_validation_errors(client: httpx.Client) -> None:
    missing = client.post("/contacts", json={"contact": {"firstName": "No email"}})
    assert missing.status_code == 422
    (error,) = missing.json()["errors"]
    assert error["code"] == "field_missing" and error["source"]["pointer"] == "/data/attributes/email"

    invalid = client.post("/contacts", json={"contact": {"email": "not-an-email"}})
    assert invalid.json()["errors"][0]["code"] == "field_invalid"

    new_contact(client, "dup@example.com")
    dup = client.post("/contacts", json={"contact": {"email": "DUP@example.com"}})
    assert dup.status_code == 422
    assert dup.json() == {
        "errors": [
            {
                "title": "Email address already exists in the system",
                "detail": "",
                "code": "duplicate",
                "source": {"pointer": "/data/attributes/email"},
            }
        ]
    }


def test_update_to_another_contacts_email_is_duplicate(client: httpx.Client) -> None:
    new_contact(client, "first@example.com")
    second = new_contact(client, "second@example.com")
    response = client.put(f"/contacts/{second['id']}", json={"contact": {"email": "first@example.com"}})
    assert response.json()["errors"][0]["code"] == "duplicate"


def test_sync_creates_201_then_updates_200(client: httpx.Client) -> None:
    first = client.post("/contact/sync", json={"contact": {"email": "sync@example.com", "firstName": "One"}})
    assert first.status_code == 201
    second = client.post("/contact/sync", json={"contact": {"email": "sync@example.com", "lastName": "Two"}})
    assert second.status_code == 200
    assert second.json()["contact"]["id"] == first.json()["contact"]["id"]
    got = client.get(f"/contacts/{first.json()['contact']['id']}").json()["contact"]
    assert (got["firstName"], got["lastName"]) == ("One", "Two")
    assert client.post("/contact/sync", json={"contact": {}}).json()["errors"][0]["code"] == "field_missing"


def test_field_values_in_contact_body(client: httpx.Client) -> None:
    response = client.post(
        "/contacts", json={"contact": {"email": "fv@example.com", "fieldValues": [{"field": "2", "value": "1990-04-01"}]}}
    )
    assert response.status_code == 201
    (value,) = response.json()["fieldValues"]
    assert (value["field"], value["value"], value["contact"]) == ("2", "1990-04-01", response.json()["contact"]["id"])
    bad = client.post(
        "/contacts", json={"contact": {"email": "fv2@example.com", "fieldValues": [{"field": "999", "value": "x"}]}}
    )
    assert bad.json()["errors"][0]["code"] == "related_missing"


def test_list_filters(client: httpx.Client) -> None:
    a = new_contact(client, "alpha@filter.example", firstName="Alpha", phone="+44 20 7946 0000")
    b = new_contact(client, "beta@filter.example", firstName="Beta")
    client.post("/contactLists", json={"contactList": {"list": "2", "contact": b["id"], "status": 1}})
    client.post("/contactTags", json={"contactTag": {"contact": a["id"], "tag": "1"}})

    def ids(**params) -> list[str]:
        return [c["id"] for c in client.get("/contacts", params=params).json()["contacts"]]

    assert ids(email="ALPHA@filter.example") == [a["id"]]
    assert ids(email_like="filter.example") == [a["id"], b["id"]]
    assert ids(search="beta") == [b["id"]]
    assert ids(listid="2") == [b["id"]]
    assert ids(listid="2", status="2") == []
    assert ids(tagid="1") == ["1", a["id"]]
    assert ids(phone="+44") == [a["id"]]
    assert ids(**{"ids[]": [a["id"], b["id"]]}) == [a["id"], b["id"]]
    assert ids(id_greater=a["id"]) == [b["id"]]
    assert ids(id_less=a["id"]) == ["1", "2"]
    assert ids(**{"orders[id]": "DESC", "limit": 2}) == [b["id"], a["id"]]
    assert ids(**{"orders[email]": "ASC"})[:2] == [a["id"], b["id"]]
    assert ids(**{"filters[created_before]": "2024-02-01"}) == ["1", "2"]
    assert ids(**{"filters[created_after]": "2025-01-01"}) == [a["id"], b["id"]]
    assert ids(**{"filters[updated_after]": "2025-01-01T00:00:00-05:00"}) == [a["id"], b["id"]]


def test_keyset_paging_past_100(client: httpx.Client, sb: Sandbox) -> None:
    sb.load_fixture(contacts=250)
    seen: list[str] = []
    last = 0
    pages = 0
    while True:
        body = client.get("/contacts", params={"orders[id]": "ASC", "id_greater": last, "limit": 100}).json()
        pages += 1
        batch = [c["id"] for c in body["contacts"]]
        seen += batch
        if len(batch) < 100:
            break
        last = int(batch[-1])
    assert pages == 3
    assert len(seen) == len(set(seen)) == 252
    assert seen == sorted(seen, key=int)


def test_offset_paging_past_100(client: httpx.Client, sb: Sandbox) -> None:
    sb.load_fixture(contacts=150)
    pages = [client.get("/contacts", params={"limit": 100, "offset": off}).json() for off in (0, 100)]
    ids = [c["id"] for page in pages for c in page["contacts"]]
    assert len(ids) == len(set(ids)) == 152
    assert pages[0]["meta"]["total"] == "152"
    assert pages[1]["meta"]["page_input"]["offset"] == 100


def test_delete_cascades(client: httpx.Client, sb: Sandbox) -> None:
    contact = new_contact(client, "cascade@example.com")
    cid = contact["id"]
    for path, body, status in (
        ("/contactLists", {"contactList": {"list": "1", "contact": cid, "status": 1}}, 200),
        ("/contactAutomations", {"contactAutomation": {"contact": cid, "automation": "1"}}, 201),
        ("/fieldValues", {"fieldValue": {"contact": cid, "field": "2", "value": "2000-01-01"}}, 200),
    ):
        assert client.post(path, json=body).status_code == status
    tag = client.post("/contactTags", json={"contactTag": {"contact": cid, "tag": "1"}}).json()["contactTag"]
    note = client.post("/notes", json={"note": {"note": "hi", "relid": cid, "reltype": "Subscriber"}}).json()["note"]
    deal = client.post(
        "/deals", json={"deal": {"title": "Kept", "value": 100, "currency": "usd", "contact": cid, "group": "1"}}
    ).json()["deal"]

    assert client.delete(f"/contacts/{cid}").status_code == 200
    store = sb.store
    assert store["contactLists"].where("contact", cid) == []
    assert store["contactAutomations"].where("contact", cid) == []
    assert store["fieldValues"].where("contact", cid) == []
    assert client.delete(f"/contactTags/{tag['id']}").status_code == 404
    assert client.get(f"/notes/{note['id']}").status_code == 404
    assert client.get("/contacts", params={"listid": "1"}).json()["meta"]["total"] == "1"
    assert client.get(f"/deals/{deal['id']}").json()["deal"]["contact"] is None
    assert client.post("/contact/sync", json={"contact": {"email": "cascade@example.com"}}).status_code == 201


def test_sub_collections(client: httpx.Client) -> None:
    got = {
        name: client.get(f"/contacts/1/{name}").json()
        for name in ("fieldValues", "contactLists", "contactAutomations", "contactTags", "notes", "deals", "accountContacts")
    }
    assert [v["value"] for v in got["fieldValues"]["fieldValues"]] == ["11-50"]
    assert [m["list"] for m in got["contactLists"]["contactLists"]] == ["1"]
    assert [t["tag"] for t in got["contactTags"]["contactTags"]] == ["1"]
    assert [d["title"] for d in got["deals"]["deals"]] == ["Example Widget renewal"]
    assert got["notes"] == {"notes": []}
    assert client.get("/contacts/999/notes").json() == {"message": "No Result found for Subscriber with id 999"}


def test_patch_is_accepted_like_put(client: httpx.Client) -> None:
    response = client.patch("/contacts/1", json={"contact": {"phone": "123"}})
    assert response.status_code == 200 and response.json()["contact"]["phone"] == "123"


def test_list_serialiser_matches_the_get_shape(client: httpx.Client) -> None:
    """The list endpoint's fast serialiser must emit exactly what GET contacts/{id} shows."""
    created = new_contact(client, 'zoë.o"brien@example.com', firstName="Zoë", lastName='O"Brien \\ x')
    listed = client.get("/contacts", params={"email": 'zoë.o"brien@example.com'}).json()["contacts"][0]
    single = client.get(f"/contacts/{created['id']}").json()["contact"]
    assert listed["lastName"] == 'O"Brien \\ x'
    for key in ("contactAutomations", "contactLists", "fieldValues", "geoIps", "deals", "accountContacts"):
        single.pop(key)
    listed.pop("scoreValues")
    assert listed == single
