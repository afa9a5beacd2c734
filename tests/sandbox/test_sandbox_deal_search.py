"""Deal endpoints the deals operations rely on: GET deals filters[search] in each documented
filters[search_field] (all, title, contact, org; values from the deal reference page, "Deals parameters
available values") and orders[contact_orgname]; the deal's notes link; GET dealCustomFieldMeta."""

from __future__ import annotations

import httpx


def make(client: httpx.Client, path: str, wrapper: str, **fields) -> dict:
    response = client.post(path, json={wrapper: fields})
    assert response.status_code == 201, response.text
    return response.json()[wrapper]


def titles(client: httpx.Client, **filters: str) -> list[str]:
    params = {f"filters[{k}]": v for k, v in filters.items()}
    response = client.get("/deals", params={**params, "orders[title]": "ASC"})
    assert response.status_code == 200, response.text
    return [d["title"] for d in response.json()["deals"]]


def setup_deals(client: httpx.Client) -> None:
    ada = make(client, "/contacts", "contact", email="ada@example.com", firstName="Ada", lastName="Lovelace")
    charles = make(client, "/contacts", "contact", email="charles@example.com", firstName="Charles", lastName="Babbage")
    engines = make(client, "/accounts", "account", name="Analytical Engines Ltd")
    make(client, "/accountContacts", "accountContact", account=engines["id"], contact=charles["id"])
    for title, contact in (
        ("Notes on the engine", ada["id"]),
        ("Difference engine", charles["id"]),
        ("Ada's lace order", charles["id"]),
    ):
        make(client, "/deals", "deal", title=title, value=100, currency="usd", contact=contact, group="1")


def test_search_field_title_contact_and_org(client: httpx.Client) -> None:
    setup_deals(client)
    assert titles(client, search="ada", search_field="title") == ["Ada's lace order"]
    # contact: one word matches the first or the last name...
    assert titles(client, search="ada", search_field="contact") == ["Notes on the engine"]
    assert titles(client, search="babbage", search_field="contact") == ["Ada's lace order", "Difference engine"]
    # ...several words: the first is the first name, the rest the last name.
    assert titles(client, search="charles babbage", search_field="contact") == ["Ada's lace order", "Difference engine"]
    assert titles(client, search="ada babbage", search_field="contact") == []
    # The e-mail address is not among the searched fields.
    assert titles(client, search="charles@example", search_field="contact") == []
    # org: the primary contact's organisation (its account).
    assert titles(client, search="analytical", search_field="org") == ["Ada's lace order", "Difference engine"]
    assert titles(client, search="analytical", search_field="title") == []


def test_search_without_a_field_searches_all_three(client: httpx.Client) -> None:
    setup_deals(client)
    assert titles(client, search="ada") == ["Ada's lace order", "Notes on the engine"]
    assert titles(client, search="analytical") == ["Ada's lace order", "Difference engine"]
    assert titles(client, search="analytical", search_field="all") == ["Ada's lace order", "Difference engine"]


def test_order_by_contact_organisation(client: httpx.Client) -> None:
    setup_deals(client)
    response = client.get(
        "/deals",
        params={
            "filters[search]": "e",
            "filters[search_field]": "title",
            "orders[contact_orgname]": "DESC",
            "orders[title]": "ASC",
        },
    )
    # Deals whose contact has an organisation sort after those without, in descending order first.
    ordered = [d["title"] for d in response.json()["deals"]]
    assert ordered[:2] == ["Ada's lace order", "Difference engine"]
    assert set(ordered[2:]) == {"Example Widget renewal", "Notes on the engine"}


def test_a_deals_notes_link_lists_its_notes(client: httpx.Client) -> None:
    client.post("/deals/1/notes", json={"note": {"note": "Second note"}})
    client.post("/notes", json={"note": {"note": "On the contact", "relid": 1, "reltype": "Subscriber"}})
    link = client.get("/deals/1").json()["deal"]["links"]["notes"]
    listed = client.get(link, params={"limit": 1, "offset": 1})  # ignored on this path (retrieve-deal-notes)
    assert listed.status_code == 200 and "meta" not in listed.json()
    assert sorted((n["note"], n["reltype"], n["relid"]) for n in listed.json()["notes"]) == [
        ("Asked for a quote for 20 seats.", "Deal", "1"),
        ("Second note", "Deal", "1"),
    ]
    assert client.get("/deals/4242/notes").status_code == 404


def test_deal_custom_field_meta_is_listed_as_documented(client: httpx.Client) -> None:
    response = client.get("/dealCustomFieldMeta")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["dealCustomFieldMeta"]  # the documented answer has no meta
    assert [(f["id"], f["fieldLabel"], f["fieldType"]) for f in body["dealCustomFieldMeta"]] == [
        ("1", "Close reason", "text"),
        ("2", "Expected close date", "date"),
    ]
    assert {"fieldOptions", "fieldDefault", "isRequired", "displayOrder", "links"} <= set(body["dealCustomFieldMeta"][0])
    assert [
        f["id"] for f in client.get("/dealCustomFieldMeta", params={"limit": 1, "offset": 1}).json()["dealCustomFieldMeta"]
    ] == ["2"]
