"""pagination.sideloads: related records sent next to each page are joined across pages, once each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.loader import load_connector
from engine.ratelimit import NoLimit
from engine.runtime import Connector

ROOT = Path(__file__).resolve().parents[2]

LISTING = """\
name: list_things
title: List things
description: Fields with their options.
idempotency: safe
input:
  type: object
  additionalProperties: false
  properties:
    return_all: {type: boolean}
    limit: {type: integer}
output: {type: object}
request:
  method: GET
  path: /fields
  query: {limit: "{{ page.limit }}", offset: "{{ page.offset }}"}
pagination:
  items: "{{ response.body.fields }}"
  item_id: "{{ item.id }}"
  total: "{{ response.body.meta.total }}"
  limit: "{{ input.limit }}"
  return_all: "{{ input.return_all }}"
  sideloads:
    options: "{{ response.body.fieldOptions }}"
SIDELOAD_OUTPUT
"""

OUTPUT = """\
response:
  output:
    things: "{{ result.items }}"
    options: "{{ result.sideloads.options }}"
"""


def build(tmp_path: Path, listing: str) -> Path:
    shutil.copy(ROOT / "connector.yaml", tmp_path / "connector.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "operations").mkdir()
    shutil.copy(ROOT / "operations" / "get_current_user.yaml", tmp_path / "operations")
    (tmp_path / "operations" / "list_things.yaml").write_text(listing)
    return tmp_path


@pytest.fixture
def things(tmp_path, sandbox_server, sandbox, api_key):
    c = Connector.load(build(tmp_path, LISTING.replace("SIDELOAD_OUTPUT", OUTPUT)), allow_loopback=True, limiter=NoLimit())
    auth = c.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    yield lambda data: c.run("list_things", data, auth)
    c.close()


def test_sideloads_of_every_page_are_joined_once_each(things, run, sandbox):
    for n in range(101):
        field = run("create_custom_field", {"title": f"Sideload {n}", "field_type": "radio"})["field"]["id"]
        run("create_custom_field_option", {"field_id": field, "options": [{"value": f"v{n}"}]})
    sandbox.log.clear()
    out = things({"return_all": True})
    assert len([r for r in sandbox.log if r.path == "/api/3/fields"]) == 2
    assert len(out["things"]) == 103
    values = [o["value"] for o in out["options"]]
    assert len(values) == len(set(values)) == 104  # 3 seeded options + 101 new ones, none twice
    assert {f"v{n}" for n in range(101)} <= set(values)


def test_a_single_page_keeps_only_its_own_sideloads(things):
    out = things({"limit": 1})
    assert [t["id"] for t in out["things"]] == ["1"]
    assert {str(o["field"]) for o in out["options"]} == {"1"}


def test_sideload_templates_see_only_the_response(tmp_path):
    bad = LISTING.replace('"{{ response.body.fieldOptions }}"', '"{{ item.options }}"').replace("SIDELOAD_OUTPUT", "")
    with pytest.raises(SpecError) as info:
        load_connector(build(tmp_path, bad))
    assert any(p["path"] == "/pagination/sideloads/options" and "item" in p["message"] for p in info.value.problems)


def test_output_may_read_sideloads(tmp_path):
    spec = load_connector(build(tmp_path, LISTING.replace("SIDELOAD_OUTPUT", OUTPUT)))
    assert set(spec.operations["list_things"].pagination.sideloads) == {"options"}
