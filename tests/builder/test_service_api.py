"""The HTTP service over real HTTP against its sandbox: verbs, typed errors, and that keys never come back."""

from __future__ import annotations

import json
import re
import secrets

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.routing import Mount, Route

from ac_connector.service.app import service_url_policy
from ac_connector.service.openapi import document
from ac_connector.service.settings import ServiceSettings
from engine.auth import UrlPolicy, normalise_account_url
from engine.errors import ValidationError


def fake_key(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(20)}"


def schema_checker(doc: dict, name: str) -> Draft202012Validator:
    """A validator for one component of the served OpenAPI document, its $refs resolved."""
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(doc))
    return Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry)


@pytest.fixture(scope="module")
def openapi(served) -> dict:
    return httpx.get(served.url + "/api/openapi.json").json()


def conforms(openapi: dict, name: str, data) -> None:
    errors = list(schema_checker(openapi, name).iter_errors(data))
    assert not errors, [e.message for e in errors]


# -- description -----------------------------------------------------------------------------------
def test_openapi_is_valid_and_describes_every_route(served, openapi):
    validate_openapi(openapi)
    assert openapi == json.loads(json.dumps(document(served.service.connector.spec.version)))
    served_routes = {
        (r.path, m)
        for r in served.service.app.routes
        if isinstance(r, Route) and r.path.startswith("/api/")
        for m in (r.methods or ())
        if m != "HEAD"
    }
    documented = {
        (path.replace("{operation}", "{operation}"), method.upper())
        for path, item in openapi["paths"].items()
        for method in item
    }
    assert served_routes == documented
    assert any(isinstance(r, Mount) and r.path == "/static" for r in served.service.app.routes)


def test_manifest_operations_and_describe(api, openapi):
    manifest = api.get("/api/connector").json()
    conforms(openapi, "Manifest", manifest)
    assert manifest["name"] == "activecampaign"
    assert {t["value"] for t in manifest["authentication"]["types"]} == {"personal", "organisational"}
    assert manifest["authentication"]["fields"]["properties"]["api_key"]["writeOnly"] is True

    operations = api.get("/api/operations").json()
    assert {"add_contact_to_list", "create_contact", "create_deal"} <= {o["name"] for o in operations}

    described = api.get("/api/operations/create_deal").json()
    conforms(openapi, "Operation", described)
    stage = next(lk for lk in described["lookups"] if lk["field"] == "/stage_id")
    assert stage["depends_on"] == ["pipeline_id"]

    missing = api.get("/api/operations/no_such_operation")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "unknown_operation"
    conforms(openapi, "Error", missing.json())


def test_service_offers_its_sandbox(api, served, openapi):
    info = api.get("/api/service").json()
    conforms(openapi, "Service", info)
    assert info == {"version": "1.0.0", "sandbox": "Sandbox", "loopback_allowed": False, "token_required": False}
    listed = api.get("/api/authentications").json()
    conforms(openapi, "Authentication", listed[0])
    assert listed[0] == {"name": "Sandbox", "type": "personal", "api_url": served.sandbox_url, "sandbox": True}
    verdict = api.post("/api/authentications/Sandbox/test").json()
    conforms(openapi, "AuthenticationTest", verdict)
    assert verdict["ok"] is True and verdict["user"]["username"] == "admin"


# -- options ---------------------------------------------------------------------------------------
def test_options_page_by_offset_and_search_beyond_the_first_hundred(api, served, openapi):
    served.sandbox.reset()
    served.sandbox.load_fixture(lists=150)
    body = {"field": "/list_id", "form": {}, "authentication": "Sandbox"}
    first = api.post("/api/operations/add_contact_to_list/options", json=body).json()
    conforms(openapi, "Options", first)
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    rest = api.post("/api/operations/add_contact_to_list/options", json={**body, "offset": 100}).json()
    assert len(rest["result"]) == 52 and rest["next_offset"] is None
    values = [o["value"] for o in first["result"] + rest["result"]]
    assert len(set(values)) == 152

    found = api.post("/api/operations/add_contact_to_list/options", json={**body, "search": "-137"}).json()
    assert [o["text"] for o in found["result"]] == [next(o["text"] for o in rest["result"] if o["text"].endswith("-137"))]


