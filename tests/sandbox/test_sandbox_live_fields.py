"""Fidelity: the sandbox answers with the fields the live API returns today, not only those of the older
documented examples.

Source of every key list below: the live recordings in NangoHQ/integration-templates,
integrations/active-campaign/tests/*.test.json (recorded against a real account on 2026-05-28; the same
recordings as "LIVE" in shared/reference/api-map.md). A key missing here is a key a client may rely on.
"""

from __future__ import annotations

import re

import httpx

AUDIT = {"created_timestamp", "updated_timestamp", "created_by", "updated_by"}
PLAIN_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def _audited(obj: dict) -> None:
    assert set(obj) >= AUDIT, AUDIT - set(obj)
    assert PLAIN_TIME.match(obj["created_timestamp"]) and PLAIN_TIME.match(obj["updated_timestamp"])


def test_tags_carry_subscriber_count_and_the_audit_stamps(client: httpx.Client) -> None:
    # list-tags.test.json
    for tag in (client.get("/tags").json()["tags"][0], client.get("/tags/1").json()["tag"]):
        _audited(tag)
        assert tag["subscriber_count"] == "1" and tag["deleted"] == "0"
        assert set(tag["links"]) == {"contactGoalTags", "templateTags"}


def test_contact_tags_carry_the_audit_stamps(client: httpx.Client) -> None:
    # tag-contact.test.json
    link = client.post("/contactTags", json={"contactTag": {"contact": "2", "tag": "1"}}).json()["contactTag"]
    _audited(link)
    assert client.get("/tags/1").json()["tag"]["subscriber_count"] == "2"


def test_lists_carry_the_audit_stamps_description_and_subscriber_counts(client: httpx.Client) -> None:
    # list-lists.test.json
    newsletter = client.get("/lists/1").json()["list"]
    _audited(newsletter)
    assert (newsletter["description"], newsletter["non_deleted_subscribers"], newsletter["active_subscribers"]) == (
        "",
        "1",
        "1",
    )
    client.post("/contactLists", json={"contactList": {"list": 1, "contact": 2, "status": 2}})
    counted = client.get("/lists", params={"filters[name]": "newsletter"}).json()["lists"][0]
    assert (counted["non_deleted_subscribers"], counted["active_subscribers"]) == ("2", "1")


def test_custom_fields_carry_the_audit_stamps(client: httpx.Client) -> None:
    # get-custom-field.test.json
    _audited(client.get("/fields/1").json()["field"])
    _audited(client.get("/fields").json()["fields"][0])


def test_contacts_carry_the_newer_fields_in_both_renderings(client: httpx.Client) -> None:
    # get-contact.test.json: after mpp_tracking
    newer = {
        "last_click_date": None,
        "last_open_date": None,
        "last_mpp_open_date": None,
        "best_send_hour": "0",
        "sms_consent": "0",
        "sms_consent_updated_at": "0000-00-00 00:00:00",
        "whatsapp_id": None,
        "whatsapp_username": None,
    }
    one = client.get("/contacts/1").json()["contact"]
    listed = client.get("/contacts", params={"limit": 1}).json()["contacts"][0]  # the fast JSON path
    for contact in (one, listed):
        assert {k: contact[k] for k in newer} == newer
        _audited(contact)


def test_contact_sync_answers_201_then_200_with_the_whole_contact(client: httpx.Client) -> None:
    # sync-contact.test.json and the documented sync-a-contacts-data example
    created = client.post("/contact/sync", json={"contact": {"email": "sync.me@example.com", "firstName": "S"}})
    again = client.post("/contact/sync", json={"contact": {"email": "sync.me@example.com", "lastName": "M"}})
    assert (created.status_code, again.status_code) == (201, 200)
    body = again.json()["contact"]
    assert body["id"] == created.json()["contact"]["id"] and body["email_empty"] is False
    assert {"email", "phone", "firstName", "lastName", "cdate", "udate", "orgid", "orgname", "links"} <= set(body)
    assert (body["firstName"], body["lastName"]) == ("S", "M")


def test_automations_carry_description_multientry_exits_and_source(client: httpx.Client) -> None:
    # get-automation.test.json (an automation with status "0": created, never started)
    automation = client.get("/automations/4").json()["automation"]
    assert automation["status"] == "0"
    assert {
        "entitlements_violation",
        "source",
        "description",
        "exit_on_unsubscribe",
        "exit_on_conversion",
        "multientry",
    } <= set(automation)
    assert "triggers" in automation["links"]


def test_pipelines_and_stages_carry_colour_order_and_card_regions(client: httpx.Client) -> None:
    # get-deal-group.test.json
    body = client.get("/dealGroups/1").json()
    assert {"win_probability_initialize_date", "source"} <= set(body["dealGroup"])
    for stage in body["dealStages"]:
        assert {
            "color",
            "dealOrder",
            "cardRegion1",
            "cardRegion2",
            "cardRegion3",
            "cardRegion4",
            "cardRegion5",
            "width",
            "order",
        } <= set(stage)


def test_deals_count_their_activities_and_point_at_the_next_task(client: httpx.Client) -> None:
    # get-contact.test.json deals: nexttaskid null without a task, activitycount "2" after a create and an update
    created = client.post(
        "/deals",
        json={"deal": {"title": "Counted", "value": 100, "currency": "usd", "contact": "2", "group": "1", "owner": "1"}},
    ).json()["deal"]
    client.put(f"/deals/{created['id']}", json={"deal": {"title": "Counted again"}})
    deal = client.get(f"/deals/{created['id']}").json()["deal"]
    assert (deal["activitycount"], deal["nexttaskid"], deal["nextdate"]) == ("2", None, None)
    task = client.post(
        "/dealTasks", json={"dealTask": {"relid": created["id"], "dealTasktype": "1", "duedate": "2031-01-02T10:00:00-05:00"}}
    ).json()["dealTask"]
    deal = client.get("/deals", params={"filters[title]": "Counted again"}).json()["deals"][0]
    assert (deal["nexttaskid"], deal["nextdate"], deal["activitycount"]) == (task["id"], task["duedate"], "3")


def test_a_plain_subscription_records_the_api_source(client: httpx.Client) -> None:
    # update-list-status-for-contact: the documented answer records "sourceid": "3"; "Set to 4 when re-subscribing"
    plain = client.post("/contactLists", json={"contactList": {"list": 2, "contact": 2, "status": 1}})
    assert plain.json()["contactList"]["sourceid"] == "3"
    again = client.post("/contactLists", json={"contactList": {"list": 2, "contact": 2, "status": 1, "sourceid": 4}})
    assert again.json()["contactList"]["sourceid"] == "4"
