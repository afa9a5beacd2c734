"""E-mail messages: create, update, delete, list and the message dropdown, against the sandbox."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import NotFound, UpstreamValidation, ValidationError

SENDER = {"from_name": "Example Inc", "from_email": "news@example.com", "reply_to": "hello@example.com"}


def read_message(run, message_id: str) -> dict:
    return run("raw_http_request", {"method": "GET", "path": f"/messages/{message_id}"})["body"]["message"]


def make_messages(run, count: int, prefix: str = "Bulk") -> list[str]:
    return [
        run("create_message", {**SENDER, "name": f"{prefix} {n}", "subject": f"Subject {n}"})["message"]["id"]
        for n in range(count)
    ]


# -- create --------------------------------------------------------------------------------
def test_create_message_sends_activecampaigns_field_names(run, sandbox):
    out = run(
        "create_message",
        {
            **SENDER,
            "subject": "Hello %FIRSTNAME%",
            "name": "Autumn news",
            "preheader": "Leaves are falling",
            "html": "<p>Hi</p>",
            "text": "Hi",
        },
    )
    assert api_requests(sandbox, "POST")[-1].body == {
        "message": {
            "fromname": "Example Inc",
            "fromemail": "news@example.com",
            "reply2": "hello@example.com",
            "subject": "Hello %FIRSTNAME%",
            "name": "Autumn news",
            "preheader_text": "Leaves are falling",
            "html": "<p>Hi</p>",
            "text": "Hi",
        }
    }
    message = out["message"]
    assert message["fromemail"] == "news@example.com" and message["subject"] == "Hello %FIRSTNAME%"
    stored = read_message(run, message["id"])
    assert stored["name"] == "Autumn news" and stored["html"] == "<p>Hi</p>"
    assert stored["preheader_text"] == "Leaves are falling"


def test_create_message_with_only_the_required_fields(run, sandbox):
    out = run("create_message", SENDER)
    assert api_requests(sandbox, "POST")[-1].body == {
        "message": {"fromname": "Example Inc", "fromemail": "news@example.com", "reply2": "hello@example.com"}
    }
    assert out["message"]["reply2"] == "hello@example.com"


def test_a_blank_sender_name_is_activecampaigns_422(run):
    with pytest.raises(UpstreamValidation) as info:
        run("create_message", {**SENDER, "from_name": "   "})
    assert info.value.status == 422 and "fromname" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"from_name": "X", "from_email": "news@example.com"}, "/reply_to", "required"),
        ({**SENDER, "from_email": "not-an-address"}, "/from_email", "format"),
        ({**SENDER, "reply_to": "hello at example.com"}, "/reply_to", "format"),
        ({**SENDER, "from_name": ""}, "/from_name", "minLength"),
        ({**SENDER, "email": "x@example.com"}, "/email", "additionalProperties"),
    ],
)
def test_create_message_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "create_message", data)


# -- update --------------------------------------------------------------------------------
def test_update_message_sends_only_the_fields_given(run, sandbox):
    before = read_message(run, "1")
    out = run("update_message", {"message_id": "1", "subject": "Summer is here", "reply_to": "team@example.com"})
    request = api_requests(sandbox, "PUT")[-1]
    assert request.path == "/api/3/messages/1"
    assert request.body == {"message": {"subject": "Summer is here", "reply2": "team@example.com"}}
    assert out["message"]["subject"] == "Summer is here" and out["message"]["reply2"] == "team@example.com"
    after = read_message(run, "1")
    for key in ("name", "fromname", "fromemail", "html", "text", "preheader_text"):
        assert after[key] == before[key], key


def test_update_message_that_does_not_exist_is_not_found(run):
    with pytest.raises(NotFound) as info:
        run("update_message", {"message_id": "543", "subject": "x"})
    assert "No Result found for Message with id 543" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"subject": "x"}, "/message_id", "required"),
        ({"message_id": "1/../2", "subject": "x"}, "/message_id", "pattern"),
        ({"message_id": "1", "from_email": "nope"}, "/from_email", "format"),
    ],
)
def test_update_message_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "update_message", data)


# -- delete --------------------------------------------------------------------------------
def test_delete_message_says_what_it_deleted(run, sandbox):
    message_id = run("create_message", {**SENDER, "name": "Short lived"})["message"]["id"]
    assert run("delete_message", {"message_id": message_id}) == {"deleted": True, "id": message_id}
    assert api_requests(sandbox, "DELETE")[-1].path == f"/api/3/messages/{message_id}"
    ids = [m["id"] for m in run("list_messages", {"return_all": True})["messages"]]
    assert message_id not in ids and ids == ["1", "2", "3"]
    with pytest.raises(NotFound):
        run("delete_message", {"message_id": message_id})


def test_delete_message_refuses_a_bad_id_before_sending(run, sandbox):
    with pytest.raises(ValidationError):
        run("delete_message", {"message_id": ""})
    assert api_requests(sandbox) == []


# -- list ----------------------------------------------------------------------------------
def test_list_messages_one_page(run, sandbox):
    out = run("list_messages", {"limit": 2})
    assert [m["id"] for m in out["messages"]] == ["1", "2"]
    assert out["total"] == 3 and out["has_more"] is True and out["next_offset"] == 2
    assert api_requests(sandbox, "GET")[-1].query == {"limit": ["2"], "offset": ["0"]}
    rest = run("list_messages", {"limit": 2, "offset": 2})
    assert [m["subject"] for m in rest["messages"]] == ["Welcome to Example Inc, %FIRSTNAME%"]
    assert rest["has_more"] is False and rest["next_offset"] is None


def test_list_messages_return_all_pages_past_100_with_a_cap(run, sandbox):
    make_messages(run, 100)
    sandbox.log.clear()
    out = run("list_messages", {"return_all": True})
    assert len(out["messages"]) == 103 == len({m["id"] for m in out["messages"]}) == out["total"]
    assert out["has_more"] is False
    assert [r.query["offset"] for r in api_requests(sandbox, "GET")] == [["0"], ["100"]]
    capped = run("list_messages", {"return_all": True, "max_items": 101})
    assert len(capped["messages"]) == 101 and capped["has_more"] is True


# -- DDL -----------------------------------------------------------------------------------
def test_messages_ddl_shows_name_and_subject(run):
    run("create_message", {**SENDER, "subject": "No name here"})
    choices = run("list_messages_ddl")["result"]
    assert choices[0] == {"text": "Spring Newsletter — Spring is here at Example Inc", "value": "1"}
    assert choices[-1] == {"text": "No name here", "value": "4"}


def test_messages_ddl_search_matches_name_or_subject(run):
    assert [c["value"] for c in run("list_messages_ddl", {"search": "widget"})["result"]] == ["2"]
    assert [c["value"] for c in run("list_messages_ddl", {"search": "WELCOME EMAIL"})["result"]] == ["3"]
    assert run("list_messages_ddl", {"search": "nothing like this"})["result"] == []


def test_messages_ddl_pages_beyond_100(run, connector, auth):
    make_messages(run, 100)
    first = connector.options("update_message", "message_id", {}, auth)
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = connector.options("delete_message", "message_id", {}, auth, offset=first["next_offset"])
    assert [c["text"] for c in rest["result"]] == ["Bulk 97 — Subject 97", "Bulk 98 — Subject 98", "Bulk 99 — Subject 99"]
    assert rest["next_offset"] is None
