"""The compiled fast path of output/input validation never calls valid what jsonschema rejects."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from helpers.specs import ROOT, mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from engine.fastcheck import compile_check, json_equal
from engine.loader import load_connector
from engine.schemas import FORMATS, validator_for

SPEC = load_connector(ROOT)
SCHEMAS = [(f"{op.name}.{side}", schema) for op in SPEC.operations.values()
           for side, schema in (("input", op.input_schema), ("output", op.output_schema))]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False) | st.text(max_size=6)
    | st.sampled_from(["1", "42", "", "a@b.co", "2024-01-02", "ASC", "DESC", "id"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _sound(schema: dict[str, Any], instance: Any) -> None:
    fast = compile_check(schema, FORMATS)
    assert fast is not None
    if fast(instance):
        errors = list(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(instance))
        assert not errors, f"fast path accepted an instance jsonschema rejects: {errors[0].message}"


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    """Replace one nested value of a valid instance with arbitrary JSON."""
    return mutate(draw, value, json_values)


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[n for n, _ in SCHEMAS])
def test_every_spec_schema_compiles(name: str, schema: dict[str, Any]) -> None:
    assert compile_check(schema, FORMATS) is not None, name


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[n for n, _ in SCHEMAS])
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
          max_examples=max(4, settings.default.max_examples // 10))  # ci 5, nightly 100
@given(data=st.data())
def test_fast_path_agrees_with_jsonschema(name: str, schema: dict[str, Any], data: st.DataObject) -> None:
    valid = data.draw(from_schema(schema), label="valid")
    slow = Draft202012Validator(schema, format_checker=FORMATS)
    fast = compile_check(schema, FORMATS)
    assert fast is not None
    if fast(valid):
        assert slow.is_valid(valid)
    mutated = data.draw(st.builds(lambda: None).flatmap(lambda _: st.composite(
        lambda draw: _mutate(draw, valid))()), label="mutated")
    _sound(schema, mutated)
    _sound(schema, data.draw(json_values, label="arbitrary"))


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"type": "integer"}, True, False),
    ({"type": "number"}, False, False),
    ({"type": "integer"}, 3, True),
    ({"type": "string"}, "x", True),
    ({"enum": [1, "a"]}, True, False),
    ({"enum": [[1, 2]]}, [True, 2], False),
    ({"const": {"a": 1}}, {"a": True}, False),
    ({"const": {"a": 1}}, {"a": 1.0}, True),
    ({"type": "object", "required": ["a"]}, {}, False),
    ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
    ({"type": "object", "additionalProperties": False, "patternProperties": {"^x-": {"type": "string"}}},
     {"x-a": "s"}, True),
    ({"type": "object", "additionalProperties": False, "patternProperties": {"^x-": {"type": "string"}}},
     {"x-a": 1}, False),
    ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, {}, True),
    ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, {"a": 1}, False),
    ({"type": "string", "format": "email"}, "nope", False),
    ({"type": "string", "format": "email"}, "a@b.co", True),
    ({"type": "string", "pattern": "^[0-9]+$", "maxLength": 3}, "1234", False),
    ({"oneOf": [{"const": 1}, {"type": "integer"}]}, 1, False),
    ({"oneOf": [{"const": 1}, {"type": "string"}]}, 1, True),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, None, True),
    ({"not": {"type": "string"}}, "x", False),
    ({"if": {"const": 1}, "then": {"type": "integer"}, "else": {"type": "string"}}, 2, False),
    ({"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 2}, [1, -1], False),
    ({"type": "array", "uniqueItems": True}, [1, 1], False),
    ({"type": "array", "uniqueItems": True}, [1, True], True),
    ({"minimum": 2}, 1.5, False),
    ({"exclusiveMaximum": 2}, 2, False),
])
def test_fast_path_on_edge_cases(schema: dict[str, Any], instance: Any, valid: bool) -> None:
    assert Draft202012Validator(schema, format_checker=FORMATS).is_valid(instance) is valid
    fast = compile_check(schema, FORMATS)
    assert fast is not None
    if valid:
        assert fast(instance) is True
    else:
        assert fast(instance) is False


def test_unknown_types_and_references_fall_back() -> None:
    assert compile_check({"$ref": "#/$defs/x", "$defs": {"x": {}}}) is None
    fast = compile_check({"type": "object"})
    assert fast is not None and fast(OrderedDict()) is False  # a dict subclass: jsonschema decides


def test_validator_keeps_jsonschema_errors() -> None:
    validator = validator_for({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}})
    assert list(validator.iter_errors({"a": "x"})) == []
    [error] = validator.iter_errors({"a": 1})
    assert error.message == "1 is not of type 'string'" and list(error.absolute_path) == ["a"]
    assert validator.is_valid({"a": "x"}) and not validator.is_valid({})
    assert validator.schema["required"] == ["a"]


def test_json_equal_matches_jsonschema() -> None:
    assert json_equal(1, 1.0) and not json_equal(1, True) and not json_equal([1], [True])
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]}) and not json_equal("1", 1)
