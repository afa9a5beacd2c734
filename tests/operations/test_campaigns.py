"""Campaigns: read one with its statistics, and the campaign dropdown."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import NotFound


def add_campaigns(sandbox, count: int) -> None:
    """Arrange: campaigns cannot be created over the API, so copy the seeded one inside the sandbox."""
    table = sandbox.store["campaigns"]
    template = table.get("1")
    for n in range(count):
        row = {k: v for k, v in template.items() if k != "id"}
        row.update(name=f"Copy {n}", ldate=None, sdate=None, status="0")
        table.insert(row)


def test_get_campaign_with_its_statistics(run, sandbox):
    campaign = run("get_campaign", {"campaign_id": "1"})["campaign"]
    assert api_requests(sandbox)[-1].path == "/api/3/campaigns/1"
    assert campaign["id"] == "1" and campaign["name"] == "Spring Newsletter"
    assert campaign["send_amt"] == "1200" and campaign["uniqueopens"] == "480" and campaign["status"] == "5"
    responder = run("get_campaign", {"campaign_id": "3"})["campaign"]
    assert responder["type"] == "responder" and responder["seriesid"] == "1"


def test_get_campaign_that_does_not_exist_is_not_found(run):
    with pytest.raises(NotFound) as info:
        run("get_campaign", {"campaign_id": "2000"})
    assert "No Result found for Campaign with id 2000" in info.value.message and info.value.status == 404


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({}, "/campaign_id", "required"),
        ({"campaign_id": "../users/me"}, "/campaign_id", "pattern"),
        ({"campaign_id": 1}, "/campaign_id", "type"),
    ],
)
def test_get_campaign_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "get_campaign", data)


def test_campaigns_ddl_lists_newest_sends_first_with_their_dates(run, connector, auth, sandbox):
    choices = connector.options("get_campaign", "campaign_id", {}, auth)
    assert api_requests(sandbox, "GET")[-1].query["orders[sdate]"] == ["DESC"]
    assert choices == {
        "result": [
            {"text": "Welcome Email", "value": "3"},
            {"text": "Product Launch (last sent 2024-01-15)", "value": "2"},
            {"text": "Spring Newsletter (last sent 2024-01-15)", "value": "1"},
        ],
        "next_offset": None,
    }


def test_campaigns_ddl_search(run):
    assert run("list_campaigns_ddl", {"search": "launch"})["result"] == [
        {"text": "Product Launch (last sent 2024-01-15)", "value": "2"}
    ]
    assert run("list_campaigns_ddl", {"search": "no such campaign"})["result"] == []


def test_campaigns_ddl_pages_beyond_100(run, sandbox):
    add_campaigns(sandbox, 100)
    first = run("list_campaigns_ddl")
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = run("list_campaigns_ddl", {"offset": 100})
    assert len(rest["result"]) == 3 and rest["next_offset"] is None
    values = [c["value"] for c in first["result"] + rest["result"]]
    assert len(set(values)) == 103
