"""`check` reports every spec problem at once, with file and JSON path."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.specs import PING, ROOT, minimal_connector

from ac_connector.cli import main as cli
from engine.errors import SpecError
from engine.loader import load_connector

DDL = """\
name: things_ddl
title: Things DDL
description: Choices.
kind: ddl
idempotency: safe
input:
  type: object
  properties:
    search: {type: string}
    offset: {type: integer}
output: {type: object}
request: {method: GET, path: /things, query: {limit: "{{ page.limit }}", offset: "{{ page.offset }}"}}
pagination: {items: "{{ response.body.things }}", item_id: "{{ item.id }}", offset: "{{ input.offset }}"}
option: {text: "{{ item.name }}", value: "{{ item.id }}"}
"""


def make_connector(tmp_path: Path, **operations: str) -> Path:
    return minimal_connector(tmp_path, **{"things_ddl": DDL, **operations})


def problems(root: Path) -> list[dict[str, str]]:
    with pytest.raises(SpecError) as info:
        load_connector(root)
    return info.value.problems


def one(found: list[dict[str, str]], file: str) -> dict[str, str]:
    matching = [p for p in found if p["file"] == f"operations/{file}.yaml"]
    assert matching, found
    return matching[0]


def test_the_real_connector_loads():
    spec = load_connector(ROOT)
    assert spec.auth.test_operation in spec.operations
    assert all(op.idempotency for op in spec.operations.values())


def test_a_valid_minimal_connector_loads(tmp_path):
    spec = load_connector(make_connector(tmp_path))
    assert set(spec.operations) == {"ping", "things_ddl"}


def test_misspelt_key(tmp_path):
    p = one(
        problems(
            make_connector(tmp_path, typo=PING.replace("name: ping", "name: typo").replace("request:", "requst: {}\nrequest:"))
        ),
        "typo",
    )
    assert "requst" in p["message"] and "unknown key" in p["message"]


def test_invalid_embedded_schema(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("output: {type: object}", "output: {type: objekt}")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert p["path"].startswith("/output") and "invalid JSON Schema" in p["message"]


def test_unknown_schema_keyword_is_a_typo(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("properties: {}", "properties: {a: {type: string, titel: A}}")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert p["path"] == "/input/properties/a" and "titel" in p["message"]


def test_template_using_an_undeclared_input(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("path: /users/me", "path: '/users/{{ input.user_id }}'")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert p["path"] == "/request/path" and "undeclared input.user_id" in p["message"]


def test_template_using_auth_outside_the_manifest(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace(
        "request: {method: GET, path: /users/me}",
        "request: {method: GET, path: /users/me, headers: {X-Key: '{{ auth.api_key }}'}}",
    )
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert "'auth'" in p["message"] and "cannot see" in p["message"]


def test_template_syntax_error(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("path: /users/me", "path: '/users/{{ input. }}'")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert "template syntax" in p["message"]


def _with_lookup(target: str) -> str:
    return PING.replace("name: ping", "name: bad").replace(
        "properties: {}", f"properties: {{thing: {{type: string, lookup: {{operation: {target}}}}}}}"
    )


def test_lookup_to_a_missing_operation(tmp_path):
    p = one(problems(make_connector(tmp_path, bad=_with_lookup("nothing_ddl"))), "bad")
    assert p["path"] == "/input/thing" and "unknown operation 'nothing_ddl'" in p["message"]


def test_lookup_to_an_operation_that_is_not_a_ddl(tmp_path):
    p = one(problems(make_connector(tmp_path, bad=_with_lookup("ping"))), "bad")
    assert "not a ddl operation" in p["message"]


def test_a_valid_lookup_passes(tmp_path):
    spec = load_connector(make_connector(tmp_path, good=_with_lookup("things_ddl").replace("name: bad", "name: good")))
    assert spec.operations["good"].lookups[0].pointer == "/thing"


def test_duplicate_yaml_key(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("title: Ping", "title: Ping\ntitle: Pong")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert "duplicate key 'title'" in p["message"]


def test_file_stem_differs_from_name(tmp_path):
    p = one(problems(make_connector(tmp_path, other=PING.replace("name: ping", "name: pong"))), "other")
    assert p["path"] == "/name" and "differs from the file stem" in p["message"]


def test_missing_idempotency(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace("idempotency: safe\n", "")
    p = one(problems(make_connector(tmp_path, bad=bad)), "bad")
    assert "'idempotency' is a required property" in p["message"]


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(
        make_connector(
            tmp_path,
            a=PING.replace("name: ping", "name: a").replace("idempotency: safe\n", ""),
            b=PING.replace("name: ping", "name: bbb"),
            c=_with_lookup("nothing_ddl").replace("name: bad", "name: c"),
        )
    )
    assert {p["file"] for p in found} >= {"operations/a.yaml", "operations/b.yaml", "operations/c.yaml"}


def test_check_command_prints_every_problem_as_json(tmp_path, capsys):
    root = make_connector(tmp_path, a=PING.replace("name: ping", "name: zzz"))
    assert cli(["check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert '"operations/a.yaml"' in err and "differs from the file stem" in err


def test_check_command_on_the_real_connector(capsys):
    assert cli(["check"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_engine_holds_no_activecampaign_knowledge():
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text().lower()
        for word in ("activecampaign", "api/3", "api-token"):
            assert word not in text, f"{path.name} mentions {word}"


def test_a_fail_step_needs_its_message(tmp_path):
    bad = PING.replace("name: ping", "name: bad").replace(
        "request: {method: GET, path: /users/me}",
        "steps:\n  - {name: check, operation: ping}\n  - {name: stop, when: '{{ steps.later }}', fail: {pointer: /x}}",
    )
    found = problems(make_connector(tmp_path, bad=bad))
    assert any(p["path"].startswith("/steps/1") and "message" in p["message"] for p in found), found
