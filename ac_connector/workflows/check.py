"""The static check: before anything runs, every reference must be able to find its value.

Reads each operation's schemas through ``Connector.describe`` (so it knows nothing of ActiveCampaign):
a reference to a missing step, to the step itself or a later one, or to a path the source's output
schema cannot have is an error; a value whose types cannot match the target field is a warning
(e.g. an array into a string field). Literal inputs are validated like the runner will.

An object schema that lists its ``properties`` is read as closed for references (unless it gives
``additionalProperties`` a schema): APIs add fields, but a reference to an undeclared one is far more
often a typo than a wish, and the builder's picker only offers declared fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import UnknownOperation, ValidationError

from .document import Workflow, build_workflow, schema_errors, trigger_data_schema
from .references import Reference, ReferenceSyntaxError, Template, format_path, scan

ALL_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


@dataclass
class CheckResult:
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": self.errors, "warnings": self.warnings}


def check_workflow(connector: Any, document: Any) -> CheckResult:
    """Every problem of a workflow document (schema first, then references and literal inputs)."""
    if isinstance(document, Workflow):
        document = document.document
    errors = schema_errors(document)
    if errors:
        return CheckResult(errors=errors)
    return check_references(connector, build_workflow(document))


def check_references(connector: Any, workflow: Workflow) -> CheckResult:
    result = CheckResult()
    if not workflow.steps:
        result.warnings.append({"pointer": "/steps", "keyword": "minItems", "message": "the workflow has no steps yet"})
    described: dict[str, dict[str, Any] | None] = {}
    index = {s.id: i for i, s in enumerate(workflow.steps)}
    _check_trigger_events(workflow.trigger, result)
    trigger_schema = trigger_data_schema(connector, workflow.trigger)
    for i, step in enumerate(workflow.steps):
        base = f"/steps/{i}"
        op = _describe(connector, step.operation, described)
        if op is None:
            result.errors.append(
                {"pointer": f"{base}/operation", "keyword": "operation", "message": f"unknown operation {step.operation!r}"}
            )
        referenced: list[str] = []
        for pointer, found in scan(step.input):
            referenced.append(pointer)
            where = f"{base}/input{pointer}"
            if isinstance(found, ReferenceSyntaxError):
                result.errors.append({"pointer": where, "keyword": "reference", "message": str(found)})
                continue
            target = _schemas_at(op["input"], _parts(pointer)) if op else None
            for ref in found.references:
                source = _source_schema(connector, workflow, ref, i, index, described, trigger_schema, where, result)
                if source is not None and target:
                    _compare_types(source, target, found, ref, where, result)
        if op is not None:
            _check_literals(connector, step.operation, step.input, referenced, base, result)
    return result


def _check_trigger_events(trigger: Any, result: CheckResult) -> None:
    """A webhook trigger names documented events only: an unknown name would be refused by the account only
    when the workflow is enabled, long after the builder said it was fine."""
    if not isinstance(trigger, Mapping) or trigger.get("type") != "webhook":
        return
    from ..triggers.catalog import webhook_events

    known = webhook_events()
    for i, name in enumerate(trigger.get("events") or ()):
        if name not in known:
            examples = ", ".join(sorted(known)[:3])
            result.errors.append(
                {
                    "pointer": f"/trigger/events/{i}",
                    "keyword": "enum",
                    "message": f"{name!r} is not an ActiveCampaign event: choose one from the events table (e.g. {examples})",
                }
            )


def _describe(connector: Any, operation: str, cache: dict[str, dict[str, Any] | None]) -> dict[str, Any] | None:
    if operation not in cache:
        try:
            cache[operation] = connector.describe(operation)
        except UnknownOperation:
            cache[operation] = None
    return cache[operation]


def _source_schema(
    connector: Any,
    workflow: Workflow,
    ref: Reference,
    at: int,
    index: Mapping[str, int],
    described: dict[str, dict[str, Any] | None],
    trigger_schema: Any,
    where: str,
    result: CheckResult,
) -> list[Any] | None:
    """The schemas the referenced value may have, or None after recording why it cannot be found."""
    if ref.root == "trigger":
        root = trigger_schema if isinstance(trigger_schema, Mapping) else True
        label = "the trigger's input schema"
    else:
        source_index = index.get(ref.step)  # type: ignore[arg-type]
        if source_index is None:
            known = ", ".join(s.id for s in workflow.steps[:at]) or "none"
            result.errors.append(
                {
                    "pointer": where,
                    "keyword": "reference",
                    "message": f"{ref.text}: there is no step {ref.step!r} (earlier steps: {known})",
                }
            )
            return None
        if source_index >= at:
            what = "this step itself" if source_index == at else f"a later step (step {source_index + 1})"
            result.errors.append(
                {
                    "pointer": where,
                    "keyword": "reference",
                    "message": f"{ref.text}: step {ref.step!r} is {what}; a step can only use the output of steps before it",
                }
            )
            return None
        source_op = _describe(connector, workflow.steps[source_index].operation, described)
        if source_op is None:
            return None  # its unknown operation is reported at that step
        root = source_op["output"]
        label = f"the output of {ref.step!r} ({source_op['name']})"
    schemas = _schemas_at(root, list(ref.path), root)
    if schemas is None:
        result.errors.append(
            {
                "pointer": where,
                "keyword": "reference",
                "message": f"{ref.text}: {label} has no {format_path(ref.path)}{_known_fields(root, ref.path)}",
            }
        )
    return schemas


def _known_fields(root: Any, path: tuple[str | int, ...]) -> str:
    """A hint: the fields declared where the path went astray."""
    for cut in range(len(path), -1, -1):
        found = _schemas_at(root, list(path[:cut]), root)
        if found:
            names = sorted({n for s in found if isinstance(s, Mapping) for n in s.get("properties", {})})
            if names:
                shown = ", ".join(names[:25]) + (", ..." if len(names) > 25 else "")
                at = format_path(path[:cut])
                return f" (fields{' of ' + at if at else ''}: {shown})"
            return ""
    return ""


def _parts(pointer: str) -> list[str | int]:
    out: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        out.append(int(part) if part.isdigit() else part)
    return out


def _schemas_at(schema: Any, path: list[str | int], root: Any = None) -> list[Any] | None:
    """The (sub)schemas a value at ``path`` may match under ``schema``; None when it cannot exist."""
    root = schema if root is None else root
    options = _expand(schema, root)
    if not path:
        return options
    head, rest = path[0], path[1:]
    found: list[Any] = []
    for option in options:
        if option is True or option == {}:
            found.append(True)
            continue
        if option is False or not isinstance(option, Mapping):
            continue
        types = _types(option)
        for child in _children(option, head, types):
            deeper = _schemas_at(child, rest, root)
            if deeper:
                found.extend(deeper)
    return found or None


def _expand(schema: Any, root: Any, depth: int = 0) -> list[Any]:
    """A schema's alternatives, with local $refs followed and allOf/anyOf/oneOf flattened."""
    if not isinstance(schema, Mapping) or depth > 20:
        return [schema]
    if isinstance(schema.get("$ref"), str):
        target = _follow(schema["$ref"], root)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if target is None:
            return [True]
        return _expand({**target, **siblings} if isinstance(target, Mapping) else target, root, depth + 1)
    branches = [b for key in ("anyOf", "oneOf") for b in schema.get(key, [])]
    own = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "allOf")}
    for part in schema.get("allOf", []):
        if isinstance(part, Mapping):
            own = _merge(own, part)
    if not branches:
        return [own]
    out: list[Any] = []
    for branch in branches:
        out.extend(_expand(_merge(own, branch) if isinstance(branch, Mapping) else branch, root, depth + 1))
    return out


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        elif key not in merged:
            merged[key] = value
    return merged


