"""Webhook registrations and the event names, through the engine against the sandbox."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import NotFound, UpstreamValidation

HOOK = {
    "name": "New contacts",
    "url": "https://hooks.example.com/ac",
    "events": ["subscribe", "update"],
    "sources": ["public", "api"],
}


def test_create_webhook_sends_the_webhook_wrapper(run, sandbox):
    out = run("create_webhook", {**HOOK, "list_id": "1"})
    assert api_requests(sandbox, "POST")[-1].body == {
        "webhook": {
            "name": "New contacts",
            "url": "https://hooks.example.com/ac",
            "events": ["subscribe", "update"],
            "sources": ["public", "api"],
            "listid": "1",
        }
    }
    hook = out["webhook"]
    assert (hook["events"], hook["sources"], hook["listid"]) == (["subscribe", "update"], ["public", "api"], "1")
    assert run("get_webhook", {"webhook_id": hook["id"]})["webhook"]["url"] == HOOK["url"]


def test_list_webhooks_filters_by_name_url_and_list(run, sandbox):
    first = run("create_webhook", HOOK)["webhook"]["id"]
    second = run(
        "create_webhook",
        {**HOOK, "name": "Deals", "url": "https://other.example.org/x", "events": ["deal_add"], "list_id": "2"},
    )["webhook"]["id"]
    assert [h["id"] for h in run("list_webhooks", {})["webhooks"]] == ["1", first, second]
    assert [h["id"] for h in run("list_webhooks", {"url": "other.example"})["webhooks"]] == [second]
    assert [h["id"] for h in run("list_webhooks", {"name": "contacts"})["webhooks"]] == [first]
    assert [h["id"] for h in run("list_webhooks", {"list_id": "2"})["webhooks"]] == [second]
    query = api_requests(sandbox, "GET", "/api/3/webhooks")[-1].query
    assert query["filters[listid]"] == ["2"]
    assert run("list_webhooks_ddl", {"search": "deal"})["result"] == [{"text": "Deals", "value": second}]


def test_list_webhooks_returns_all_pages(run):
    made = [run("create_webhook", {**HOOK, "name": f"Hook {n}"})["webhook"]["id"] for n in range(23)]
    out = run("list_webhooks", {"return_all": True})
    assert [h["id"] for h in out["webhooks"]] == ["1", *made] and out["has_more"] is False


def test_update_webhook_changes_only_what_is_given(run, sandbox):
    hook = run("create_webhook", HOOK)["webhook"]
    out = run("update_webhook", {"webhook_id": hook["id"], "events": ["unsubscribe"]})
    assert api_requests(sandbox, "PUT")[-1].body == {"webhook": {"events": ["unsubscribe"]}}
    assert (out["webhook"]["events"], out["webhook"]["name"]) == (["unsubscribe"], "New contacts")


def test_delete_webhook_then_it_is_gone(run):
    hook = run("create_webhook", HOOK)["webhook"]
    assert run("delete_webhook", {"webhook_id": hook["id"]}) == {"deleted": True, "id": hook["id"]}
    with pytest.raises(NotFound):
        run("get_webhook", {"webhook_id": hook["id"]})


def test_webhook_events_and_their_dropdown(run):
    out = run("list_webhook_events", {})
    assert out["total"] == len(out["events"]) == 25
    assert {"subscribe", "update", "deal_add", "contact_tag_added"} <= set(out["events"])
    options = run("list_webhook_events_ddl", {"search": "Contact_Tag"})["result"]
    assert [o["value"] for o in options] == ["contact_tag_added", "contact_tag_removed"]


def test_an_https_url_off_port_443_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_webhook", {**HOOK, "url": "https://hooks.example.com:8443/ac"})
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({**HOOK, "sources": ["everyone"]}, "/sources/0", "oneOf"),
        ({**HOOK, "events": []}, "/events", "minItems"),
        ({**HOOK, "url": "ftp://example.com/x"}, "/url", "pattern"),
        ({k: v for k, v in HOOK.items() if k != "sources"}, "/sources", "required"),
        ({**HOOK, "list_id": "one"}, "/list_id", "pattern"),
    ],
)
def test_create_webhook_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_webhook", data)
