"""Messages, campaigns, automations, users, groups, tags, accounts, webhooks and bulk import."""

from __future__ import annotations

import time

import httpx

from sandbox import Sandbox


def test_messages_lifecycle(client: httpx.Client) -> None:
    created = client.post(
        "/messages",
        json={
            "message": {
                "fromname": "AC Admin",
                "fromemail": "noreply@example.com",
                "reply2": "hello@example.com",
                "subject": "Hi",
                "html": "<p>Hi</p>",
            }
        },
    )
    assert created.status_code == 201
    message = created.json()["message"]
    assert (message["fromemail"], message["html"]) == ("noreply@example.com", "<p>Hi</p>")
    mid = message["id"]
    assert client.get("/messages").json()["meta"]["total"] == "4"
    updated = client.put(f"/messages/{mid}", json={"message": {"html": "<p>Bye</p>", "subject": "Bye"}})
    assert updated.json()["message"]["html"] == "<p>Bye</p>"
    assert client.get(f"/messages/{mid}").json()["message"]["subject"] == "Bye"
    assert client.delete(f"/messages/{mid}").json() == {}
    assert client.get(f"/messages/{mid}").json() == {"message": f"No Result found for Message with id {mid}"}
    assert client.put(f"/messages/{mid}", json={"message": {}}).status_code == 404


def test_message_accepts_the_schema_field_name_email(client: httpx.Client) -> None:
    created = client.post("/messages", json={"message": {"fromname": "A", "email": "a@example.com", "reply2": "b@example.com"}})
    assert created.json()["message"]["fromemail"] == "a@example.com"
    missing = client.post("/messages", json={"message": {"fromname": "A", "reply2": "b@example.com"}})
    assert missing.json()["errors"][0]["source"]["pointer"] == "/data/attributes/fromemail"


def test_campaigns(client: httpx.Client) -> None:
    listed = client.get("/campaigns").json()
    assert [c["name"] for c in listed["campaigns"]] == ["Spring Newsletter", "Product Launch", "Welcome Email"]
    campaign = client.get("/campaigns/1").json()["campaign"]
    assert (campaign["send_amt"], campaign["uniqueopens"], campaign["status"]) == ("1200", "480", "5")
    assert [c["id"] for c in client.get("/campaigns", params={"filters[seriesid]": "1"}).json()["campaigns"]] == ["3"]
    assert client.get("/campaigns/9").json() == {"message": "No Result found for Campaign with id 9"}


def test_automations_and_contact_automations(client: httpx.Client) -> None:
    listed = client.get("/automations", params={"limit": 2}).json()
    assert [a["name"] for a in listed["automations"]] == ["Welcome Series", "Abandoned Cart Follow-up"]
    assert listed["meta"]["total"] == "4" and listed["meta"]["filtered"] is False
    assert client.post("/automations", json={}).status_code == 405

    added = client.post("/contactAutomations", json={"contactAutomation": {"contact": "2", "automation": "1"}})
    assert added.status_code == 201
    link = added.json()["contactAutomation"]
    assert (link["contact"], link["automation"]) == ("2", "1") and added.json()["contacts"][0]["id"] == "2"
    assert client.get(f"/contactAutomations/{link['id']}").json()["contactAutomation"]["seriesid"] == "1"
    assert client.get("/contacts", params={"seriesid": "1"}).json()["meta"]["total"] == "1"
    assert [a["id"] for a in client.get("/contacts/2/contactAutomations").json()["contactAutomations"]] == [link["id"]]
    assert client.delete(f"/contactAutomations/{link['id']}").json() == {}
    gone = client.delete(f"/contactAutomations/{link['id']}")
    assert (gone.status_code, gone.json()) == (403, {"message": f"No Result found for SubscriberSeries with id {link['id']}"})
    inactive = client.post("/contactAutomations", json={"contactAutomation": {"contact": "2", "automation": "3"}})
    assert (inactive.status_code, inactive.json()) == (403, {"message": "Could not create SubscriberSeries"})
    assert (
        client.post("/contactAutomations", json={"contactAutomation": {"contact": "2"}}).json()["errors"][0]["code"]
        == "field_missing"
    )


