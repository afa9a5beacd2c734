"""jsonschema-rs (which decides) and jsonschema (which explains) agree on every spec schema.

Instances are generated from each schema by hypothesis-jsonschema (valid ones), then one nested
value is replaced (mostly invalid ones), then arbitrary JSON. Where the two could differ by design
(a regular expression's ``$`` before a final newline), the engine takes the stricter answer and
still names the field.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers.specs import ROOT, mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from engine.loader import load_connector
from engine.validation import format_checker, validator_for

SPEC = load_connector(ROOT)
SCHEMAS = [
    (f"{op.name}.{side}", schema)
    for op in SPEC.operations.values()
    for side, schema in (("input", op.input_schema), ("output", op.output_schema))
]
SCHEMAS.append(("authentication", SPEC.auth.fields_schema))
FORMATS = format_checker()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.text(max_size=6)
    | st.sampled_from(
        [
            "1",
            "42",
            "",
            "a@b.co",
            "2024-01-02",
            "2024-02-30",
            "ASC",
            "DESC",
            "id",
            "x@y",
            "2024-01-02T03:04:05Z",
            "https://example.com/a",
            "not a uri",
        ]
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _newline_anchor_case(instance: Any) -> bool:
    """A string ending in a newline: Python's ``$`` matches before it, the Rust engine's does not."""
    if isinstance(instance, str):
        return instance.endswith("\n")
    if isinstance(instance, dict):
        return any(_newline_anchor_case(k) or _newline_anchor_case(v) for k, v in instance.items())
    if isinstance(instance, list):
        return any(_newline_anchor_case(v) for v in instance)
    return False


def _agree(schema: dict[str, Any], instance: Any) -> None:
    ours = validator_for(schema)
    theirs = Draft202012Validator(schema, format_checker=FORMATS)
    fast, slow = ours.is_valid(instance), theirs.is_valid(instance)
    errors = list(ours.iter_errors(instance))
    assert bool(errors) is not fast  # invalid always comes with at least one error
    if fast != slow:
        assert not fast and _newline_anchor_case(instance), (fast, slow, instance)
        return
    if not slow:  # the same messages, pointers and keywords as jsonschema alone
        assert [(e.message, list(e.absolute_path), e.validator) for e in errors] == [
            (e.message, list(e.absolute_path), e.validator) for e in theirs.iter_errors(instance)
        ]


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[n for n, _ in SCHEMAS])
@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    max_examples=max(4, settings.default.max_examples // 10),
    deadline=None,
)  # ci 5, nightly 100
@given(data=st.data())
def test_both_validators_agree(name: str, schema: dict[str, Any], data: st.DataObject) -> None:
    valid = data.draw(from_schema(schema), label="valid")
    _agree(schema, valid)
    _agree(schema, data.draw(st.composite(lambda draw: mutate(draw, valid, json_values))(), label="mutated"))
    _agree(schema, data.draw(json_values, label="arbitrary"))


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        ({"type": "integer"}, True, False),
        ({"enum": [[1, 2]]}, [True, 2], False),
        ({"const": {"a": 1}}, {"a": 1.0}, True),
        (
            {"type": "object", "additionalProperties": False, "patternProperties": {"^x-": {"type": "string"}}},
            {"x-a": 1},
            False,
        ),
        ({"type": "string", "format": "email"}, "nope", False),
        ({"type": "string", "format": "email"}, "a@b.co", True),
        ({"type": "string", "format": "date"}, "2024-02-30", False),
        ({"type": "string", "format": "date-time"}, "2024-01-02T03:04:05Z", True),
        ({"type": "string", "format": "uri"}, "example.com", False),
        ({"format": "email"}, 3, True),
        ({"type": "array", "uniqueItems": True}, [1, True], True),
        ({"oneOf": [{"const": 1}, {"type": "integer"}]}, 1, False),
    ],
)
def test_edge_cases(schema: dict[str, Any], instance: Any, valid: bool) -> None:
    assert validator_for(schema).is_valid(instance) is valid
    _agree(schema, instance)


def test_a_trailing_newline_fails_an_anchored_pattern_and_names_the_field() -> None:
    validator = validator_for({"type": "object", "properties": {"id": {"type": "string", "pattern": "^[0-9]+$"}}})
    [error] = validator.iter_errors({"id": "2\n"})
    assert list(error.absolute_path) == ["id"] and error.validator == "pattern"
    assert re.search("does not match", error.message)


def test_errors_are_jsonschemas_own() -> None:
    validator = validator_for({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}})
    assert list(validator.iter_errors({"a": "x"})) == []
    [error] = validator.iter_errors({"a": 1})
    assert error.message == "1 is not of type 'string'" and list(error.absolute_path) == ["a"]
    assert validator.is_valid({"a": "x"}) and not validator.is_valid({})
