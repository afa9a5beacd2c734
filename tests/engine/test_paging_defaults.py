"""Paging declared once: a short listing spec gets the connector's defaults; the explicit form still loads."""

from __future__ import annotations

from pathlib import Path

from helpers.specs import minimal_connector

from engine.loader import load_connector
from engine.runtime import Connector

SHORT = """\
name: list_short
title: List lists
description: Lists, the short way.
idempotency: safe
input:
  type: object
  additionalProperties: false
  properties:
    name: {type: string}
output:
  type: object
  required: [lists]
  properties:
    lists: {type: array}
request:
  method: GET
  path: /lists
  query: {"filters[name]": "{{ input.name }}"}
pagination:
  items: "{{ response.body.lists }}"
response:
  output:
    lists: "{{ result.items }}"
"""

EXPLICIT = """\
name: list_explicit
title: List lists
description: Lists, every paging line spelled out (the form other branches still write).
idempotency: safe
input:
  type: object
  additionalProperties: false
  properties:
    name: {type: string}
    limit: {type: integer, minimum: 1, maximum: 50, default: 7}
    offset: {$ref: ../schemas/common.yaml#/$defs/offset}
    return_all: {$ref: ../schemas/common.yaml#/$defs/return_all}
    max_items: {$ref: ../schemas/common.yaml#/$defs/max_items}
output:
  type: object
  required: [lists, has_more]
  properties:
    lists: {type: array}
    total: {$ref: ../schemas/common.yaml#/$defs/total}
    has_more: {$ref: ../schemas/common.yaml#/$defs/has_more}
    next_offset: {$ref: ../schemas/common.yaml#/$defs/next_offset}
request:
  method: GET
  path: /lists
  query:
    "filters[name]": "{{ input.name }}"
    limit: "{{ page.limit }}"
    offset: "{{ page.offset }}"
pagination:
  items: "{{ response.body.lists }}"
  total: "{{ response.body.meta.total }}"
  item_id: "{{ item.id }}"
  page_size: 50
  limit: "{{ input.limit }}"
  offset: "{{ input.offset }}"
  return_all: "{{ input.return_all }}"
  max_items: "{{ input.max_items }}"
response:
  output:
    lists: "{{ result.items }}"
    total: "{{ result.total }}"
    has_more: "{{ result.has_more }}"
    next_offset: "{{ result.next_offset }}"
"""


def test_short_and_explicit_specs_page_alike(tmp_path: Path, sandbox_server, sandbox, api_key: str) -> None:
    spec = load_connector(minimal_connector(tmp_path, list_short=SHORT, list_explicit=EXPLICIT))
    short, explicit = spec.operations["list_short"], spec.operations["list_explicit"]
    assert set(short.input_schema["properties"]) == {"name", "limit", "offset", "return_all", "max_items"}
    assert set(short.output_schema["properties"]) == {"lists", "total", "has_more", "next_offset"}
    assert "has_more" in short.output_schema["required"]
    assert short.pagination is not None and short.pagination.page_size == 100
    # What the explicit spec states wins: its own limit schema and page size.
    assert explicit.input_schema["properties"]["limit"]["maximum"] == 50
    assert explicit.pagination is not None and explicit.pagination.page_size == 50

    connector = Connector(spec, allow_loopback=True, strict_output=True)
    auth = connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    try:
        one = connector.run("list_short", {"limit": 1}, auth)
        assert len(one["lists"]) == 1 and one["has_more"] is True and one["next_offset"] == 1
        assert connector.render_request("list_short", {"limit": 1}, auth).url.params["limit"] == "100"
        everything = connector.run("list_short", {"return_all": True}, auth)
        assert everything["has_more"] is False and len(everything["lists"]) == everything["total"]
        assert connector.run("list_explicit", {"return_all": True}, auth) == everything
        assert len(connector.run("list_explicit", {}, auth)["lists"]) == min(7, everything["total"])
    finally:
        connector.close()
