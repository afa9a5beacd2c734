"""The workflow document's closed schema and the reference syntax: pure data, no network."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ac_connector.workflows import WorkflowInvalid, load_workflow, parse_workflow, workflow_schema
from ac_connector.workflows.document import schema_errors
from ac_connector.workflows.references import ReferenceSyntaxError, ResolveError, Template, parse_string, resolve


def test_schema_is_closed_and_versioned(four_steps):
    schema = workflow_schema()
    assert schema["$id"].endswith("/workflow/v1")
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["step"]["additionalProperties"] is False
    assert schema_errors(four_steps) == []


def test_every_problem_is_reported_with_its_pointer(four_steps):
    doc = four_steps
    doc["version"] = 2
    doc["colour"] = "blue"
    doc["steps"][1]["id"] = "Subscribe"
    doc["steps"][2]["id"] = "contact"
    del doc["steps"][3]["operation"]
    doc["steps"][0]["api_key"] = "nope"
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(doc)
    found = {(e["pointer"], e["keyword"]) for e in caught.value.errors}
    assert found == {
        ("/version", "const"),
        ("", "additionalProperties"),
        ("/steps/1/id", "pattern"),
        ("/steps/2/id", "unique"),
        ("/steps/3/operation", "required"),
        ("/steps/0", "additionalProperties"),
    }
    assert caught.value.to_dict()["type"] == "validation"


def test_yaml_and_json_files(tmp_path, four_steps):
    import yaml

    (tmp_path / "w.yaml").write_text(yaml.safe_dump(four_steps))
    (tmp_path / "w.json").write_text(json.dumps(four_steps))
    assert load_workflow(tmp_path / "w.yaml").steps == load_workflow(tmp_path / "w.json").steps
    (tmp_path / "bad.json").write_text('{"version": 1,')
    with pytest.raises(Exception) as caught:
        load_workflow(tmp_path / "bad.json")
    assert "line 1" in caught.value.message


CONTEXT = {
    "trigger": {"n": 7, "ok": True, "tags": ["a", "b"], "who": {"name": "Ada"}, "none": None, "odd key": "x"},
    "steps": {"contact": {"contact": {"id": "12", "email": "ada@example.com"}}},
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$.trigger.n", 7),
        ("$.trigger.ok", True),
        ("$.trigger.tags", ["a", "b"]),
        ("$.trigger.who", {"name": "Ada"}),
        ("$.trigger.none", None),
        ("$.trigger.tags[1]", "b"),
        ('$.trigger["odd key"]', "x"),
        ("$.steps.contact.contact.id", "12"),
        ("$.steps.contact", {"contact": {"id": "12", "email": "ada@example.com"}}),
    ],
)
def test_a_whole_value_reference_keeps_its_type(value, expected):
    assert resolve({"v": value}, CONTEXT) == {"v": expected}


def test_a_reference_inside_a_text_is_interpolated():
    text = "#{$.trigger.n} {$.steps.contact.contact.email} {$.trigger.tags} {$.trigger.who} [{$.trigger.none}]"
    assert resolve(text, CONTEXT) == '#7 ada@example.com ["a","b"] {"name":"Ada"} []'


@pytest.mark.parametrize(
    "literal",
    [
        "{{ 7*7 }}",
        "{% if true %}yes{% endif %}",
        "{{ input.email }}",
        "${7*7}",
        "#{7*7}",
        "{{ '$.trigger.n' }}",
        "price: $5",
        "a.$.b",
        "{$ not a reference",
    ],
)
def test_template_syntax_is_never_evaluated(literal):
    assert parse_string(literal) == literal
    assert resolve({"v": literal, "list": [literal]}, CONTEXT) == {"v": literal, "list": [literal]}


def test_resolved_data_is_never_scanned_again():
    context = {
        "trigger": {"evil": "$.steps.contact.contact.id", "jinja": "{{ 7*7 }}", "inner": "{$.trigger.n}"},
        "steps": {"contact": {"contact": {"id": "12"}}},
    }
    assert resolve({"a": "$.trigger.evil", "b": "x {$.trigger.jinja} {$.trigger.inner}"}, context) == {
        "a": "$.steps.contact.contact.id",
        "b": "x {{ 7*7 }} {$.trigger.n}",
    }


def test_escapes():
    assert resolve("$$.trigger.n", CONTEXT) == "$.trigger.n"
    assert resolve("cost {{$.trigger.n} and {$.trigger.n}", CONTEXT) == "cost {$.trigger.n} and 7"


@pytest.mark.parametrize(
    "bad",
    [
        "$.step.contact.id",
        "$.steps.Contact.id",
        "$.steps.contact.id extra",
        "see {$.steps.contact.contact.id",
        "$.trigger.",
        "$.trigger[x]",
        "$.triggers",
    ],
)
def test_malformed_references_are_errors_not_literals(bad):
    with pytest.raises(ReferenceSyntaxError):
        parse_string(bad)


def test_a_reference_that_finds_nothing():
    assert resolve({"first_name": "$.trigger.missing", "n": "$.trigger.n"}, CONTEXT) == {"n": 7}  # field left out
    with pytest.raises(ResolveError) as caught:
        resolve({"text": "hi {$.trigger.missing}"}, CONTEXT)
    assert caught.value.pointer == "/text" and "missing" in caught.value.message
    with pytest.raises(ResolveError) as caught:
        resolve({"ids": ["$.trigger.tags[5]"]}, CONTEXT)
    assert caught.value.pointer == "/ids/0"


def test_parse_string_shapes():
    parsed = parse_string("Lead {$.steps.contact.contact.email}!")
    assert isinstance(parsed, Template) and not parsed.whole
    assert [r.text for r in parsed.references] == ["$.steps.contact.contact.email"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.text().filter(lambda t: "$." not in t))
def test_text_without_a_reference_is_returned_unchanged(text):
    assert resolve({"v": text}, CONTEXT) == {"v": text}


@given(JSON_VALUES)
def test_user_data_passes_through_references_untouched(data):
    context = {"trigger": {"data": data}, "steps": {}}
    assert resolve({"whole": "$.trigger.data", "items": ["$.trigger.data"]}, context) == {"whole": data, "items": [data]}
    assert (
        resolve("<{$.trigger.data}>", context)
        == "<"
        + (
            data
            if isinstance(data, str)
            else ""
            if data is None
            else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        )
        + ">"
    )
