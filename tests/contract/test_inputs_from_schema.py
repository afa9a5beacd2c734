"""R5 contract check: for every operation, inputs generated from its own input schema are accepted, and the
request they render has a query and body that the official OpenAPI description allows.

The description has known mistakes; each tolerated difference is in EXCEPTIONS below, with its reason,
and an entry that no longer matches anything fails (so the table cannot rot).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from reliability.support import connector, spec

from engine import errors
from engine.templating import Template

from . import openapi

# Composite operations send no request of their own: each step's operation is checked under its own name,
# and the requests their raw_http_request steps build are checked in test_composite_steps_... below.
OPS = {name: op for name, op in spec().operations.items() if not op.steps}
COMPOSITES = {name: op for name, op in spec().operations.items() if op.steps}
SKIPPED = {"raw_http_request": "the path, query and body are the user's: there is no one documented request to match"}


@dataclass(frozen=True)
class Known:
    """A known difference between what the connector sends and what the description says."""

    operations: str  # regular expression over operation names
    part: str  # query | body | path
    name: str  # regular expression over the parameter name or body pointer
    message: str  # regular expression over the validation message
    reason: str


# The ONE table of known mistakes in activecampaign-v3.json (facts: shared/reference/api-map.md).
EXCEPTIONS = [
    Known(
        ".*",
        "query",
        "limit|offset",
        "not a documented",
        "Paging parameters are documented once, on the pagination page, not per endpoint (api-map 1.4).",
    ),
    Known(
        "list_contacts.*|list_tags",
        "query",
        r"orders\[.+\]",
        r"'(ASC|DESC)' is not one of \[('(weight|asc|desc)'(, )?)+\]",
        'Some enums list lowercase; the reference page "Pagination, Ordering, and Filtering" (developers.'
        "activecampaign.com/reference/pagination) gives the direction as 'either ASC or DESC', and the documented "
        '422 of lists/exclusions allows only "ASC", "DESC": we send uppercase (api-map 1.4).',
    ),
    Known(
        "list_deal_tasks",
        "query",
        r"filters\[due_before\]",
        "not a documented",
        "The documentation misspells it 'Fitlers[due_before]' (api-map 5.11).",
    ),
    Known(
        "create_message",
        "body",
        "/message",
        "'email' is a required property",
        "The schema calls the sender 'email'; its own example, the update schema, every response and real "
        "clients use 'fromemail' (api-map 7.x, difference 9).",
    ),
    Known(
        "create_custom_field_option",
        "body",
        "/",
        "'(field|value)' is a required property",
        "The schema describes one flat object; its example and the guide send {fieldOptions: [...]} (api-map 4.2).",
    ),
    Known(
        "create_deal",
        "body",
        "/deal",
        "'(account|contact|group|stage|owner)' is a required property",
        "The schema marks every field required; the field descriptions make them conditional: a contact or an "
        "account, a group or a stage, an owner unless the pipeline auto-assigns (api-map 5.1).",
    ),
    Known(
        "create_or_update_contact",
        "body",
        "/contact",
        "'email' is a required property",
        "Phone-only sync (allowNullEmail, no email) mirrors create-a-new-contact, whose email is 'required "
        "unless a phone number is provided and the account has opted-in'; the sync schema does not say so "
        "(a guess, listed in sandbox/README.md).",
    ),
    Known(
        "list_contact_tags",
        "path",
        "GET /contacts/{id}/contactTags",
        "not in the description",
        "Every contact links to it (links.contactTags in the live get-contact recording, "
        "NangoHQ/integration-templates active-campaign tests/get-contact.test.json); the description has no "
        "page for it (api-map 3.3).",
    ),
    Known(
        "(add_contact_to|unsubscribe_contact_from)_list",
        "body",
        "/contactList/status",
        "is not of type 'string'",
        "status 1|2 as a number, as documented in the body description and sent live (api-map 6.10).",
    ),
    Known(
        "(create|update)_custom_field",
        "body",
        "/field/visible",
        "is not of type 'boolean'",
        "The description's own request examples (create-a-contact-custom-field, update-a-field) send visible: 1 (a 0/1 flag).",
    ),
    Known(
        "update_custom_field",
        "body",
        "/field/ordernum",
        r"^type: -?[0-9]+ is not of type 'string'",
        'update-a-field types ordernum as a string; its own request example sends "ordernum": 3 and the '
        "create schema types the same field integer (int32), as create_custom_field sends it.",
    ),
    # A list of options (the message is cut at 200 characters, so only its start is matched).
    Known(
        "(create|update)_deal|(create|update)_deal_custom_field_value",
        "body",
        r"/deal/fields/[0-9]+/fieldValue|/dealCustomFieldDatum/fieldValue",
        r"^type: \[",
        'A list of options for a multiselect or checkbox field: the reference page "Create a custom field '
        'value" (developers.activecampaign.com/reference/dealcustomfielddata) says values of multivalued fields '
        "'must be strings in an array ... whether one value or multiple', and the description's own examples "
        '(create- and update-a-custom-deal-field-value, bulk update) send fieldValue: ["option 1", ...]. A deal\'s '
        "fields are the same custom field data (create-a-deal-new's fields point at the custom field metum).",
    ),
    Known(
        "start_bulk_import",
        "body",
        r"/contacts/[0-9]+/(un)?subscribe/[0-9]+/listid",
        r"^type: [0-9]+ is not of type 'string'",
        "The schema types listid as a string; the description's own request example (bulk-import-contacts) sends "
        '{"listid": 1}, and Microsoft\'s certified ActiveCampaign connector (microsoft/PowerPlatformConnectors '
        "certified-connectors/ActiveCampaign/apiDefinition.swagger.json) declares it integer (int32).",
    ),
    Known(
        "create_list",
        "body",
        "/list/send_last_broadcast",
        "is not of type 'boolean'",
        "send_last_broadcast is a 0/1 flag in the documentation (api-map 6.x).",
    ),
    Known(
        "(create|update)_deal_task_type",
        "body",
        "/dealTasktype/status",
        r"is not of type 'string'|is not one of",
        "The documented request example sends status 0 as a number (api-map 5.12).",
    ),
    Known(
        "list_deal_notes_ddl",
        "path",
        "GET /deals/{id}/notes",
        "not in the description",
        'The OpenAPI file lists only POST on deals/{id}/notes; the reference page "Retrieve a deal\'s notes" '
        "(developers.activecampaign.com/reference/retrieve-deal-notes) documents the GET.",
    ),
]

used: Counter[int] = Counter()


def known(name: str, part: str, where: str, message: str) -> bool:
    for i, k in enumerate(EXCEPTIONS):
        if (
            k.part == part
            and re.fullmatch(k.operations, name)
            and re.fullmatch(k.name, where)
            and re.search(k.message, message)
        ):
            used[i] += 1
            return True
    return False


@pytest.fixture(scope="module")
def c():
    conn = connector(allow_loopback=False)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def offline_auth(c):
    """Rendering sends nothing, so an account that does not exist will do."""
    return c.authentication({"api_url": "https://youraccountname.api-us1.com", "api_key": "offline-contract-check"})


@pytest.mark.parametrize("name", sorted(OPS))
def test_generated_inputs_render_requests_the_description_allows(c, offline_auth, name):
    if name in SKIPPED:
        pytest.skip(SKIPPED[name])
    op = OPS[name]
    unexplained: list[tuple[str, str, str]] = []

    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(data=from_schema(op.input_schema))
    def check(data):
        try:
            request = c.render_request(name, data, offline_auth)
        except errors.ValidationError as exc:  # the schema said yes, the connector said no: a bug either side
            raise AssertionError(f"{name}: a schema-valid input was refused: {exc.errors}") from None
        target = openapi.match(request)
        if target is None:
            where = re.sub(r"/[0-9]+(?=/|$)", "/{id}", request.url.path[len(openapi.API_ROOT) :])
            if not known(name, "path", f"{request.method} {where}", "not in the description"):
                unexplained.append(("path", f"{request.method} {where}", "not in the description"))
            return
        for part, where, message in openapi.problems(request, target):
            if not known(name, part, where, message):
                unexplained.append((part, where, message))

    check()
    assert not unexplained, f"{name}: differences from the OpenAPI description: {sorted(set(unexplained))[:10]}"


def _placeholders(value: Any) -> Any:
    """A step's input with every template expression replaced by "1": each one there stands for an id
    ("/dealStages/{{ input.stage_id }}/deals" becomes "/dealStages/1/deals")."""
    if isinstance(value, Template):
        assert "{%" not in value.source, f"a statement cannot be sampled: {value.source!r}"
        return re.sub(r"\{\{.*?\}\}", "1", value.source, flags=re.DOTALL)
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_placeholders(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_steps_call_checked_operations_or_send_documented_requests(c, offline_auth, name):
    """A composite is covered when each step's operation is checked itself (above, or as a composite here)
    and takes the inputs the step gives it, and each raw_http_request step, whose method, path and body
    are the spec's own, builds a request the description allows."""
    unexplained: list[tuple[str, str, str]] = []
    for step in COMPOSITES[name].steps:
        if step.operation is None:
            continue  # a value or a fail step sends nothing
        inner = spec().operations.get(step.operation)
        assert inner is not None, f"{name}/{step.name}: no operation {step.operation!r}"
        if step.operation != "raw_http_request":
            assert step.operation in OPS or step.operation in COMPOSITES, f"{name}/{step.name}: not checked"
            assert step.operation not in SKIPPED, f"{name}/{step.name}: {step.operation} is not checked"
            given = set(step.input or {})
            unknown = given - set(inner.input_schema.get("properties", {}))
            assert not unknown, f"{name}/{step.name}: {step.operation} takes no {sorted(unknown)}"
            continue
        data = _placeholders(step.input)
        assert isinstance(step.input["method"], str), f"{name}/{step.name}: the method must be the spec's own"
        try:
            request = c.render_request("raw_http_request", data, offline_auth)
        except errors.ValidationError as exc:
            raise AssertionError(f"{name}/{step.name}: raw_http_request refused {data}: {exc.errors}") from None
        target = openapi.match(request)
        if target is None:
            where = re.sub(r"/[0-9]+(?=/|$)", "/{id}", request.url.path[len(openapi.API_ROOT) :])
            if not known(name, "path", f"{request.method} {where}", "not in the description"):
                unexplained.append(("path", f"{request.method} {where}", "not in the description"))
            continue
        for part, where, message in openapi.problems(request, target):
            if not known(name, part, where, message):
                unexplained.append((part, where, message))
    assert not unexplained, f"{name}: differences from the OpenAPI description: {sorted(set(unexplained))}"


def test_every_exception_is_still_needed():
    """Runs after the operations (same module, file order): an entry nothing used is stale."""
    if not used:
        pytest.skip("the per-operation checks did not run (selected out)")
    stale = [k.operations + " " + k.part + " " + k.name for i, k in enumerate(EXCEPTIONS) if not used[i]]
    assert not stale, f"exceptions that match nothing any more: {stale}"
