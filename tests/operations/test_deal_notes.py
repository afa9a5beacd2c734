"""Deal notes through the engine against the sandbox."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, last, new_deal

from engine import errors


def test_create_note_on_a_deal(run, sandbox):
    deal = new_deal(run)
    out = run("create_deal_note", {"deal_id": deal, "note": "Asked for a quote for 20 seats."})
    request = last(sandbox, "POST")
    assert request.path == f"/api/3/deals/{deal}/notes"
    assert request.body == {"note": {"note": "Asked for a quote for 20 seats."}}
    note = out["note"]
    assert note["note"] == "Asked for a quote for 20 seats." and note["reltype"] == "Deal"
    assert str(note["relid"]) == deal and note["owner"]["type"] == "deal"
    assert [d["id"] for d in out["deals"]] == [deal]


def test_update_note_replaces_its_text(run, sandbox):
    deal = new_deal(run)
    note = run("create_deal_note", {"deal_id": deal, "note": "First draft"})["note"]
    out = run("update_deal_note", {"deal_id": deal, "note_id": note["id"], "note": "Final text"})
    request = last(sandbox, "PUT")
    assert request.path == f"/api/3/deals/{deal}/notes/{note['id']}"
    assert request.body == {"note": {"note": "Final text"}}
    assert out["note"]["id"] == note["id"] and out["note"]["note"] == "Final text"
    # Read back through the generic notes endpoint.
    read = run("raw_http_request", {"method": "GET", "path": f"/notes/{note['id']}"})["body"]["note"]
    assert read["note"] == "Final text"


def test_a_note_on_a_missing_deal_is_not_found(run):
    with pytest.raises(errors.NotFound) as info:
        run("create_deal_note", {"deal_id": "4242", "note": "Nobody reads this"})
    assert "No Result found for Deal with id 4242" in info.value.message


def test_updating_a_note_of_another_deal_is_not_found(run):
    mine, other = new_deal(run, "Mine"), new_deal(run, "Other")
    note = run("create_deal_note", {"deal_id": mine, "note": "Mine"})["note"]
    with pytest.raises(errors.NotFound):
        run("update_deal_note", {"deal_id": other, "note_id": note["id"], "note": "Hijack"})
    with pytest.raises(errors.NotFound):
        run("update_deal_note", {"deal_id": mine, "note_id": "4242", "note": "Ghost"})


def test_a_blank_note_is_activecampaigns_422_with_its_message(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        run("create_deal_note", {"deal_id": "1", "note": "   "})
    assert info.value.status == 422
    assert "The note field was not provided. (/data/attributes/note)" in info.value.message


@pytest.mark.parametrize(
    ("op", "data", "pointer"),
    [
        ("create_deal_note", {"deal_id": "1", "note": ""}, "/note"),
        ("create_deal_note", {"deal_id": "1"}, "/note"),
        ("create_deal_note", {"note": "x"}, "/deal_id"),
        ("update_deal_note", {"deal_id": "1", "note": "x"}, "/note_id"),
        ("update_deal_note", {"deal_id": "1", "note_id": "../1", "note": "x"}, "/note_id"),
    ],
)
def test_invalid_note_input_is_refused_before_sending(connector, auth, sandbox, op, data, pointer):
    with pytest.raises(errors.ValidationError) as info:
        connector.run(op, data, auth)
    assert pointer in [e["pointer"] for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_the_note_dropdown_lists_the_chosen_deals_notes(run, connector, auth, sandbox):
    deal = new_deal(run)
    note = run("create_deal_note", {"deal_id": deal, "note": "Budget approved\nfor Q3 " + "x" * 80})["note"]
    run("create_deal_note", {"deal_id": "1", "note": "Not this deal's"})
    choices = connector.options("update_deal_note", "note_id", {"deal_id": deal}, auth)["result"]
    assert [c["value"] for c in choices] == [note["id"]]
    assert choices[0]["text"].startswith("Budget approved for Q3 xxx") and choices[0]["text"].endswith(
        f"... ({note['cdate'][:10]})"
    )
    assert (last(sandbox, "GET").path, last(sandbox, "GET").query) == (f"/api/3/deals/{deal}/notes", {})
    seeded = connector.options("update_deal_note", "note_id", {"deal_id": "1"}, auth, search="QUOTE")["result"]
    assert [c["value"] for c in seeded] == ["1"]  # "Asked for a quote for 20 seats." (sandbox/seed.py)
    lookup = next(lk for lk in connector.describe("update_deal_note")["lookups"] if lk["field"] == "/note_id")
    assert lookup["depends_on"] == ["deal_id"]


def test_the_note_dropdown_needs_a_deal(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.options("update_deal_note", "note_id", {}, auth)
    assert info.value.errors[0]["pointer"] == "/deal_id"
    assert api_requests(sandbox) == []
    with pytest.raises(errors.NotFound):
        connector.options("update_deal_note", "note_id", {"deal_id": "4242"}, auth)


def test_the_note_dropdown_shows_every_note_newest_first_in_one_request(run, connector, auth, sandbox):
    # retrieve-deal-notes: one answer with every note, no paging and no guaranteed order.
    for n in range(120):
        sandbox.store["notes"].insert(
            {
                "note": f"Old note {n}",
                "relid": "1",
                "reltype": "Deal",
                "userid": "1",
                "cdate": f"2023-01-01T10:{n // 60:02d}:{n % 60:02d}-05:00",
                "mdate": "2023-01-01T10:00:00-05:00",
            }
        )
    sandbox.log.clear()
    choices = connector.options("update_deal_note", "note_id", {"deal_id": "1"}, auth)
    assert len(choices["result"]) == 121 and choices["next_offset"] is None
    assert choices["result"][0]["value"] == "1"  # the seeded note, 2024: the newest
    assert [c["text"] for c in choices["result"][1:3]] == ["Old note 119 (2023-01-01)", "Old note 118 (2023-01-01)"]
    assert len(api_requests(sandbox, "GET")) == 1
