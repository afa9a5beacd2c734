"""The official OpenAPI description as a request checker: match a rendered request to its operation and
say what in its query or body the description does not allow."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.validators import extend

# The facts of the official description, made by scripts/openapi_facts.py (the reference folder is not read).
SPEC_FILE = Path(__file__).resolve().parents[1] / "data" / "activecampaign-v3.facts.json"
API_ROOT = "/api/3"


def _lenient_types() -> Any:
    """ActiveCampaign takes ids and numbers as digit strings too (api-map 1.3: "Bodies accept either form")."""
    checker = Draft202012Validator.TYPE_CHECKER

    def integer(c: Any, value: Any) -> bool:
        return checker.is_type(value, "integer") or (isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) is not None)

    def number(c: Any, value: Any) -> bool:
        return checker.is_type(value, "number") or (
            isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value) is not None
        )

    return extend(Draft202012Validator, type_checker=checker.redefine_many({"integer": integer, "number": number}))


Validator = _lenient_types()


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    body_schema: dict[str, Any] | None
    query: dict[str, dict[str, Any]]


@functools.cache
def operations() -> tuple[Operation, ...]:
    doc = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    found = []
    for template, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head"):
                continue
            params = [*shared, *op.get("parameters", [])]
            query = {p["name"]: p.get("schema", {}) for p in params if p.get("in") == "query"}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            found.append(Operation(method.upper(), template, re.compile(regex), body, query))
    # Literal segments beat parameters (/users/me before /users/{id}).
    return tuple(sorted(found, key=lambda o: o.template.count("{")))


def match(request: httpx.Request) -> Operation | None:
    path = request.url.path
    if path.startswith(API_ROOT):
        path = path[len(API_ROOT) :]
    return next((o for o in operations() if o.method == request.method and o.pattern.match(path)), None)


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def problems(request: httpx.Request, op: Operation) -> list[tuple[str, str, str]]:
    """(where, name, message) for each part of the request the description does not allow."""
    found: list[tuple[str, str, str]] = []
    for name, value in request.url.params.multi_items():
        schema = op.query.get(name)
        if schema is None:
            found.append(("query", name, "not a documented query parameter"))
            continue
        for err in Validator(schema).iter_errors(_coerce(value, schema)):
            found.append(("query", name, err.message[:200]))
    if request.content:
        body = json.loads(request.content)
        if op.body_schema is None:
            found.append(("body", "", "the description documents no JSON body"))
        else:
            for err in Validator(op.body_schema).iter_errors(body):
                where = "/" + "/".join(str(p) for p in err.absolute_path)
                found.append(("body", where, f"{err.validator}: {err.message[:200]}"))
    return found
