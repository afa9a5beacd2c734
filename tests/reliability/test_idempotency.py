"""R2: every operation declares its idempotency, and the declaration decides what a lost response does.

The operations are discovered from the loaded connector, so a spec added tomorrow is covered
without touching this file; its input is built from the spec (example, or required fields with
ids from their own dropdowns against the seeded sandbox).
"""

from __future__ import annotations

import shutil

import pytest

from engine import errors
from engine.loader import load_connector

from .support import ROOT, delta, route_of, spec, table_sizes, working_input

CLASSES = {"safe", "idempotent", "upsert", "unsafe", "by_method"}
OPS = spec().operations
# Single-request operations; a composite's steps each retry by their own declaration (tested below).
UNSAFE = sorted(n for n, op in OPS.items() if op.idempotency == "unsafe" and op.request is not None)
UPSERT = sorted(n for n, op in OPS.items() if op.idempotency == "upsert" and op.request is not None)
# by_method operations: the unsafe methods, with an input per operation (only raw HTTP today).
BY_METHOD_UNSAFE = {
    "raw_http_request": {"method": "POST", "path": "/tags", "body": {"tag": {"tag": "drop-test", "tagType": "contact"}}},
}


def test_every_operation_declares_a_known_idempotency():
    assert OPS
    for name, op in OPS.items():
        assert op.idempotency in CLASSES, name
        assert (op.upsert_key is not None) == (op.idempotency == "upsert"), name


def test_declarations_fit_the_http_method():
    """Reads are safe; PUT and DELETE idempotent (or safe); a POST is unsafe or an upsert (R2 mapping)."""
    for name, op in OPS.items():
        if op.request is None:  # a composite: each step's own declaration drives its retries
            continue
        method = op.request.method
        if not isinstance(method, str):
            assert op.idempotency == "by_method", name
            continue
        allowed = {
            "GET": {"safe"},
            "HEAD": {"safe"},
            "PUT": {"idempotent", "upsert", "safe"},
            "DELETE": {"idempotent"},
            "POST": {"unsafe", "upsert"},
            "PATCH": {"unsafe", "idempotent", "upsert"},
        }
        assert op.idempotency in allowed[method], f"{name}: {method} declared {op.idempotency}"
        if op.kind == "ddl":
            assert op.idempotency == "safe", name


def test_by_method_ops_all_have_an_unsafe_case_here():
    assert {n for n, op in OPS.items() if op.idempotency == "by_method"} <= set(BY_METHOD_UNSAFE)


def test_the_loader_rejects_a_spec_without_idempotency(tmp_path):
    shutil.copy(ROOT / "connector.yaml", tmp_path / "connector.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(ROOT / "operations", tmp_path / "operations")
    target = tmp_path / "operations" / "get_current_user.yaml"
    text = target.read_text()
    assert "\nidempotency: safe\n" in text
    target.write_text(text.replace("\nidempotency: safe\n", "\n"))
    with pytest.raises(errors.SpecError) as info:
        load_connector(tmp_path)
    assert any(
        p["file"] == "operations/get_current_user.yaml" and "idempotency" in p["message"] for p in info.value.problems
    ), info.value.problems


def _input_and_change(c, auth, sandbox, name, data):
    """An input that works, and what one successful call changes: the yardstick for 'exactly one record'."""
    if data is None:
        return working_input(c, auth, sandbox, name)
    before = table_sizes(sandbox)
    c.run(name, data, auth)
    change = delta(before, table_sizes(sandbox))
    sandbox.reset()
    return data, change


def _cases(names, extra=None):
    cases = [(n, None) for n in names]
    cases += [(n, data) for n, data in (extra or {}).items()]
    return cases


@pytest.mark.parametrize("name,data", _cases(UNSAFE, BY_METHOD_UNSAFE), ids=lambda v: v if isinstance(v, str) else "")
def test_unsafe_write_then_dropped_connection_is_outcome_unknown_and_one_record(fc, fauth, sandbox, name, data):
    data, expected = _input_and_change(fc, fauth, sandbox, name, data)
    route = route_of(fc, name, data, fauth)
    assert expected, f"{name}: a successful call changed nothing, so the test would prove nothing"
    before = table_sizes(sandbox)
    sandbox.faults.add(route, drop_after_write=True)
    with pytest.raises(errors.OutcomeUnknown) as info:
        fc.run(name, data, fauth)
    assert delta(before, table_sizes(sandbox)) == expected  # carried out once, never twice
    method, path = route.split(" ", 1)
    assert sandbox.log.count(method, path) == 1
    body = info.value.to_dict()
    assert body["type"] == "outcome_unknown" and body["retryable"] is False
    assert "may or may not" in body["message"] and body["cause"]["type"] == "connection"


@pytest.mark.parametrize("name", UPSERT)
def test_upsert_then_dropped_connection_is_retried_and_leaves_one_record(fc, fauth, sandbox, name):
    data, expected = _input_and_change(fc, fauth, sandbox, name, None)
    route = route_of(fc, name, data, fauth)
    before = table_sizes(sandbox)
    sandbox.faults.add(route, drop_after_write=True)
    fc.run(name, data, fauth)
    assert delta(before, table_sizes(sandbox)) == expected
    method, path = route.split(" ", 1)
    assert sandbox.log.count(method, path) == 2


@pytest.mark.parametrize(
    ("name", "data", "route"),
    [
        ("get_or_create_contact", {"email": "dropped@example.com"}, "POST /api/3/contact/sync"),
        ("bulk_import_contacts", {"contacts": [{"email": "dropped@example.com"}]}, "POST /api/3/import/bulk_import"),
    ],
)
def test_a_composite_step_that_is_an_upsert_is_retried_after_a_dropped_connection(fc, fauth, sandbox, name, data, route):
    sandbox.faults.add(route, drop_after_write=True)
    fc.run(name, data, fauth)
    method, path = route.split(" ", 1)
    assert sandbox.log.count(method, path) == 2
    assert len(sandbox.store["contacts"].where("email", "dropped@example.com")) == 1


def test_a_composite_step_that_creates_is_not_repeated_after_a_dropped_connection(fc, fauth, sandbox):
    sandbox.faults.add("POST /api/3/tags", drop_after_write=True)
    with pytest.raises(errors.OutcomeUnknown):
        fc.run("add_tag_to_contact", {"contact_id": "1", "tag": "Dropped"}, fauth)
    assert sandbox.log.count("POST", "/api/3/tags") == 1
    assert sandbox.log.count("POST", "/api/3/contactTags") == 0  # the steps after it do not run


def test_a_retried_create_that_finds_a_duplicate_is_already_exists(fc, fauth, sandbox):
    """Someone re-runs a create after OutcomeUnknown: ActiveCampaign's 422 duplicate, never a silent sync."""
    sandbox.faults.add("POST /api/3/contacts", drop_after_write=True)
    with pytest.raises(errors.OutcomeUnknown):
        fc.run("create_contact", {"email": "twice@example.com"}, fauth)
    with pytest.raises(errors.AlreadyExists) as info:
        fc.run("create_contact", {"email": "twice@example.com"}, fauth)
    assert info.value.status == 422
    assert any(d.get("code") == "duplicate" and d.get("pointer") for d in info.value.details["upstream"])
    assert len(sandbox.store["contacts"].where("email", "twice@example.com")) == 1
