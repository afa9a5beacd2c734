"""raw_http_request: any API v3 call with the connector's authentication, and the rules that keep the key home."""

from __future__ import annotations

import pytest

from engine.errors import AlreadyExists, NotFound, ValidationError


def api_requests(sandbox, method: str | None = None, path: str | None = None):
    return [r for r in sandbox.log.matching(method, path) if r.path.startswith("/api/3")]


def test_get_tags_with_a_query(run, sandbox):
    out = run("raw_http_request", {"method": "GET", "path": "/tags", "query": {"search": "cust"}})
    assert out["status"] == 200
    assert [t["tag"] for t in out["body"]["tags"]] == ["customer"] and out["body"]["meta"]["total"] == "1"
    request = api_requests(sandbox)[-1]
    assert (request.method, request.path, request.query) == ("GET", "/api/3/tags", {"search": ["cust"]})
    assert request.header("Api-Token") == "***"  # sent, and masked in the sandbox's log
    assert out["headers"]["content-type"].startswith("application/json")


def test_method_defaults_to_get(run, sandbox):
    assert run("raw_http_request", {"path": "/users/me"})["body"]["user"]["id"] == "1"
    assert api_requests(sandbox)[-1].method == "GET"


def test_post_creates_then_put_and_delete(run, sandbox):
    created = run(
        "raw_http_request",
        {"method": "POST", "path": "/tags", "body": {"tag": {"tag": "VIP", "tagType": "contact", "description": "Big"}}},
    )
    assert created["status"] == 201 and created["body"]["tag"]["tag"] == "VIP"
    sent = api_requests(sandbox, "POST")[-1]
    assert sent.body == {"tag": {"tag": "VIP", "tagType": "contact", "description": "Big"}}
    assert sent.header("Content-Type") == "application/json"
    tag_id = created["body"]["tag"]["id"]
    updated = run(
        "raw_http_request",
        {
            "method": "PUT",
            "path": f"/tags/{tag_id}",
            "body": {"tag": {"tag": "VIP", "tagType": "contact", "description": "Bigger"}},
        },
    )
    assert updated["status"] == 200 and updated["body"]["tag"]["description"] == "Bigger"
    deleted = run("raw_http_request", {"method": "DELETE", "path": f"/tags/{tag_id}"})
    assert deleted["status"] == 200
    with pytest.raises(NotFound):
        run("raw_http_request", {"path": f"/tags/{tag_id}"})


def test_query_lists_repeat_the_parameter(run, sandbox):
    out = run("raw_http_request", {"path": "/contacts", "query": {"ids[]": ["1", "2"], "limit": 5}})
    assert sorted(c["id"] for c in out["body"]["contacts"]) == ["1", "2"]
    assert api_requests(sandbox)[-1].query == {"ids[]": ["1", "2"], "limit": ["5"]}


def test_a_full_url_into_the_accounts_api_is_accepted(run, sandbox, sandbox_server):
    out = run("raw_http_request", {"path": f"{sandbox_server.url}/api/3/contacts/1/contactTags"})
    assert out["status"] == 200 and [t["tag"] for t in out["body"]["contactTags"]] == ["1"]
    assert api_requests(sandbox)[-1].path == "/api/3/contacts/1/contactTags"


def test_a_body_is_not_sent_with_get(run, sandbox):
    run("raw_http_request", {"method": "GET", "path": "/users/me", "body": {"ignored": True}})
    assert api_requests(sandbox)[-1].body is None


def test_extra_headers_are_sent(run, sandbox):
    run("raw_http_request", {"path": "/users/me", "headers": {"X-Request-Source": "workflow-42"}})
    assert api_requests(sandbox)[-1].header("X-Request-Source") == "workflow-42"


def test_error_answers_are_typed_with_activecampaigns_words(run):
    with pytest.raises(NotFound) as info:
        run("raw_http_request", {"path": "/contacts/424242"})
    assert "No Result found" in info.value.message
    with pytest.raises(AlreadyExists):
        run("raw_http_request", {"method": "POST", "path": "/fields", "body": {"field": {"title": "Birthday", "type": "date"}}})


