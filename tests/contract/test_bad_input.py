"""R5: bad input raises a ValidationError naming the field (pointer) and the rule (keyword), and nothing is
sent; the CLI turns every failure into structured JSON, never a traceback."""

from __future__ import annotations

import copy
import json

import pytest
from reliability.support import spec

from ac_connector.cli import main as cli
from engine import errors

OPS = spec().operations
UNKNOWN = "zz_not_a_field"


def _base(op) -> dict:
    return copy.deepcopy(op.examples[0]["input"]) if op.examples else {}


def mutations(op) -> list[tuple[str, dict, str, str]]:
    """(what, input, pointer, keyword) for simple, certain violations of the operation's input schema."""
    schema = op.input_schema
    props = schema.get("properties", {})
    base = _base(op)
    out = []
    if schema.get("additionalProperties") is False:
        out.append(("unknown field", {**base, UNKNOWN: 1}, f"/{UNKNOWN}", "additionalProperties"))
    for name in schema.get("required", []):
        if name in base:
            data = copy.deepcopy(base)
            del data[name]
            out.append((f"missing {name}", data, f"/{name}", "required"))
    for name, p in props.items():
        kind = p.get("type")
        if kind == "string":
            out.append((f"{name} not a string", {**base, name: 12345}, f"/{name}", "type"))
            if p.get("pattern") == "^[0-9]+(?!\\n)$":
                out.append((f"{name} not digits", {**base, name: "12a"}, f"/{name}", "pattern"))
            if "maxLength" in p and p["maxLength"] < 100_000 and not p.get("pattern") and "format" not in p:
                out.append((f"{name} too long", {**base, name: "x" * (p["maxLength"] + 1)}, f"/{name}", "maxLength"))
            if p.get("format") == "email":
                out.append((f"{name} not an email", {**base, name: "not-an-email"}, f"/{name}", "format"))
            if p.get("enum") and "x-not" not in p["enum"]:
                out.append((f"{name} not in enum", {**base, name: "x-not"}, f"/{name}", "enum"))
        elif kind in ("integer", "number"):
            out.append((f"{name} not a number", {**base, name: "abc"}, f"/{name}", "type"))
        elif kind == "boolean":
            out.append((f"{name} not a boolean", {**base, name: "yes"}, f"/{name}", "type"))
        elif kind == "array":
            out.append((f"{name} not an array", {**base, name: {"a": 1}}, f"/{name}", "type"))
    return out


CASES = [
    (name, what, data, pointer, keyword) for name, op in sorted(OPS.items()) for what, data, pointer, keyword in mutations(op)
]


def test_there_are_many_cases():
    assert len(CASES) > 3 * len(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_mutated_inputs_are_refused_with_pointer_and_keyword_and_nothing_is_sent(connector, auth, sandbox, name):
    cases = [c for c in CASES if c[0] == name]
    for _, what, data, pointer, keyword in cases:
        with pytest.raises(errors.ValidationError) as info:
            connector.run(name, data, auth)
        found = [(e["pointer"], e["keyword"]) for e in info.value.errors]
        assert (pointer, keyword) in found, (name, what, found)
        assert info.value.errors == sorted(info.value.errors, key=lambda e: (e["pointer"], e["keyword"]))
        body = info.value.to_dict()
        assert body["type"] == "validation" and body["retryable"] is False
        assert all(set(e) >= {"pointer", "keyword", "message"} for e in body["errors"])
    assert len(sandbox.log) == 0


def test_every_error_is_reported_at_once(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_contact", {"email": "nope", "first_name": 1, UNKNOWN: True}, auth)
    assert {(e["pointer"], e["keyword"]) for e in info.value.errors} >= {
        ("/email", "format"),
        ("/first_name", "type"),
        (f"/{UNKNOWN}", "additionalProperties"),
    }
    assert len(sandbox.log) == 0


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    for name in ("AC_API_URL", "AC_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "argv,code,kind",
    [
        (["run", "create_contact", "--input", '{"email": "nope"}'], 2, "validation"),
        (["run", "create_contact", "--input", "{not json"], 2, "validation"),
        (["run", "create_contact", "--input", "[1, 2]"], 2, "validation"),
        (["run", "no_such_operation", "--input", "{}"], 1, "unknown_operation"),
        (["run", "get_contact", "--input", '{"contact_id": "1/../../users/me"}'], 2, "validation"),
        (["describe", "no_such_operation"], 1, "unknown_operation"),
        (["run", "get_current_user"], 1, "authentication_missing"),
    ],
)
def test_the_cli_answers_bad_input_with_structured_json(isolated_home, capsys, argv, code, kind):
    exit_code, out, err = _cli(capsys, *argv)
    assert exit_code == code and out == ""
    error = json.loads(err)["error"]
    assert error["type"] == kind and error["message"] and "retryable" in error
    assert "Traceback" not in err
    if kind == "validation":
        assert error["errors"] and all({"pointer", "keyword", "message"} <= set(e) for e in error["errors"])


def test_the_cli_run_reports_an_upstream_error_as_json(isolated_home, capsys, monkeypatch, sandbox_server, sandbox, api_key):
    monkeypatch.setenv("AC_API_URL", sandbox_server.url)
    monkeypatch.setenv("AC_API_KEY", api_key)
    exit_code, out, err = _cli(capsys, "run", "get_contact", "--input", '{"contact_id": "999"}')
    assert exit_code == 1 and out == ""
    error = json.loads(err)["error"]
    assert error["type"] == "not_found" and error["status"] == 404 and "Traceback" not in err