def test_dependent_options_follow_the_form(api, served):
    served.sandbox.reset()
    created = api.post(
        "/api/operations/create_deal_pipeline/run",
        json={"input": {"title": "Partners", "currency": "eur"}, "authentication": "Sandbox"},
    )
    assert created.status_code == 200, created.text
    second = created.json()["output"]["dealGroup"]["id"]
    body = {"field": "/stage_id", "authentication": "Sandbox"}
    stages_1 = api.post("/api/operations/create_deal/options", json={**body, "form": {"pipeline_id": "1"}}).json()
    stages_2 = api.post("/api/operations/create_deal/options", json={**body, "form": {"pipeline_id": second}}).json()
    assert stages_1["result"] and stages_2["result"]
    assert not {o["value"] for o in stages_1["result"]} & {o["value"] for o in stages_2["result"]}


def test_options_errors_are_typed(api):
    no_lookup = api.post("/api/operations/create_contact/options", json={"field": "/email", "authentication": "Sandbox"})
    assert no_lookup.status_code == 422
    assert no_lookup.json()["error"]["errors"][0]["pointer"] == "/email"
    bad_offset = api.post(
        "/api/operations/add_contact_to_list/options", json={"field": "/list_id", "authentication": "Sandbox", "offset": -1}
    )
    assert bad_offset.status_code == 422
    assert bad_offset.json()["error"]["errors"][0]["pointer"] == "/offset"


# -- runs ------------------------------------------------------------------------------------------
def test_run_returns_the_output(api, served, openapi):
    served.sandbox.reset()
    response = api.post(
        "/api/operations/add_contact_to_list/run",
        json={"input": {"contact_id": "2", "list_id": "2"}, "authentication": "Sandbox"},
    )
    assert response.status_code == 200, response.text
    conforms(openapi, "RunResult", response.json())
    assert response.json()["output"]["contactList"]["list"] == "2"


def test_run_field_errors_carry_pointers(api, openapi):
    response = api.post(
        "/api/operations/create_contact/run", json={"input": {"email": "not-an-email", "phone": 5}, "authentication": "Sandbox"}
    )
    assert response.status_code == 422
    conforms(openapi, "Error", response.json())
    error = response.json()["error"]
    assert error["type"] == "validation" and error["retryable"] is False
    assert {e["pointer"] for e in error["errors"]} == {"/email", "/phone"}

    missing = api.post("/api/operations/create_contact/run", json={"input": {}, "authentication": "Sandbox"})
    assert [(e["pointer"], e["keyword"]) for e in missing.json()["error"]["errors"]] == [("/email", "required")]


@pytest.mark.parametrize(
    "body, status, kind",
    [
        ({"input": {"contact_id": "1"}, "authentication": "Nobody"}, 404, "authentication_not_found"),
        ({"input": {"contact_id": "1"}}, 400, "authentication_missing"),
        ({"input": {"contact_id": "x"}}, 422, "validation"),  # field errors come before the missing authentication
        ({"input": {"contact_id": "1"}, "authentication": ""}, 422, "validation"),
        ({"input": {"contact_id": "99999"}, "authentication": "Sandbox"}, 404, "not_found"),
    ],
)
def test_run_errors_are_typed(api, served, body, status, kind):
    served.sandbox.reset()
    response = api.post("/api/operations/get_contact/run", json=body)
    assert (response.status_code, response.json()["error"]["type"]) == (status, kind), response.text