def test_users_and_groups(client: httpx.Client) -> None:
    me = client.get("/users/me").json()["user"]
    assert (me["id"], me["username"], me["email"]) == ("1", "admin", "admin@example.com")
    assert client.get("/users/2").json()["user"]["username"] == "sam"
    assert client.get("/users/email/SAM.SELLER@example.com").json()["user"]["id"] == "2"
    assert client.get("/users/username/admin").json()["user"]["id"] == "1"
    assert client.get("/users/9").json() == {"message": "No Result found for User with id 9"}
    assert client.get("/users").json()["meta"]["total"] == "2"
    assert [u["id"] for u in client.get("/users", params={"filters[username]": "sam"}).json()["users"]] == ["2"]
    groups = client.get("/groups").json()
    assert [g["title"] for g in groups["groups"]] == ["Admin", "Sales"]
    assert groups["groups"][0]["pgContactAdd"] == "1" and groups["groups"][1]["pgListAdd"] == "0"


def test_tags_and_contact_tags(client: httpx.Client) -> None:
    created = client.post("/tags", json={"tag": {"tag": "VIP", "tagType": "contact", "description": "Top"}})
    assert created.status_code == 201
    tag = created.json()["tag"]
    assert [t["id"] for t in client.get("/tags", params={"search": "vi"}).json()["tags"]] == [tag["id"]]
    assert [t["tag"] for t in client.get("/tags", params={"orders[search]": "DESC"}).json()["tags"]] == ["VIP", "customer"]
    assert client.post("/tags", json={"tag": {"tag": "vip"}}).json()["errors"][0]["code"] == "duplicate"

    added = client.post("/contactTags", json={"contactTag": {"contact": "2", "tag": tag["id"]}})
    assert added.status_code == 200
    link = added.json()["contactTag"]
    again = client.post("/contactTags", json={"contactTag": {"contact": "2", "tag": tag["id"]}})
    assert again.json()["contactTag"]["id"] == link["id"]
    assert client.get(f"/tags/{tag['id']}").json()["tag"]["subscriber_count"] == "1"
    assert client.get("/contacts", params={"tagid": tag["id"]}).json()["meta"]["total"] == "1"
    assert client.delete(f"/contactTags/{link['id']}").json() == {}
    assert client.delete(f"/contactTags/{link['id']}").json() == {
        "message": f"No Result found for SubscriberTag with id {link['id']}"
    }
    assert client.post("/contactTags", json={"contactTag": {"contact": "99", "tag": "1"}}).json() == {
        "errors": [{"status": 404, "title": "Not Found", "detail": "Contact not found"}]
    }
    assert client.post("/contactTags", json={"contactTag": {"tag": "1"}}).json() == {
        "errors": [{"status": 422, "title": "Missing attribute", "source": {"pointer": "/data/attributes/contact"}}]
    }
    assert client.delete(f"/tags/{tag['id']}").json() == {}
    assert client.get(f"/tags/{tag['id']}").status_code == 404


def test_accounts_and_account_contacts(client: httpx.Client) -> None:
    created = client.post(
        "/accounts",
        json={
            "account": {
                "name": "Example Inc",
                "accountUrl": "https://example.com",
                "fields": [{"customFieldId": 9, "fieldValue": "500"}],
            }
        },
    )
    assert created.status_code == 201
    account = created.json()["account"]
    assert account["fields"] == [{"customFieldId": 9, "fieldValue": "500", "accountId": account["id"]}]
    dup = client.post("/accounts", json={"account": {"name": "example inc"}})
    assert dup.json()["errors"][0]["code"] == "duplicate"
    assert client.post("/accounts", json={"account": {}}).json()["errors"][0] == {
        "title": "The account name was not provided.",
        "detail": "",
        "code": "field_missing",
        "source": {"pointer": "/data/attributes/name"},
    }

    linked = client.post(
        "/accountContacts", json={"accountContact": {"account": account["id"], "contact": 1, "jobTitle": "CTO"}}
    )
    assert linked.status_code == 201 and linked.json()["accountContact"]["jobTitle"] == "CTO"
    second = client.post("/accounts", json={"account": {"name": "Other"}}).json()["account"]
    refused = client.post("/accountContacts", json={"accountContact": {"account": second["id"], "contact": 1}})
    assert refused.json()["errors"][0]["code"] == "field_invalid"
    assert client.get("/accountContacts", params={"filters[account]": account["id"]}).json()["meta"]["total"] == "1"
    assert client.get("/contacts/1").json()["contact"]["accountContacts"] == [linked.json()["accountContact"]["id"]]
    counted = client.get("/accounts", params={"search": "example", "count_deals": "true"}).json()["accounts"]
    assert counted[0]["contactCount"] == "1"
    assert (
        client.put(f"/accounts/{account['id']}", json={"account": {"name": "Renamed"}}).json()["account"]["name"] == "Renamed"
    )
    assert client.delete(f"/accounts/{account['id']}").json() == {}
    assert client.get("/accountContacts").json()["meta"]["total"] == "0"
    assert client.get(f"/accounts/{account['id']}").status_code == 404