def _follow(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return None
    node = root
    for part in _parts(ref[1:]):
        if isinstance(node, Mapping) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    if "const" in schema:
        return frozenset({_json_type(schema["const"])})
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return frozenset(_json_type(v) for v in schema["enum"])
    if "properties" in schema or "additionalProperties" in schema:
        return frozenset({"object"})
    if "items" in schema or "prefixItems" in schema:
        return frozenset({"array"})
    return ALL_TYPES


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _children(schema: Mapping[str, Any], head: str | int, types: frozenset[str]) -> Iterable[Any]:
    if isinstance(head, int) and "array" in types:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and head < len(prefix):
            yield prefix[head]
        elif "items" in schema:
            yield schema["items"]
        elif not isinstance(prefix, list):
            yield True
    if "object" in types:
        name = str(head)
        properties = schema.get("properties")
        patterns = schema.get("patternProperties")
        additional = schema.get("additionalProperties")
        if isinstance(properties, Mapping) and name in properties:
            yield properties[name]
            return
        if isinstance(patterns, Mapping):
            matched = [s for p, s in patterns.items() if re.search(p, name)]
            if matched:
                yield from matched
                return
        if isinstance(additional, Mapping) or additional is True:
            yield True if additional is True else additional
        elif additional is None and not properties and not patterns:
            yield True  # an open object: anything may be there


def _value_types(schemas: list[Any]) -> frozenset[str]:
    out: set[str] = set()
    for s in schemas:
        out |= _types(s) if isinstance(s, Mapping) else ALL_TYPES
    return frozenset(out)


def _compatible(source: frozenset[str], target: frozenset[str]) -> bool:
    widened = set(source) | ({"number"} if "integer" in source else set())
    target = set(target) | ({"integer"} if "number" in target else set())
    return bool(widened & target)


def _compare_types(
    source: list[Any], target: list[Any], template: Template, ref: Reference, where: str, result: CheckResult
) -> None:
    target_types = _value_types(target)
    if template.whole:
        source_types = _value_types(source)
        if source_types == ALL_TYPES or target_types == ALL_TYPES or _compatible(source_types, target_types):
            return
        result.warnings.append(
            {
                "pointer": where,
                "keyword": "type",
                "message": f"{ref.text} is {_or(source_types)} but this field takes {_or(target_types)}",
            }
        )
    elif "string" not in target_types and target_types != ALL_TYPES:
        result.warnings.append(
            {
                "pointer": where,
                "keyword": "type",
                "message": f"a text with a reference inside makes a string, but this field takes {_or(target_types)}",
            }
        )


def _or(types: frozenset[str]) -> str:
    names = sorted(types - {"null"}) or ["null"]
    text = " or ".join(("an " if t in ("object", "array", "integer") else "a ") + t for t in names)
    return text + (" (or null)" if "null" in types and names != ["null"] else "")


def _check_literals(
    connector: Any, operation: str, data: Mapping[str, Any], referenced: list[str], base: str, result: CheckResult
) -> None:
    """Validate the literal parts now: errors at or under a reference wait for the run, the rest are errors."""
    try:
        connector.validate_input(operation, data)
    except ValidationError as exc:
        for error in exc.errors:
            pointer = error.get("pointer", "")
            if any(pointer == r or pointer.startswith(r + "/") for r in referenced):
                continue
            if error.get("keyword") in ("oneOf", "anyOf", "allOf", "not") and any(
                r.startswith(pointer + "/") or pointer in ("", "/") for r in referenced
            ):
                continue  # a combinator above a reference cannot be judged before the run
            result.errors.append({**error, "pointer": f"{base}/input{pointer if pointer != '/' else ''}"})
