"""Loading's fast paths (libyaml, jsonschema-rs's meta-schema check) accept nothing the slow paths would refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.specs import ROOT, mutate
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine import yamlfile
from engine.loader import load_connector
from engine.validation import check_schema

YAML_FILES = sorted(
    [
        ROOT / "connector.yaml",
        *(ROOT / "operations").glob("*.yaml"),
        *(ROOT / "schemas").glob("*.yaml"),
        *(ROOT / "engine" / "metaschemas").glob("*.yaml"),
    ]
)
SPEC = load_connector(ROOT)
SCHEMAS = [s for op in SPEC.operations.values() for s in (op.input_schema, op.output_schema)]


@pytest.mark.parametrize("path", YAML_FILES, ids=[p.name for p in YAML_FILES])
def test_libyaml_and_pure_python_read_every_spec_file_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yamlfile._StrictLoader) == yamlfile.load_yaml(text)  # noqa: S506


def test_yaml_problems_keep_their_wording() -> None:
    for text in ("a: 1\na: 2\n", "a: [1\n", "a: b: c\n"):
        with pytest.raises(yaml.YAMLError) as fast:
            yamlfile.load_yaml(text)
        with pytest.raises(yaml.YAMLError) as slow:
            yaml.load(text, Loader=yamlfile._StrictLoader)  # noqa: S506
        assert str(fast.value) == str(slow.value)


def test_every_spec_schema_passes_the_meta_schema_check() -> None:
    for schema in SCHEMAS:
        check_schema(schema)


keywords = st.sampled_from(
    sorted(
        {
            "type",
            "properties",
            "items",
            "required",
            "enum",
            "const",
            "minLength",
            "maxLength",
            "pattern",
            "minimum",
            "multipleOf",
            "allOf",
            "anyOf",
            "oneOf",
            "not",
            "title",
            "patternProperties",
            "additionalProperties",
            "uniqueItems",
            "format",
            "default",
            "dependentRequired",
            "minItems",
            "$defs",
            "examples",
            "deprecated",
            "if",
            "lookup",
            "$comment",
            "prefixItems",
            "contentSchema",
            "minProperties",
        }
    )
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    | st.floats(-1, 2, allow_nan=False)
    | st.sampled_from(["string", "object", "nope", "^a", "(", "x", "integer"])
)
schema_like = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keywords | st.sampled_from(["a", "b"]), inner, max_size=4),
    max_leaves=12,
)


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    return mutate(draw, value, schema_like)


@settings(max_examples=settings.default.max_examples * 4, deadline=None)  # cheap: ci 200
@given(data=st.data())
def test_check_schema_refuses_what_jsonschema_refuses(data: st.DataObject) -> None:
    candidate = data.draw(
        schema_like | st.sampled_from(SCHEMAS).flatmap(lambda s: st.composite(lambda draw: _mutate(draw, s))())
    )
    try:
        Draft202012Validator.check_schema(candidate)
    except SchemaError:
        with pytest.raises(SchemaError):
            check_schema(candidate)


def test_check_schema_reports_as_jsonschema_does() -> None:
    bad = {"type": "object", "properties": {"a": {"minLength": -1}}}
    with pytest.raises(SchemaError) as ours:
        check_schema(bad)
    with pytest.raises(SchemaError) as theirs:
        Draft202012Validator.check_schema(bad)
    assert ours.value.message == theirs.value.message and list(ours.value.path) == list(theirs.value.path)