def test_webhooks(client: httpx.Client) -> None:
    body = {
        "name": "Hook",
        "url": "https://example.com/hook",
        "events": ["subscribe", "deal_add"],
        "sources": ["public", "api"],
        "listid": "1",
    }
    created = client.post("/webhooks", json={"webhook": body})
    assert created.status_code == 201
    hook = created.json()["webhook"]
    assert (hook["events"], hook["listid"]) == (["subscribe", "deal_add"], "1")
    assert [h["id"] for h in client.get("/webhooks", params={"filters[url]": "//example.com/hook"}).json()["webhooks"]] == [
        hook["id"]
    ]
    assert client.get(f"/webhooks/{hook['id']}").json()["webhook"]["name"] == "Hook"
    assert client.delete(f"/webhooks/{hook['id']}").json() == {}
    assert client.get(f"/webhooks/{hook['id']}").status_code == 404
    assert (
        client.post("/webhooks", json={"webhook": {**body, "events": ["explode"]}}).json()["errors"][0]["code"]
        == "field_invalid"
    )
    assert (
        client.post("/webhooks", json={"webhook": {**body, "url": "https://example.com:8443/x"}}).json()["errors"][0]["code"]
        == "field_invalid"
    )
    assert client.post("/webhooks", json={"webhook": {"name": "x"}}).json()["errors"][0]["code"] == "field_missing"
    assert len(client.get("/webhook/events").json()["webhookEvents"]) == 25


def test_bulk_import_and_status(client: httpx.Client, sb: Sandbox) -> None:
    body = {
        "contacts": [
            {
                "email": "jane.doe@example.com",
                "first_name": "Janet",
                "tags": ["imported"],
                "subscribe": [{"listid": 2}],
                "fields": [{"id": 1, "value": "1-10"}],
            },
            {"email": "new.person@example.com", "last_name": "Person"},
            {"email": "not-an-email"},
        ]
    }
    queued = client.post("/import/bulk_import", json=body)
    assert queued.status_code == 200
    assert (queued.json()["Success"], queued.json()["queued_contacts"]) == (1, 3)
    info = client.get("/import/info", params={"batchId": queued.json()["batchId"]}).json()
    assert info["status"] == "completed" and info["failure"] == ["not-an-email"]
    assert len(info["success"]) == 2 and info["success"][0] == "1"
    jane = client.get("/contacts/1").json()
    assert jane["contact"]["firstName"] == "Janet"
    assert {m["list"] for m in jane["contactLists"]} == {"1", "2"}
    assert [v["value"] for v in jane["fieldValues"]] == ["1-10"]
    assert client.get("/tags", params={"search": "imported"}).json()["meta"]["total"] == "1"

    invalid = client.post("/import/bulk_import", json={"contacts": [{"email": "ok@example.com"}, {"first_name": "x"}]})
    assert invalid.status_code == 400
    assert invalid.json()["failureReasons"] == [{"contact": 1, "failureReason": "Field 'email' is required"}]
    assert client.get("/import/info").json() == {"success": 0, "message": "'batchId' is a required field."}


def test_bulk_import_delay_and_interruption(client: httpx.Client, sb: Sandbox) -> None:
    sb.import_delay = 0.2
    batch = client.post("/import/bulk_import", json={"contacts": [{"email": "later@example.com"}]}).json()["batchId"]
    assert client.get("/import/info", params={"batchId": batch}).json()["status"] is False
    time.sleep(0.25)
    assert client.get("/import/info", params={"batchId": batch}).json()["status"] == "completed"

    sb.import_delay, sb.interrupt_imports = 0.0, 1
    batch = client.post("/import/bulk_import", json={"contacts": [{"email": "never@example.com"}]}).json()["batchId"]
    assert client.get("/import/info", params={"batchId": batch}).json() == {
        "status": "interrupted",
        "success": [],
        "failure": [],
    }
    assert client.get("/contacts", params={"email": "never@example.com"}).json()["contacts"] == []