@pytest.mark.parametrize(
    ("path", "keyword"),
    [
        ("https://evil.example/api/3/users/me", "origin"),
        ("http://127.0.0.1:1/api/3/users/me", "origin"),
        ("//evil.example/api/3/users/me", "pattern"),
        ("/users/../../secret", "pattern"),
        ("/users/%2e%2e/me", "pattern"),
        ("/users/me?x=1", "pattern"),
        ("users/me", "pattern"),
    ],
)
def test_paths_that_could_leave_the_api_are_refused_and_nothing_is_sent(run, sandbox, path, keyword):
    with pytest.raises(ValidationError) as info:
        run("raw_http_request", {"method": "GET", "path": path})
    assert [(e["pointer"], e["keyword"]) for e in info.value.errors] == [("/path", keyword)]
    assert len(sandbox.log) == 0


@pytest.mark.parametrize("header", ["Api-Token", "api-token", "Authorization", "Host", "HOST", "Cookie", "Proxy-Authorization"])
def test_credential_and_routing_headers_are_refused_and_nothing_is_sent(run, sandbox, header):
    with pytest.raises(ValidationError) as info:
        run("raw_http_request", {"path": "/users/me", "headers": {header: "attacker-value"}})
    assert [e["pointer"] for e in info.value.errors] == [f"/headers/{header}"]
    assert "cannot be set" in info.value.message
    assert len(sandbox.log) == 0


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"method": "GET"}, "/path"),
        ({"method": "TRACE", "path": "/users"}, "/method"),
        ({"path": "/users", "query": {"filters": {"nested": "object"}}}, "/query/filters"),
        ({"path": "/users", "headers": {"X-Bad": "line\r\nbreak"}}, "/headers/X-Bad"),
    ],
)
def test_malformed_requests_are_refused_before_sending(run, sandbox, data, pointer):
    with pytest.raises(ValidationError) as info:
        run("raw_http_request", data)
    assert pointer in [e["pointer"] for e in info.value.errors]
    assert len(sandbox.log) == 0


# -- body types (issue 15): form-encoded and plain text besides JSON --------------------------------
@pytest.mark.parametrize(
    ("body_type", "body", "content", "content_type"),
    [
        ("json", {"tag": {"tag": "VIP"}}, b'{"tag":{"tag":"VIP"}}', "application/json"),
        (
            "form",
            {"tag[tag]": "VIP & co", "ids[]": ["1", "2"], "flag": True},
            b"tag%5Btag%5D=VIP+%26+co&ids%5B%5D=1&ids%5B%5D=2&flag=true",
            "application/x-www-form-urlencoded",
        ),
        ("text", "hello, world", b"hello, world", "text/plain; charset=utf-8"),
    ],
)
def test_raw_request_body_types(connector, auth, body_type, body, content, content_type):
    request = connector.render_request(
        "raw_http_request", {"method": "POST", "path": "/tags", "body": body, "body_type": body_type}, auth
    )
    assert request.content == content and request.headers["content-type"] == content_type


def test_a_caller_content_type_is_kept(connector, auth):
    request = connector.render_request(
        "raw_http_request",
        {
            "method": "PUT",
            "path": "/tags/1",
            "body": "<x/>",
            "body_type": "text",
            "headers": {"Content-Type": "application/xml"},
        },
        auth,
    )
    assert request.headers["content-type"] == "application/xml" and request.content == b"<x/>"


@pytest.mark.parametrize(
    ("body_type", "body", "pointer"),
    [
        ("form", ["not", "an", "object"], "/body"),
        ("form", {"nested": {"a": 1}}, "/body/nested"),
        ("text", {"not": "text"}, "/body"),
    ],
)
def test_a_body_that_does_not_fit_its_type_is_refused_before_sending(run, sandbox, body_type, body, pointer):
    with pytest.raises(ValidationError) as info:
        run("raw_http_request", {"method": "POST", "path": "/tags", "body": body, "body_type": body_type})
    assert info.value.errors[0]["pointer"] == pointer
    assert api_requests(sandbox) == []


def test_a_form_body_reaches_the_api_and_its_refusal_is_typed(run, sandbox):
    from engine.errors import UpstreamValidation

    with pytest.raises(UpstreamValidation) as info:  # API v3 takes JSON: a form body is its generic 400
        run("raw_http_request", {"method": "POST", "path": "/tags", "body": {"tag[tag]": "VIP"}, "body_type": "form"})
    assert info.value.status == 400
    assert api_requests(sandbox, "POST")[-1].headers["Content-Type"] == "application/x-www-form-urlencoded"
