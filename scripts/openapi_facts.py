"""Write the facts of ActiveCampaign's official OpenAPI description (and the reference operation names)
into the tests' data.

The contract tests need the description's paths, methods, parameters and request/response schemas, but
nothing may read ../shared at test time, and its prose (summaries, descriptions, examples) is not ours
to copy. This keeps only the machine-checkable facts, in a stable order, so a fresh clone runs every
contract test.

Run: python scripts/openapi_facts.py [--reference DIR]   (default ../shared/reference)
     python scripts/openapi_facts.py --check   (exit 1 when the committed extracts are out of date)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
DATA = ROOT / "tests" / "data"
TARGET = DATA / "activecampaign-v3.facts.json"
OPERATIONS_TARGET = DATA / "reference-operations.txt"

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Schema keywords that carry prose or samples rather than rules.
PROSE = {"description", "example", "examples", "title", "summary", "$comment"}
# Schema keywords whose value is a map of names to schemas, or one schema, or a list of schemas.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
SCHEMA_ONE = {
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
PARAMETER_FACTS = ("name", "in", "required", "deprecated", "style", "explode", "allowEmptyValue")


def schema_facts(schema: Any) -> Any:
    """A schema without its prose; property names are kept whatever they are called."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in PROSE or key.startswith("x-"):
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: schema_facts(sub) for name, sub in value.items()}
        elif key in SCHEMA_ONE:
            out[key] = schema_facts(value)
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [schema_facts(sub) for sub in value]
        else:
            out[key] = value
    return out


def content_facts(content: dict[str, Any]) -> dict[str, Any]:
    """Media type -> {schema} (a media type whose example was not JSON has no schema: kept empty)."""
    return {media: ({"schema": schema_facts(body["schema"])} if "schema" in body else {}) for media, body in content.items()}


def parameter_facts(parameter: dict[str, Any]) -> dict[str, Any]:
    out = {key: parameter[key] for key in PARAMETER_FACTS if key in parameter}
    if "schema" in parameter:
        out["schema"] = schema_facts(parameter["schema"])
    return out


def operation_facts(operation: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "operationId" in operation:
        out["operationId"] = operation["operationId"]
    if operation.get("deprecated"):
        out["deprecated"] = True
    if operation.get("parameters"):
        out["parameters"] = [parameter_facts(p) for p in operation["parameters"]]
    body = operation.get("requestBody")
    if body:
        out["requestBody"] = {"content": content_facts(body.get("content", {}))}
        if "required" in body:
            out["requestBody"]["required"] = body["required"]
    out["responses"] = {
        status: ({"content": content_facts(answer["content"])} if "content" in answer else {})
        for status, answer in operation.get("responses", {}).items()
    }
    return out


def extract(document: dict[str, Any]) -> dict[str, Any]:
    """The facts: version, servers' URLs, and per path its parameters and methods."""
    paths: dict[str, Any] = {}
    for template, item in document.get("paths", {}).items():
        facts: dict[str, Any] = {}
        if item.get("parameters"):
            facts["parameters"] = [parameter_facts(p) for p in item["parameters"]]
        for method in METHODS:
            if method in item:
                facts[method] = operation_facts(item[method])
        paths[template] = facts
    return {
        "openapi": document.get("openapi"),
        "info": {"title": document.get("info", {}).get("title"), "version": document.get("info", {}).get("version")},
        "x-extracted-by": "scripts/openapi_facts.py (facts only: no summaries, descriptions or examples)",
        "paths": paths,
    }


def render(source: Path) -> str:
    document = json.loads(source.read_text(encoding="utf-8"))
    return json.dumps(extract(document), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def render_operations(source: Path) -> str:
    """The reference connector's operation ids (the first column of operations.md's table), one a line."""
    names = re.findall(r"^\| `([a-z_]+)` \|", source.read_text(encoding="utf-8"), re.M)
    return "".join(f"{name}\n" for name in sorted(set(names)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the folder with spec/ and operations.md")
    parser.add_argument("--check", action="store_true", help="compare with the committed extracts, write nothing")
    args = parser.parse_args(argv)
    outputs = {
        TARGET: render(args.reference / "spec" / "activecampaign-v3.json"),
        OPERATIONS_TARGET: render_operations(args.reference / "operations.md"),
    }
    stale = [target for target, text in outputs.items() if not target.exists() or target.read_text(encoding="utf-8") != text]
    if args.check:
        for target in stale:
            print(f"{target.relative_to(ROOT)} is out of date: run python scripts/openapi_facts.py", file=sys.stderr)
        return 1 if stale else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for target, text in outputs.items():
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
