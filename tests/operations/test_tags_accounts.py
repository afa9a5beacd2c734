"""Tags (by id or by name) and accounts with their contacts, through the engine against the sandbox.
Seeded: tag 1 "customer" on contact 1 (Jane), account 1 "Globex Corporation" with no contacts."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests

from engine.errors import AlreadyExists, UpstreamValidation


def _tag_names(run, contact_id="1"):
    links = run("list_contact_tags", {"contact_id": contact_id})["contactTags"]
    names = {t["id"]: t["tag"] for t in run("list_tags", {"return_all": True})["tags"]}
    return sorted(names[str(link["tag"])] for link in links)


def test_create_and_list_tags(run, sandbox):
    created = run("create_tag", {"tag": "VIP", "description": "Big spenders"})["tag"]
    assert api_requests(sandbox, "POST")[-1].body == {
        "tag": {"tag": "VIP", "tagType": "contact", "description": "Big spenders"}
    }
    out = run("list_tags", {"search": "vi"})
    assert [t["id"] for t in out["tags"]] == [created["id"]] and out["total"] == 1
    with pytest.raises(AlreadyExists):
        run("create_tag", {"tag": "vip"})


def test_list_tags_returns_all_across_pages(run, sandbox):
    for i in range(105):
        sandbox.store["tags"].insert({"tag": f"bulk-{i:03}", "tagType": "contact", "description": "", "cdate": None})
    out = run("list_tags", {"search": "bulk-", "return_all": True})
    assert len(out["tags"]) == 105 and out["has_more"] is False
    assert len(api_requests(sandbox, "GET", "/api/3/tags")) == 2


def test_list_tags_by_type_is_filtered_here_not_upstream(run, sandbox):
    """retrieve-all-tags documents no filter on tagType: none is sent, each page is filtered here."""
    for i in range(3):
        sandbox.store["tags"].insert({"tag": f"tpl-{i}", "tagType": "template", "description": "", "cdate": None})
    templates = run("list_tags", {"tag_type": "template", "return_all": True})
    assert [t["tag"] for t in templates["tags"]] == ["tpl-0", "tpl-1", "tpl-2"] and templates["total"] == 3
    contacts = run("list_tags", {"tag_type": "contact"})
    assert [t["tag"] for t in contacts["tags"]] == ["customer"] and contacts["total"] == 1
    assert not [k for r in api_requests(sandbox, "GET", "/api/3/tags") for k in r.query if "tagType" in k]
    # A page read from an offset cannot count the matches: total is unknown, not ActiveCampaign's count of all.
    assert run("list_tags", {"tag_type": "template", "offset": 1})["total"] is None
    assert run("list_tags", {})["total"] == 4


def test_add_tag_by_name_creates_it_once_then_reuses_it(run, sandbox):
    first = run("add_tag_to_contact", {"contact_id": "1", "tag": "Webinar 2025"})
    assert first["tag_created"] is True
    again = run("add_tag_to_contact", {"contact_id": "2", "tag": "  webinar 2025 "})
    assert again["tag_created"] is False and again["contactTag"]["tag"] == first["contactTag"]["tag"]
    assert _tag_names(run, "1") == ["Webinar 2025", "customer"]
    assert _tag_names(run, "2") == ["Webinar 2025"]
    assert len(api_requests(sandbox, "POST", "/api/3/tags")) == 1


def test_add_tag_by_id_from_the_dropdown_and_twice_is_harmless(run, sandbox):
    out = run("add_tag_to_contact", {"contact_id": "2", "tag": "1"})
    assert str(out["contactTag"]["tag"]) == "1" and out["tag_created"] is False
    again = run("add_tag_to_contact", {"contact_id": "2", "tag": "1"})
    assert again["contactTag"]["id"] == out["contactTag"]["id"]
    assert len(api_requests(sandbox, "POST", "/api/3/contactTags")) == 1  # a tag the contact has is not sent again
    assert api_requests(sandbox, "GET", "/api/3/tags") == []  # an id needs no look-up
    assert _tag_names(run, "2") == ["customer"]


def test_a_new_tag_for_a_missing_contact_leaves_no_stray_tag(run, sandbox):
    with pytest.raises(Exception) as info:
        run("add_tag_to_contact", {"contact_id": "999", "tag": "Orphan"})
    assert info.value.type == "not_found"
    assert [t["tag"] for t in run("list_tags")["tags"]] == ["customer"]


@pytest.mark.parametrize("tag", ["1", "CUSTOMER"])
def test_remove_tag_by_id_or_name(run, tag):
    out = run("remove_tag_from_contact", {"contact_id": "1", "tag": tag})
    assert out == {"removed": True, "contact_id": "1", "tag_id": "1"}
    assert _tag_names(run, "1") == []


@pytest.mark.parametrize("tag", ["1", "customer", "never-heard-of-it"])
def test_removing_a_tag_the_contact_lacks_is_not_an_error(run, sandbox, tag):
    out = run("remove_tag_from_contact", {"contact_id": "2", "tag": tag})
    assert out["removed"] is False
    assert api_requests(sandbox, "DELETE") == []


def test_tag_dropdown_through_the_options_call(connector, auth):
    out = connector.options("add_tag_to_contact", "tag", {}, auth, search="cust")
    assert out["result"] == [{"text": "customer", "value": "1"}]


# -- accounts -------------------------------------------------------------------------------------
def test_account_lifecycle(run, sandbox):
    created = run("create_account", {"name": "Acme Corporation", "account_url": "https://www.acme.example"})["account"]
    assert api_requests(sandbox, "POST")[-1].body == {
        "account": {"name": "Acme Corporation", "accountUrl": "https://www.acme.example"}
    }
    assert run("get_account", {"account_id": created["id"]})["account"]["accountUrl"] == "https://www.acme.example"
    updated = run("update_account", {"account_id": created["id"], "name": "Acme Corp"})["account"]
    assert updated["name"] == "Acme Corp" and updated["accountUrl"] == "https://www.acme.example"
    assert [a["name"] for a in run("list_accounts", {"search": "acme"})["accounts"]] == ["Acme Corp"]
    assert run("delete_account", {"account_id": created["id"]}) == {"deleted": True, "id": created["id"]}
    assert [a["name"] for a in run("list_accounts", {"return_all": True})["accounts"]] == ["Globex Corporation"]
    with pytest.raises(AlreadyExists):
        run("create_account", {"name": "globex corporation"})


def test_contact_joins_and_leaves_an_account_with_a_job_title(run, sandbox):
    link = run("add_contact_to_account", {"contact_id": "1", "account_id": "1", "job_title": "CTO"})["accountContact"]
    assert str(link["account"]) == "1" and link["jobTitle"] == "CTO"
    listed = run("list_account_contacts", {"account_id": "1"})["accountContacts"]
    assert [(x["contact"], x["jobTitle"]) for x in listed] == [("1", "CTO")]
    counts = run("list_accounts", {"count_deals": True})["accounts"][0]
    assert counts["contactCount"] == "1"
    with pytest.raises(UpstreamValidation):
        run("add_contact_to_account", {"contact_id": "1", "account_id": "1"})
    assert run("remove_contact_from_account", {"contact_id": "1", "account_id": "2"})["removed"] is False
    out = run("remove_contact_from_account", {"contact_id": "1"})
    assert out == {"removed": True, "contact_id": "1", "account_id": "1"}
    assert run("list_account_contacts", {"account_id": "1"})["accountContacts"] == []
    assert run("remove_contact_from_account", {"contact_id": "1"})["removed"] is False


def test_account_dropdown_through_the_options_call(connector, auth):
    out = connector.options("add_contact_to_account", "account_id", {}, auth, search="globex")
    assert out["result"] == [{"text": "Globex Corporation", "value": "1"}]


def test_a_tag_created_by_someone_else_meanwhile_is_found_and_used(run, sandbox):
    """A lost race: our look-up sees no tag, another step creates it, our create gets already_exists; the
    tag is looked up again and the contact tagged, without a second tag."""
    sandbox.faults.add("GET /api/3/tags", [200], body={"tags": [], "meta": {"total": "0"}})
    sandbox.store["tags"].insert({"tag": "Raced", "tagType": "contact", "description": "", "cdate": None})
    out = run("add_tag_to_contact", {"contact_id": "2", "tag": "raced"})
    assert out["tag_created"] is False
    assert len(api_requests(sandbox, "POST", "/api/3/tags")) == 1 and len(api_requests(sandbox, "GET", "/api/3/tags")) == 2
    assert _tag_names(run, "2") == ["Raced"]
    assert [t["tag"] for t in run("list_tags", {"search": "raced"})["tags"]] == ["Raced"]
