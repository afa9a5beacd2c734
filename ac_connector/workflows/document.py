"""The workflow document: read it (JSON or YAML), check it against its closed schema, hand out dataclasses.

Every problem is reported at once, each at its JSON pointer in the document, so a person fixes a file in
one pass; the schema is the published contract (``workflow.schema.json``, ``$id`` ending ``/workflow/v1``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import ValidationError
from engine.messages import plain_message

SCHEMA_PATH = Path(__file__).with_name("workflow.schema.json")
VERSION = 1


class WorkflowInvalid(ValidationError):
    """The document breaks its schema or its references cannot work: nothing was run."""

    def __init__(self, errors: list[dict[str, Any]], warnings: list[dict[str, Any]] | None = None) -> None:
        lines = [f"{e['pointer'] or '/'}: {e['message']}" for e in errors]
        super().__init__(errors, message=f"Invalid workflow ({len(errors)} problem(s)): " + "; ".join(lines))
        if warnings:
            self.details["warnings"] = warnings


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    operation: str
    input: dict[str, Any]
    authentication: str | None = None


@dataclass(frozen=True)
class Workflow:
    name: str
    steps: tuple[Step, ...]
    trigger: dict[str, Any] = field(default_factory=lambda: {"type": "manual"})
    description: str = ""
    document: dict[str, Any] = field(default_factory=dict)  # as written: what a run records

    def step_index(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)


def trigger_data_schema(connector: Any, trigger: Mapping[str, Any]) -> Any:
    """The JSON Schema of ``$.trigger``: a manual trigger's ``input_schema``, or the output schema of the
    ActiveCampaign event(s) a webhook or poll trigger listens to (ac_connector.triggers, from data)."""
    kind = trigger.get("type")
    if kind in ("webhook", "poll"):
        from ..triggers.catalog import trigger_output_schema

        return trigger_output_schema(connector, trigger)
    return trigger.get("input_schema")


@functools.cache
def workflow_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(workflow_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[dict[str, str]]:
    """Every schema problem of ``document`` with its pointer; duplicate step ids too (JSON Schema cannot say it)."""
    errors = [item for e in _validator().iter_errors(document) for item in _describe(e)]
    if isinstance(document, Mapping) and isinstance(document.get("steps"), list):
        seen: dict[str, int] = {}
        for i, step in enumerate(document["steps"]):
            step_id = step.get("id") if isinstance(step, Mapping) else None
            if isinstance(step_id, str):
                if step_id in seen:
                    errors.append(
                        {
                            "pointer": f"/steps/{i}/id",
                            "keyword": "unique",
                            "message": f"step id {step_id!r} is already used by step {seen[step_id]}",
                        }
                    )
                seen.setdefault(step_id, i)
    errors.sort(key=lambda e: (_pointer_key(e["pointer"]), e["keyword"]))
    return errors


def _pointer_key(pointer: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pointer.split("/")[1:])


def _describe(error: Any) -> list[dict[str, str]]:
    """One entry per field at fault: each missing property at its own pointer."""
    pointer = "".join(f"/{_escape(p)}" for p in error.absolute_path)
    message = plain_message(error)  # the words the CLI, the service and the builder use for every input
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [n for n in error.validator_value if n not in error.instance]
        return [{"pointer": f"{pointer}/{_escape(n)}", "keyword": "required", "message": f"{n!r} is required"} for n in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        message = f"unknown field(s): {', '.join(map(repr, extra))}; allowed: {', '.join(sorted(known))}"
    elif error.validator == "const" and error.absolute_path and list(error.absolute_path)[-1] == "version":
        message = f"this connector reads workflow version {VERSION}"
    return [{"pointer": pointer, "keyword": str(error.validator), "message": message}]


def _escape(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def parse_workflow(document: Any) -> Workflow:
    """Check ``document`` against the schema and build a Workflow; raise WorkflowInvalid listing every problem."""
    errors = schema_errors(document)
    if errors:
        raise WorkflowInvalid(errors)
    return build_workflow(document)


def build_workflow(document: Mapping[str, Any]) -> Workflow:
    """A Workflow from a document already known to be schema-valid."""
    steps = tuple(
        Step(
            id=s["id"], name=s["name"], operation=s["operation"], input=dict(s["input"]), authentication=s.get("authentication")
        )
        for s in document["steps"]
    )
    return Workflow(
        name=document["name"],
        steps=steps,
        trigger=dict(document.get("trigger") or {"type": "manual"}),
        description=document.get("description", ""),
        document=json.loads(json.dumps(document)),
    )


def read_document(path: str | Path) -> Any:
    """A workflow file's content: JSON, or YAML for ``.yaml``/``.yml`` (a syntax error names line and column)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            [{"pointer": "", "keyword": "file", "message": f"cannot read {path}: {exc.strerror or type(exc).__name__}"}]
        ) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        from engine.yamlfile import load_yaml

        try:  # YAML dates and the like become strings: a document is JSON data
            return json.loads(json.dumps(load_yaml(text), default=str))
        except yaml.YAMLError as exc:  # its message carries line and column
            raise ValidationError(
                [{"pointer": "", "keyword": "yaml", "message": f"{path.name} is not valid YAML: {str(exc)[:300]}"}]
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            [
                {
                    "pointer": "",
                    "keyword": "json",
                    "message": f"{path.name} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                }
            ]
        ) from None


def load_workflow(source: str | Path | Mapping[str, Any] | Workflow) -> Workflow:
    """A Workflow from a file path, a parsed document, or a Workflow (returned as is)."""
    if isinstance(source, Workflow):
        return source
    if isinstance(source, (str, Path)):
        return parse_workflow(read_document(source))
    return parse_workflow(source)
