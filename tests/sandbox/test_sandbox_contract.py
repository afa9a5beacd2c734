"""Contract: sandbox responses validate against the official OpenAPI description's response schemas.

Every endpoint the operations use (plus the extras in the issue) is called for real over loopback,
and the body is validated against the schema documented for that status code (the committed
facts-only extract tests/data/activecampaign-v3.facts.json, made by scripts/openapi_facts.py). Deliberate
differences (live behaviour vs docs) live in ONE place: sandbox/fidelity_exceptions.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sandbox import Sandbox
from sandbox.fidelity_exceptions import GLOBAL, lookup

# The facts of the official description (scripts/openapi_facts.py), committed with the tests.
SPEC_PATH = Path(__file__).parents[1] / "data" / "activecampaign-v3.facts.json"
SPEC_URI = "urn:activecampaign-v3"

Call = Callable[[httpx.Client, Sandbox], httpx.Response]


# -- schema handling ------------------------------------------------------------------------
def _relax(node: Any) -> Any:
    """Apply the GLOBAL relaxations: nullable everywhere, oneOf read as anyOf."""
    if isinstance(node, dict):
        out = {k: _relax(v) for k, v in node.items()}
        if "oneOf" in out and "oneOf" in GLOBAL:
            out["anyOf"] = out.pop("oneOf")
        kind = out.get("type")
        if "nullable" in GLOBAL and isinstance(kind, str) and kind != "null":
            out["type"] = [kind, "null"]
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


@cache
def _spec() -> tuple[dict, Registry]:
    spec = json.loads(SPEC_PATH.read_text())
    relaxed = copy.deepcopy(spec)
    relaxed["paths"] = _relax(relaxed["paths"])
    resource = Resource.from_contents(relaxed, default_specification=DRAFT202012)
    return relaxed, Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _documented(method: str, path: str) -> dict[str, Any]:
    spec, _ = _spec()
    return spec["paths"][path][method.lower()]["responses"]


def _validate(method: str, path: str, status: int, body: Any) -> list[str]:
    """Errors of `body` against the schema documented for `status` (after fidelity exceptions)."""
    exceptions = lookup(method, path)
    documented = exceptions.get("status", {}).get(status, status)
    responses = _documented(method, path)
    assert str(documented) in responses, (
        f"{method} {path} answered {status}, which the doc does not list ({sorted(responses)}) and no "
        f"fidelity exception explains"
    )
    if "skip_schema" in exceptions:
        return []
    spec, _ = _spec()
    content = spec["paths"][path][method.lower()]["responses"][str(documented)].get("content", {}).get("application/json", {})
    if content.get("schema") is None:
        return []  # the doc's example was not valid JSON, so it has no schema to check against
    _, registry = _spec()
    ref = "#/" + _pointer("paths", path, method.lower(), "responses", str(documented), "content", "application/json", "schema")
    validator = Draft202012Validator({"$ref": SPEC_URI + ref}, registry=registry)
    ignored = exceptions.get("ignore", {})
    errors = [
        f"{key}: documented key missing"
        for key in _missing(content["schema"], body)
        if key not in ignored and key.replace("*/", "") not in ignored
    ]
    for error in validator.iter_errors(body):
        where = "/".join(str(p) for p in error.absolute_path)
        generic = "/".join("*" if isinstance(p, int) else str(p) for p in error.absolute_path)
        bare = "/".join(str(p) for p in error.absolute_path if not isinstance(p, int))
        if where in ignored or generic in ignored or bare in ignored:
            continue
        errors.append(f"{where or '<root>'}: {error.message}")
    return errors


def _missing(schema: Any, body: Any, where: str = "", depth: int = 0) -> list[str]:
    """Keys the documented example has and the response lacks (the SPEC marks nothing required, so the
    example's keys are the closest thing to a contract). Checked down to three levels."""
    if depth > 3 or not isinstance(schema, dict):
        return []
    if "anyOf" in schema:
        options = [_missing(branch, body, where, depth) for branch in schema["anyOf"]]
        return min(options, key=len) if options else []
    if isinstance(body, dict) and isinstance(schema.get("properties"), dict):
        out = []
        for key, sub in schema["properties"].items():
            if key not in body:
                out.append(f"{where}{key}")
            elif key != "links":
                out += _missing(sub, body[key], f"{where}{key}/", depth + 1)
        return out
    if isinstance(body, list) and body and isinstance(schema.get("items"), dict):
        return _missing(schema["items"], body[0], f"{where}*/", depth + 1)
    return []


# -- the calls ------------------------------------------------------------------------------
def post(path: str, body: Any) -> Call:
    return lambda c, sb: c.post(path, json=body)


def get(path: str, **params: Any) -> Call:
    return lambda c, sb: c.get(path, params=params)


def put(path: str, body: Any) -> Call:
    return lambda c, sb: c.put(path, json=body)


def delete(path: str) -> Call:
    return lambda c, sb: c.delete(path)


def then(first: Call, second: Call) -> Call:
    def run(c: httpx.Client, sb: Sandbox) -> httpx.Response:
        assert first(c, sb).status_code < 300
        return second(c, sb)

    return run


NEW_CONTACT = {
    "contact": {
        "email": "contract@example.com",
        "firstName": "Con",
        "lastName": "Tract",
        "phone": "555",
        "fieldValues": [{"field": "2", "value": "1990-01-01"}],
    }
}
NEW_DEAL = {
    "deal": {
        "title": "Contract deal",
        "value": 45600,
        "currency": "usd",
        "contact": "1",
        "group": "1",
        "stage": "2",
        "owner": "1",
        "status": 0,
        "description": "d",
    }
}
NEW_TASK = {
    "dealTask": {
        "title": "Call",
        "ownerType": "deal",
        "relid": "1",
        "status": 0,
        "note": "n",
        "duedate": "2030-02-25T12:00:00-06:00",
        "dealTasktype": "1",
        "assignee": "2",
    }
}
NEW_ACCOUNT = {"account": {"name": "Example Account", "accountUrl": "https://www.example.com"}}
NEW_WEBHOOK = {
    "webhook": {"name": "Hook", "url": "https://example.com/hook", "events": ["subscribe"], "sources": ["public", "api"]}
}

CASES: dict[str, Call] = {
    # contacts
    "POST /contacts 201": post("/contacts", NEW_CONTACT),
    "POST /contacts 422": post("/contacts", {"contact": {"email": "jane.doe@example.com"}}),
    "GET /contacts 200": get("/contacts", limit=5),
    "GET /contacts/{id} 200": then(
        post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "1"}}), get("/contacts/1")
    ),
    "GET /contacts/{id} 404": get("/contacts/999"),
    "PUT /contacts/{id} 200": put(
        "/contacts/1", {"contact": {"firstName": "J", "fieldValues": [{"field": "2", "value": "2001-02-03"}]}}
    ),
    "PUT /contacts/{id} 404": put("/contacts/999", {"contact": {"firstName": "J"}}),
    "DELETE /contacts/{id} 200": delete("/contacts/2"),
    "DELETE /contacts/{id} 404": delete("/contacts/999"),
    "POST /contact/sync 201": post("/contact/sync", NEW_CONTACT),
    "POST /contact/sync 200": post(
        "/contact/sync",
        {"contact": {"email": "jane.doe@example.com", "lastName": "D", "fieldValues": [{"field": "1", "value": "1-10"}]}},
    ),
    "POST /contactLists 200": post("/contactLists", {"contactList": {"list": 2, "contact": 1, "status": 1}}),
    "POST /contactAutomations 201": post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "2"}}),
    "POST /contactAutomations 403": post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "3"}}),
    "GET /contactAutomations 200": then(
        post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "1"}}), get("/contactAutomations")
    ),
    "GET /contactAutomations/{id} 200": then(
        post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "1"}}), get("/contactAutomations/1")
    ),
    "GET /contactAutomations/{id} 404": get("/contactAutomations/99"),
    "DELETE /contactAutomations/{id} 200": then(
        post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "1"}}), delete("/contactAutomations/1")
    ),
    "DELETE /contactAutomations/{id} 403": delete("/contactAutomations/99"),
    "GET /contacts/{id}/fieldValues 200": get("/contacts/1/fieldValues"),
    "GET /contacts/{id}/fieldValues 404": get("/contacts/100/fieldValues"),
    "GET /contacts/{id}/contactLists 200": get("/contacts/1/contactLists"),
    "GET /contacts/{id}/contactLists 404": get("/contacts/121/contactLists"),
    "GET /contacts/{id}/contactAutomations 200": then(
        post("/contactAutomations", {"contactAutomation": {"contact": "1", "automation": "1"}}),
        get("/contacts/1/contactAutomations"),
    ),
    "GET /contacts/{id}/notes 200": then(
        post("/notes", {"note": {"note": "n", "relid": 1, "reltype": "Subscriber"}}), get("/contacts/1/notes")
    ),
    "GET /contacts/{id}/notes 404": get("/contacts/100/notes"),
    "GET /contacts/{id}/deals 200": get("/contacts/1/deals"),
    "GET /contacts/{id}/deals 404": get("/contacts/100/deals"),
    # custom fields
    "POST /fields 201": post(
        "/fields",
        {
            "field": {
                "type": "text",
                "title": "Field Title",
                "descript": "d",
                "perstag": "Personalized Tag",
                "defval": "x",
                "visible": 1,
                "ordernum": 1,
            }
        },
    ),
    "POST /fields 422": post("/fields", {"field": {"type": "date", "title": "Birthday"}}),
    "GET /fields 200": get("/fields"),
    "GET /fields/{id} 200": get("/fields/1"),
    "POST /fieldOption/bulk 201": post(
        "/fieldOption/bulk",
        {"fieldOptions": [{"orderid": 4, "value": "X", "label": "Option X", "isdefault": False, "field": "1"}]},
    ),
    "POST /fieldOption/bulk 422": post("/fieldOption/bulk", {"fieldOptions": {"field": "1", "value": "X"}}),
    "POST /fieldRels 201": post("/fieldRels", {"fieldRel": {"field": 2, "relid": 2}}),
    "POST /fieldValues 200": post(
        "/fieldValues", {"fieldValue": {"contact": 2, "field": 2, "value": "2018-12-31"}, "useDefaults": True}
    ),
    "GET /fieldValues 200": get("/fieldValues", **{"filters[fieldid]": "1"}),
    "GET /fieldValues/{id} 200": get("/fieldValues/1"),
    "GET /fieldValues/{id} 403": get("/fieldValues/10"),
    "PUT /fieldValues/{id} 200": put("/fieldValues/1", {"fieldValue": {"contact": 1, "field": 1, "value": "1-10"}}),
    "DELETE /fieldValues/{id} 200": delete("/fieldValues/1"),
    "DELETE /fieldValues/{id} 403": delete("/fieldValues/10"),
    # lists
    "POST /lists 201": post(
        "/lists",
        {
            "list": {
                "name": "Name of List",
                "stringid": "Name-of-list",
                "sender_url": "http://activecampaign.com",
                "sender_reminder": "r",
                "send_last_broadcast": 0,
                "user": 1,
            }
        },
    ),
    "GET /lists 200": get("/lists", **{"filters[name]": "news"}),
    "GET /lists/{id} 200": get("/lists/1"),
    "GET /lists/{id} 404": get("/lists/7"),
    "DELETE /lists/{id} 200": delete("/lists/2"),
    "DELETE /lists/{id} 403": delete("/lists/3"),
    # messages, campaigns, automations, users, groups
    "POST /messages 201": post(
        "/messages",
        {
            "message": {
                "fromname": "AC Admin",
                "fromemail": "noreply@example.com",
                "reply2": "hello@example.com",
                "subject": "s",
                "preheader_text": "p",
            }
        },
    ),
    "GET /messages 200": get("/messages"),
    "GET /messages/{id} 200": get("/messages/1"),
    "GET /messages/{id} 404": get("/messages/10"),
    "PUT /messages/{id} 200": put("/messages/1", {"message": {"subject": "New subject", "html": "<p>x</p>"}}),
    "PUT /messages/{id} 404": put("/messages/543", {"message": {"subject": "x"}}),
    "DELETE /messages/{id} 200": delete("/messages/3"),
    "GET /campaigns 200": get("/campaigns"),
    "GET /campaigns/{id} 200": get("/campaigns/1"),
    "GET /automations 200": get("/automations"),
    "GET /users 200": get("/users"),
    "GET /users/{id} 200": get("/users/1"),
    "GET /users/me 200": get("/users/me"),
    "GET /users/email/{email} 200": get("/users/email/admin@example.com"),
    "GET /groups 200": get("/groups"),
    # deals and notes
    "POST /deals 201": post("/deals", NEW_DEAL),
    "GET /deals 200": get("/deals"),
    "GET /deals/{id} 200": get("/deals/1"),
    "PUT /deals/{id} 200": put("/deals/1", {"deal": {"title": "Renamed", "value": 1000, "status": 1}}),
    "DELETE /deals/{id} 200": delete("/deals/1"),
    "POST /deals/{id}/notes 201": post("/deals/1/notes", {"note": {"note": "Note for the deal"}}),
    "PUT /deals/{id}/notes/{noteId} 200": put("/deals/1/notes/1", {"note": {"note": "Update with more info"}}),
    "POST /notes 201": post("/notes", {"note": {"note": "text", "relid": 2, "reltype": "Subscriber"}}),
    "GET /notes 200": get("/notes"),
    "GET /notes/{id} 200": get("/notes/1"),
    "PUT /notes/{id} 200": put("/notes/1", {"note": {"note": "text", "relid": 2, "reltype": "Subscriber"}}),
    "PUT /notes/{id} 403": put("/notes/99", {"note": {"note": "text"}}),
    "DELETE /notes/{id} 200": delete("/notes/1"),
    "DELETE /notes/{id} 403": delete("/notes/99"),
    # pipelines and stages
    "POST /dealGroups 201": post(
        "/dealGroups",
        {
            "dealGroup": {
                "allgroups": 1,
                "allusers": 0,
                "autoassign": 1,
                "currency": "eur",
                "title": "Qualifications",
                "users": ["1", "2"],
            }
        },
    ),
    "GET /dealGroups 200": get("/dealGroups"),
    "GET /dealGroups/{id} 200": get("/dealGroups/1"),
    "PUT /dealGroups/{id} 200": put("/dealGroups/1", {"dealGroup": {"title": "Q", "users": ["2"], "groups": []}}),
    "DELETE /dealGroups/{id} 200": delete("/dealGroups/1"),
    "POST /dealStages 201": post(
        "/dealStages?reorder=1",
        {"dealStage": {"title": "Initial Contact", "group": "1", "order": 1, "color": "32B0FC", "width": 360}},
    ),
    "GET /dealStages 200": get("/dealStages", **{"filters[d_groupid]": "1"}),
    "GET /dealStages/{id} 200": get("/dealStages/1"),
    "PUT /dealStages/{id} 200": put("/dealStages/2", {"dealStage": {"title": "Qualified", "color": "696969"}}),
    "DELETE /dealStages/{id} 200": delete("/dealStages/3"),
    "PUT /dealStages/{id}/deals 200": put("/dealStages/1/deals", {"deal": {"stage": "3"}}),
    "PUT /dealStages/{id}/deals 422": then(
        post("/dealGroups", {"dealGroup": {"title": "Other", "currency": "usd"}}),
        put("/dealStages/1/deals", {"deal": {"stage": "4"}}),
    ),
    # tasks and task types
    "POST /dealTasks 201": post("/dealTasks", NEW_TASK),
    "GET /dealTasks 200": get("/dealTasks"),
    "GET /dealTasks/{id} 200": get("/dealTasks/1"),
    "PUT /dealTasks/{id} 200": put("/dealTasks/1", {"dealTask": {"status": 1}}),
    "DELETE /dealTasks/{id} 200": delete("/dealTasks/1"),
    "POST /dealTasktypes 201": post("/dealTasktypes", {"dealTasktype": {"title": "Skype", "status": 0}}),
    "GET /dealTasktypes 200": get("/dealTasktypes"),
    "GET /dealTasktypes/{id} 200": get("/dealTasktypes/1"),
    "PUT /dealTasktypes/{id} 200": put("/dealTasktypes/2", {"dealTasktype": {"title": "Meet in person", "status": 1}}),
    "DELETE /dealTasktypes/{id} 200": delete("/dealTasktypes/2"),
    # task outcomes
    "GET /taskOutcomes 200": get("/taskOutcomes"),
    "GET /taskOutcomes/{id} 200": get("/taskOutcomes/1"),
    "POST /taskOutcomes 200": post("/taskOutcomes", {"taskOutcome": {"title": "Interested", "sentiment": "Positive"}}),
    "POST /taskOutcomes 422": post("/taskOutcomes", {"taskOutcome": {"sentiment": "Happy"}}),
    "GET /tasktypeOutcomeRels 200": get("/tasktypeOutcomeRels"),
    "PUT /dealTasks/{id} 200 outcome": put(
        "/dealTasks/1", {"dealTask": {"status": 1, "outcomeId": 1, "outcomeInfo": "Wants a quote"}}
    ),
    # tags
    "POST /tags 201": post("/tags", {"tag": {"tag": "My Tag", "tagType": "contact", "description": "Description"}}),
    "GET /tags 200": get("/tags", search="cust"),
    "GET /tags/{id} 200": get("/tags/1"),
    "GET /tags/{id} 404": get("/tags/9"),
    "POST /contactTags 200": post("/contactTags", {"contactTag": {"contact": "2", "tag": "1"}}),
    "POST /contactTags 404": post("/contactTags", {"contactTag": {"contact": "99", "tag": "1"}}),
    "POST /contactTags 422": post("/contactTags", {"contactTag": {"tag": "1"}}),
    "DELETE /contactTags/{id} 200": delete("/contactTags/1"),
    "DELETE /contactTags/{id} 404": delete("/contactTags/9"),
    # accounts
    "POST /accounts 201": post("/accounts", NEW_ACCOUNT),
    "POST /accounts 422": post("/accounts", {"account": {"accountUrl": "https://x.example"}}),
    "GET /accounts 200": then(post("/accounts", NEW_ACCOUNT), get("/accounts", count_deals="true")),
    "GET /accounts/{id} 200": then(post("/accounts", NEW_ACCOUNT), get("/accounts/1")),
    "PUT /accounts/{id} 200": then(post("/accounts", NEW_ACCOUNT), put("/accounts/1", {"account": {"name": "B"}})),
    "DELETE /accounts/{id} 200": then(post("/accounts", NEW_ACCOUNT), delete("/accounts/1")),
    "POST /accountContacts 201": then(
        post("/accounts", NEW_ACCOUNT),
        post("/accountContacts", {"accountContact": {"contact": 2, "account": 1, "jobTitle": "Product Manager"}}),
    ),
    "POST /accountContacts 422": post("/accountContacts", {"accountContact": {"contact": 2}}),
    "GET /accountContacts 200": then(
        post("/accounts", NEW_ACCOUNT),
        then(post("/accountContacts", {"accountContact": {"contact": 2, "account": 1}}), get("/accountContacts")),
    ),
    # webhooks
    "POST /webhooks 201": post("/webhooks", NEW_WEBHOOK),
    "GET /webhooks 200": then(post("/webhooks", NEW_WEBHOOK), get("/webhooks")),
    "GET /webhooks/{id} 200": then(post("/webhooks", NEW_WEBHOOK), get("/webhooks/1")),
    "DELETE /webhooks/{id} 200": then(post("/webhooks", NEW_WEBHOOK), delete("/webhooks/1")),
    # bulk import
    "POST /import/bulk_import 200": post(
        "/import/bulk_import",
        {"contacts": [{"email": "bulk@example.com", "first_name": "B", "tags": ["vip"], "subscribe": [{"listid": 1}]}]},
    ),
    "POST /import/bulk_import 400": post("/import/bulk_import", {"contacts": [{"first_name": "no email"}]}),
    "GET /import/info 200": lambda c, sb: c.get(
        "/import/info",
        params={
            "batchId": c.post("/import/bulk_import", json={"contacts": [{"email": "x@example.com"}, {"email": "bad"}]}).json()[
                "batchId"
            ]
        },
    ),
    "GET /import/info 400": get("/import/info"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_response_matches_the_documented_schema(case: str, client: httpx.Client, sb: Sandbox) -> None:
    method, path, status = case.split(" ")[:3]
    response = CASES[case](client, sb)
    assert response.status_code == int(status), response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    errors = _validate(method, path, response.status_code, body)
    assert not errors, "\n".join(errors[:20])


def test_every_fidelity_exception_is_exercised() -> None:
    from sandbox.fidelity_exceptions import EXCEPTIONS

    covered = {" ".join(case.split(" ")[:2]) for case in CASES}
    assert set(EXCEPTIONS) <= covered, set(EXCEPTIONS) - covered


def test_create_field_has_the_live_shape(client: httpx.Client) -> None:
    """POST fields is excepted from the schema check (wrong doc example); check the LIVE shape here."""
    body = client.post("/fields", json={"field": {"title": "Nango Test Field Save Run", "type": "text"}}).json()
    field = body["field"]
    assert set(body) == {"field"}
    assert field["perstag"] == "NANGO_TEST_FIELD_SAVE_RUN" and isinstance(field["ordernum"], int)
    assert field["id"].isdigit() and field["type"] == "text"
