"""Validation errors name the field they are about, also when a required field is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.specs import minimal_connector

from engine.errors import ValidationError
from engine.runtime import Connector

NESTED = """\
name: nested
title: Nested
description: Required fields at two levels.
idempotency: safe
input:
  type: object
  additionalProperties: false
  required: [name, rows]
  properties:
    name: {type: string}
    note: {type: string}
    rows:
      type: array
      items:
        type: object
        required: [field, value]
        properties:
          field: {type: string}
          value: {type: string}
output: {type: object}
request: {method: GET, path: /things}
"""


@pytest.fixture
def connector(tmp_path: Path):
    c = Connector.load(minimal_connector(tmp_path, nested=NESTED))
    yield c
    c.close()


def pointers(connector: Connector, data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        connector.validate_input("nested", data)
    return [(e["pointer"], e["keyword"]) for e in info.value.errors]


def test_missing_required_fields_point_at_themselves(connector):
    assert pointers(connector, {}) == [("/name", "required"), ("/rows", "required")]


def test_missing_required_field_inside_a_list_item(connector):
    found = pointers(connector, {"name": "x", "rows": [{"field": "1", "value": "a"}, {"value": "b"}]})
    assert found == [("/rows/1/field", "required")]


def test_other_errors_keep_their_own_pointer(connector):
    found = pointers(connector, {"name": 3, "rows": []})
    assert found == [("/name", "type")]
    with pytest.raises(ValidationError) as info:
        connector.validate_input("nested", {"rows": []})
    assert "/name" in info.value.message
