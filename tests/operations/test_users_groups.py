"""Users and user groups: get, list, and their dropdowns."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, refused_before_sending

from engine.errors import NotFound, ValidationError


# -- users ---------------------------------------------------------------------------------
def test_get_user(run, sandbox):
    user = run("get_user", {"user_id": "2"})["user"]
    assert api_requests(sandbox)[-1].path == "/api/3/users/2"
    assert (user["id"], user["username"], user["email"]) == ("2", "sam", "sam.seller@example.com")


def test_get_user_that_does_not_exist_is_not_found(run):
    with pytest.raises(NotFound) as info:
        run("get_user", {"user_id": "99"})
    assert "No Result found for User with id 99" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({}, "/user_id", "required"),
        ({"user_id": "me"}, "/user_id", "pattern"),
        ({"user_id": "1", "extra": True}, "/extra", "additionalProperties"),
    ],
)
def test_get_user_refuses_bad_input_before_sending(run, sandbox, data, pointer, keyword):
    assert (pointer, keyword) in refused_before_sending(run, sandbox, "get_user", data)


def test_list_users_one_page(run, sandbox):
    out = run("list_users", {"limit": 1})
    assert [u["username"] for u in out["users"]] == ["admin"]
    assert out["total"] == 2 and out["has_more"] is True and out["next_offset"] == 1
    assert api_requests(sandbox, "GET")[-1].query == {"limit": ["1"], "offset": ["0"]}


def test_list_users_return_all_past_100_with_a_cap(run, sandbox):
    sandbox.load_fixture(users=150)
    out = run("list_users", {"return_all": True})
    assert len(out["users"]) == 152 == len({u["id"] for u in out["users"]}) and out["has_more"] is False
    assert [r.query["offset"] for r in api_requests(sandbox, "GET")] == [["0"], ["100"]]
    capped = run("list_users", {"return_all": True, "max_items": 120})
    assert len(capped["users"]) == 120 and capped["has_more"] is True


def test_list_users_refuses_a_page_over_100(run, sandbox):
    with pytest.raises(ValidationError) as info:
        run("list_users", {"limit": 500})
    assert info.value.errors[0]["pointer"] == "/limit"
    assert api_requests(sandbox) == []


def test_users_ddl_shows_name_and_email_and_searches_them(run, connector, auth):
    choices = run("list_users_ddl")["result"]
    assert choices == [
        {"text": "Alex Admin (admin@example.com)", "value": "1"},
        {"text": "Sam Seller (sam.seller@example.com)", "value": "2"},
    ]
    assert [c["value"] for c in run("list_users_ddl", {"search": "seller"})["result"]] == ["2"]
    assert [c["value"] for c in connector.options("get_user", "user_id", {}, auth, search="ADMIN@")["result"]] == ["1"]


def test_users_ddl_pages_beyond_100(run, sandbox):
    sandbox.load_fixture(users=99)
    first = run("list_users_ddl")
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = run("list_users_ddl", {"offset": 100})
    assert [c["text"] for c in rest["result"]] == [f"Fixture User 99 (fixture{_seq(sandbox)}.user99@example.com)"]
    assert rest["next_offset"] is None


def _seq(sandbox) -> int:
    return sandbox.store.extra["fixture_seq"]


# -- groups --------------------------------------------------------------------------------
def test_list_groups_with_their_permissions(run, sandbox):
    out = run("list_groups")
    assert api_requests(sandbox)[-1].path == "/api/3/groups"
    groups = {g["title"]: g for g in out["groups"]}
    assert set(groups) == {"Admin", "Sales"} and out["total"] == 2 and out["has_more"] is False
    assert groups["Admin"]["p_admin"] == "1" and groups["Admin"]["pgDealDelete"] == "1"
    assert groups["Sales"]["p_admin"] == "0" and groups["Sales"]["pgDeal"] == "1"
    assert groups["Sales"]["pgDealDelete"] == "0"


def test_list_groups_pages(run):
    first = run("list_groups", {"limit": 1})
    assert [g["id"] for g in first["groups"]] == ["1"] and first["has_more"] is True and first["next_offset"] == 1
    second = run("list_groups", {"limit": 1, "offset": 1})
    assert [g["id"] for g in second["groups"]] == ["2"] and second["has_more"] is False
    assert [g["id"] for g in run("list_groups", {"return_all": True})["groups"]] == ["1", "2"]


def test_groups_ddl(run):
    assert run("list_groups_ddl")["result"] == [{"text": "Admin", "value": "1"}, {"text": "Sales", "value": "2"}]
    assert run("list_groups_ddl", {"search": "sal"})["result"] == [{"text": "Sales", "value": "2"}]