def test_run_upstream_rate_limit_is_429_with_retry_after(api, served):
    served.sandbox.reset()
    served.sandbox.faults.add("GET /api/3/contacts/*", [429], headers={"Retry-After": "120"})
    response = api.post("/api/operations/get_contact/run", json={"input": {"contact_id": "1"}, "authentication": "Sandbox"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "120"
    assert response.json()["error"]["type"] == "rate_limited" and response.json()["error"]["retryable"] is True


def test_run_upstream_refusing_the_key_is_502(api, served):
    served.sandbox.reset()
    served.sandbox.faults.add("GET /api/3/contacts/*", [403], body={"message": "Forbidden"})
    response = api.post("/api/operations/get_contact/run", json={"input": {"contact_id": "1"}, "authentication": "Sandbox"})
    assert (response.status_code, response.json()["error"]["type"]) == (502, "authentication")


@pytest.mark.parametrize(
    "request_kwargs, status, kind",
    [
        ({"content": b"{}", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "bad_request"),
        ({"content": b"[]", "headers": {"content-type": "application/json"}}, 422, "validation"),
        (
            {
                "content": b'{"input": {}, "authentication": "Sandbox", "x": "' + b"a" * 1_100_000 + b'"}',
                "headers": {"content-type": "application/json"},
            },
            413,
            "payload_too_large",
        ),
    ],
)
def test_malformed_requests_are_typed(api, request_kwargs, status, kind):
    response = api.post("/api/operations/get_contact/run", **request_kwargs)
    assert (response.status_code, response.json()["error"]["type"]) == (status, kind)


def test_unknown_route_and_method_are_json(api):
    assert api.get("/api/nothing").json()["error"]["type"] == "route_not_found"
    wrong = api.get("/api/operations/get_contact/run")
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "method_not_allowed"


# -- authentications -------------------------------------------------------------------------------
def test_authentications_add_list_test_remove_never_return_the_key(api, served, openapi):
    key = served.sandbox.api_key
    wrong_key = fake_key("wrong")
    served.secrets.add(wrong_key)
    added = api.post(
        "/api/authentications",
        json={"name": "Team account", "type": "organisational", "api_url": served.sandbox_url + "/api/3/", "api_key": key},
    )
    assert added.status_code == 201, added.text
    conforms(openapi, "Authentication", added.json())
    assert added.json()["api_url"] == served.sandbox_url and added.json()["type"] == "organisational"

    assert (
        api.post(
            "/api/authentications",
            json={"name": "Team account", "type": "personal", "api_url": served.sandbox_url, "api_key": key},
        ).status_code
        == 409
    )
    assert (
        api.post(
            "/api/authentications", json={"name": "Sandbox", "type": "personal", "api_url": served.sandbox_url, "api_key": key}
        ).status_code
        == 409
    )
    api.post(
        "/api/authentications",
        json={"name": "Wrong key", "type": "personal", "api_url": served.sandbox_url, "api_key": wrong_key},
    ).raise_for_status()

    listed = api.get("/api/authentications").json()
    for item in listed:
        conforms(openapi, "Authentication", item)
    assert [a["name"] for a in listed] == ["Sandbox", "Team account", "Wrong key"]

    assert api.post("/api/authentications/Team%20account/test").json()["ok"] is True
    refused = api.post("/api/authentications/Wrong%20key/test").json()
    assert refused["ok"] is False and refused["error"]["culprit"] == "key"
    ran = api.post("/api/operations/get_contact/run", json={"input": {"contact_id": "1"}, "authentication": "Team account"})
    assert ran.status_code == 200

    assert api.delete("/api/authentications/Wrong%20key").json() == {"removed": "Wrong key"}
    assert api.delete("/api/authentications/Team%20account").status_code == 200
    assert api.delete("/api/authentications/Team%20account").json()["error"]["type"] == "authentication_not_found"
    assert api.delete("/api/authentications/Sandbox").status_code == 409
    assert [a["name"] for a in api.get("/api/authentications").json()] == ["Sandbox"]


def test_edit_authentication_rename_retype_new_key_and_a_new_url_needs_the_key(api, served, openapi):
    key = served.sandbox.api_key
    wrong_key = fake_key("wrong")
    served.secrets.add(wrong_key)
    api.post(
        "/api/authentications",
        json={"name": "Editable", "type": "personal", "api_url": served.sandbox_url, "api_key": wrong_key},
    ).raise_for_status()
    assert api.post("/api/authentications/Editable/test").json()["error"]["culprit"] == "key"

    renamed = api.patch("/api/authentications/Editable", json={"name": "Edited", "type": "organisational", "api_key": key})
    assert renamed.status_code == 200, renamed.text
    conforms(openapi, "Authentication", renamed.json())
    assert (renamed.json()["name"], renamed.json()["type"]) == ("Edited", "organisational")
    assert [a["name"] for a in api.get("/api/authentications").json()].count("Editable") == 0
    assert api.post("/api/authentications/Edited/test").json()["ok"] is True  # the key entered again is used

    moved = api.patch("/api/authentications/Edited", json={"api_url": "https://elsewhere.api-us1.com"})
    assert moved.status_code == 422
    assert moved.json()["error"]["errors"][0]["pointer"] == "/api_key"
    assert api.patch("/api/authentications/Edited", json={}).status_code == 422
    assert api.patch("/api/authentications/Sandbox", json={"name": "Mine"}).status_code == 409
    assert api.patch("/api/authentications/Nobody", json={"name": "X"}).status_code == 404
    api.delete("/api/authentications/Edited").raise_for_status()


@pytest.mark.parametrize(
    "fields, pointer",
    [
        ({"api_url": "http://127.0.0.1:9"}, "/api_url"),  # loopback, not the offered sandbox
        ({"api_url": "http://localhost:8080"}, "/api_url"),
        ({"api_url": "https://10.0.0.7"}, "/api_url"),  # an IP address
        ({"api_url": "ftp://youraccount.api-us1.com"}, "/api_url"),
        ({"type": "team"}, "/type"),
        ({"name": ""}, "/name"),
        ({"api_key": "k" * 600}, "/api_key"),
    ],
)
def test_add_authentication_refusals_point_at_the_field(api, served, fields, pointer):
    body = {
        "name": "Refused",
        "type": "personal",
        "api_url": "https://youraccount.api-us1.com",
        "api_key": fake_key("refused"),
        **fields,
    }
    served.secrets.add(body["api_key"])
    response = api.post("/api/authentications", json=body)
    assert response.status_code == 422, response.text
    assert pointer in {e["pointer"] for e in response.json()["error"]["errors"]}


def test_url_policy_refuses_names_that_resolve_to_private_addresses():
    def resolver(answer: str):
        return lambda host: [answer]

    def check(policy: UrlPolicy, url: str) -> str:
        return normalise_account_url(url, policy=policy, pointer="/api_url")

    with pytest.raises(ValidationError) as refused:
        check(UrlPolicy.service(allow_unresolved=True, resolver=resolver("10.1.2.3")), "https://intranet.example.com")
    assert refused.value.errors[0]["pointer"] == "/api_url"
    check(UrlPolicy.service(resolver=resolver("93.184.216.34")), "https://youraccount.api-us1.com")
    check(UrlPolicy.service(allow_private=True, resolver=resolver("10.1.2.3")), "https://intranet.example.com")
    check(UrlPolicy.service(allow_unresolved=True, resolver=lambda host: []), "https://youraccount.api-us1.com")
    policy = UrlPolicy.service(resolver=resolver("127.0.0.1"), allowed_origins=["http://127.0.0.1:5555"])
    check(policy, "http://127.0.0.1:5555")
    with pytest.raises(ValidationError):
        check(policy, "http://127.0.0.1:5556")
    check(service_url_policy(ServiceSettings(allow_loopback=True), None), "http://127.0.0.1:5556")


def test_stored_authentication_to_loopback_is_refused_at_use(api, served):
    """One stored by the CLI (which allows loopback) cannot be used by a service started without --allow-loopback."""
    registry = served.service.registry
    registry.store.add("Local", "personal", {"api_url": "http://127.0.0.1:9", "api_key": fake_key("local")})
    try:
        response = api.post("/api/operations/get_contact/run", json={"input": {"contact_id": "1"}, "authentication": "Local"})
        assert response.status_code == 422
        assert response.json()["error"]["errors"][0]["keyword"] == "host"
    finally:
        registry.store.remove("Local")


# -- who may ask -----------------------------------------------------------------------------------
def test_foreign_host_and_origin_are_refused(api):
    rebinding = api.get("/api/authentications", headers={"host": "attacker.example"})
    assert rebinding.status_code == 403
    cross_site = api.post(
        "/api/operations/get_contact/run",
        headers={"origin": "https://attacker.example"},
        json={"input": {"contact_id": "1"}, "authentication": "Sandbox"},
    )
    assert cross_site.status_code == 403
    same_site = api.post(
        "/api/operations/get_contact/run",
        headers={"origin": api.base_url.scheme + "://" + api.base_url.netloc.decode()},
        json={"input": {"contact_id": "1"}, "authentication": "Sandbox"},
    )
    assert same_site.status_code == 200


def test_page_and_assets_are_self_contained(api):
    page = api.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/static/builder.css", "/static/js/main.js", "/static/js/schemaform.js", "/static/activecampaign.svg"):
        assert api.get(asset).status_code == 200, asset


def test_assets_are_compressed_and_cached_and_the_page_is_not(api):
    page = api.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and page.headers["cache-control"] == "no-store"
    versioned = re.search(r'"(/static/[0-9a-f]{12}/)js/main\.js"', page.text)
    assert versioned, "the page links its assets by content version"
    prefix = versioned.group(1)
    for asset in ("js/main.js", "builder.css", "activecampaign.svg"):
        raw = api.get(prefix + asset, headers={"accept-encoding": "identity"})
        gz = api.get(prefix + asset, headers={"accept-encoding": "gzip, br"})
        assert raw.status_code == gz.status_code == 200, asset
        assert "content-encoding" not in raw.headers and gz.headers["content-encoding"] == "gzip"
        assert gz.content == raw.content  # httpx decodes: the same bytes
        assert int(gz.headers["content-length"]) < len(raw.content)
        assert gz.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in gz.headers["vary"]
    unversioned = api.get("/static/js/main.js")
    assert unversioned.headers["cache-control"] == "no-cache"
    again = api.get("/static/js/main.js", headers={"if-none-match": unversioned.headers["etag"]})
    assert again.status_code == 304
