"""The sandbox fires webhooks like ActiveCampaign: form-encoded bracketed keys, after the change, at least once."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest

from sandbox import RecordingServer, Sandbox


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


def hook(client: httpx.Client, url: str, events: list[str], sources=("api",), listid: str | None = None) -> str:
    body = {"name": "Test", "url": url, "events": events, "sources": list(sources)}
    if listid:
        body["listid"] = listid
    return client.post("/webhooks", json={"webhook": body}).json()["webhook"]["id"]


def forms(sb: Sandbox, receiver: RecordingServer) -> list[dict[str, str]]:
    assert sb.hooks.wait_idle(10)
    return [dict(parse_qsl(r.body.decode(), keep_blank_values=True)) for r in receiver.requests]


def test_a_new_contact_is_posted_as_bracketed_form_data(client, sb, receiver):
    hook(client, receiver.url + "/in", ["subscribe"])
    client.post("/fieldValues", json={"fieldValue": {"contact": "1", "field": "2", "value": "1990-04-01"}})
    created = client.post(
        "/contacts",
        json={"contact": {"email": "ada@example.com", "firstName": "Ada", "fieldValues": [{"field": "1", "value": "1-10"}]}},
    )
    contact_id = created.json()["contact"]["id"]
    assert sb.hooks.wait_idle(10)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/in")
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    assert form["type"] == "subscribe" and form["initiated_by"] == "api" and form["list"] == "0"
    assert (form["contact[id]"], form["contact[email]"], form["contact[first_name]"]) == (contact_id, "ada@example.com", "Ada")
    assert form["contact[fields][1]"] == "1-10"
    assert form["date_time"].endswith("-05:00")


def test_updates_tags_lists_deals_and_notes_fire_their_events(client, sb, receiver):
    hook(
        client,
        receiver.url + "/all",
        [
            "update",
            "subscribe",
            "unsubscribe",
            "contact_tag_added",
            "contact_tag_removed",
            "deal_add",
            "deal_update",
            "deal_note_add",
        ],
    )
    client.put("/contacts/2", json={"contact": {"lastName": "Smyth"}})
    client.post("/contactLists", json={"contactList": {"contact": "2", "list": "2", "status": 1}})
    client.post("/contactLists", json={"contactList": {"contact": "2", "list": "2", "status": 2}})
    link = client.post("/contactTags", json={"contactTag": {"contact": "2", "tag": "1"}}).json()["contactTag"]["id"]
    client.delete(f"/contactTags/{link}")
    deal = client.post(
        "/deals",
        json={
            "deal": {
                "title": "Big",
                "value": 12345,
                "currency": "usd",
                "contact": "2",
                "group": "1",
                "stage": "1",
                "owner": "1",
            }
        },
    ).json()["deal"]["id"]
    client.put(f"/deals/{deal}", json={"deal": {"stage": "2"}})
    client.post(f"/deals/{deal}/notes", json={"note": {"note": "Called"}})
    got = forms(sb, receiver)
    assert sorted(f["type"] for f in got) == sorted(
        [
            "update",
            "subscribe",
            "unsubscribe",
            "contact_tag_added",
            "contact_tag_removed",
            "deal_add",
            "deal_update",
            "deal_note_add",
        ]
    )
    by_type = {f["type"]: f for f in got}
    assert by_type["update"]["contact[last_name]"] == "Smyth"
    assert by_type["subscribe"]["list"] == "2" and by_type["unsubscribe"]["list"] == "2"
    assert by_type["contact_tag_added"]["tag"] == "customer"
    assert by_type["contact_tag_added"]["contact[tags]"] == "customer"
    added = by_type["deal_add"]
    assert (added["deal[id]"], added["deal[value]"], added["deal[stageid]"]) == (deal, "123.45", "1")
    assert added["deal[stage_title]"] == "To Contact" and added["contact[id]"] == "2"
    changed = by_type["deal_update"]
    assert changed["deal[stageid]"] == "2" and "stage" in {v for k, v in changed.items() if k.startswith("updated_fields[")}
    assert by_type["deal_note_add"]["note"] == "Called"


def test_only_matching_events_sources_and_lists_fire(client, sb, receiver):
    hook(client, receiver.url + "/public-only", ["subscribe"], sources=["public", "admin"])
    hook(client, receiver.url + "/list-1", ["subscribe"], listid="1")
    hook(client, receiver.url + "/deals", ["deal_add"])
    client.post("/contactLists", json={"contactList": {"contact": "2", "list": "2", "status": 1}})
    client.post("/contactLists", json={"contactList": {"contact": "2", "list": "1", "status": 1}})
    assert sb.hooks.wait_idle(10)
    assert [(r.path, dict(parse_qsl(r.body.decode()))["list"]) for r in receiver.requests] == [("/list-1", "1")]


def test_duplicate_delivers_each_event_twice_and_drop_loses_deliveries(client, sb, receiver):
    hook(client, receiver.url + "/in", ["update"])
    sb.hooks.configure(duplicate=True)
    client.put("/contacts/1", json={"contact": {"firstName": "Janet"}})
    first = forms(sb, receiver)
    assert len(first) == 2 and first[0] == first[1]
    sb.hooks.configure(duplicate=False, drop=1)
    client.put("/contacts/1", json={"contact": {"firstName": "Janine"}})
    client.put("/contacts/1", json={"contact": {"firstName": "Jo"}})
    got = forms(sb, receiver)
    assert [f["contact[first_name]"] for f in got[2:]] == ["Jo"]
    assert [d["dropped"] for d in sb.hooks.log()] == [False, False, True, False]


def test_a_410_answer_deactivates_the_hook(client, sb, make_server):
    from sandbox import SandboxServer

    gone_sb = Sandbox(api_key="k", rate_limit=None, seed=False)
    gone_sb.faults.add("POST /gone", statuses=[410, 410])
    with SandboxServer(gone_sb) as gone:
        hook(client, gone.url + "/gone", ["update"])
        client.put("/contacts/1", json={"contact": {"firstName": "A"}})
        assert sb.hooks.wait_idle(10)
        client.put("/contacts/1", json={"contact": {"firstName": "B"}})
        assert sb.hooks.wait_idle(10)
    assert [d["status"] for d in sb.hooks.log()] == [410]
    assert client.get("/webhooks").json()["meta"]["total"] == "2"  # still listed, as documented


def test_the_control_api_sets_and_reads_delivery_switches(server, sb):
    with httpx.Client(base_url=server.url + "/__sandbox__", timeout=10) as control:
        assert control.put("/webhooks", json={"duplicate": True, "drop": 2}).json()["drop"] == 2
        assert (sb.hooks.duplicate, sb.hooks.drop) == (True, 2)
        assert control.post("/webhooks", json={}).json() == {"idle": True}
        assert control.get("/webhooks").json()["deliveries"] == []


def test_an_event_from_another_source_reaches_only_hooks_listening_to_it(server, client, sb, receiver):
    hook(client, receiver.url + "/public", ["subscribe"], sources=["public"])
    hook(client, receiver.url + "/api", ["subscribe"], sources=["api"])
    with httpx.Client(base_url=server.url + "/__sandbox__", timeout=10) as control:
        answer = control.post("/events", json={"event": "subscribe", "contact": "2", "list": "1", "source": "public"})
        assert answer.status_code == 201 and answer.json() == {"fired": 1}
        assert control.post("/events", json={"event": "subscribe", "contact": "99"}).status_code == 400
    [form] = forms(sb, receiver)
    assert receiver.requests[0].path == "/public"
    assert (form["initiated_by"], form["list"], form["contact[id]"]) == ("public", "1", "2")
