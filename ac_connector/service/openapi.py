"""The service's OpenAPI 3.1 description, written by hand, and the request checks derived from it.

Request bodies are validated against the very schemas published here, so the description and the
behaviour cannot drift apart; a test checks that every route is described and that responses match.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import ValidationError

from .openapi_triggers import TRIGGER_SCHEMAS, trigger_paths

JSON = "application/json"
SECRET_POINTERS = {"/api_key"}


def _obj(required: list[str], properties: dict[str, Any], *, extra: bool = False, **more: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": extra, **more}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^\\x00-\\x1f]+$"}

# Inlined where a request body holds it: request bodies are checked schema by schema, without $refs.
WORKFLOW_DOCUMENT = {
    "type": "object",
    "description": "a workflow document: closed JSON Schema workflow/v1, served "
    "at /api/workflow-schema (version, name, trigger, steps[id, name, operation, authentication, "
    "input]); input values may be references: $.steps.<id>.<path>, $.trigger.<path>, or "
    "{$.steps...} inside a text",
}

RUN_REQUIRED = ["id", "workflow", "status", "interrupted", "started_at", "finished_at", "trigger"]
RUN_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "workflow": {"type": "string"},
    "status": {"enum": ["running", "succeeded", "failed", "outcome_unknown"]},
    "interrupted": {"type": "boolean", "description": "running, but the process running it has ended"},
    "started_at": {"type": "string", "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"},
    "trigger": {"description": "the trigger's data"},
    "stopped_at": {"type": ["string", "null"], "description": "the id of the step that stopped the run"},
    "error": {"type": ["object", "null"], "description": "that step's error"},
    "resumed_from": {"type": ["string", "null"]},
    "resumed_by": {"type": ["string", "null"]},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "FieldError": _obj(
        ["pointer", "keyword", "message"],
        {
            "pointer": {"type": "string", "description": "JSON pointer of the field in the request's input"},
            "keyword": {"type": "string", "description": "the rule it broke (required, format, pattern, ...)"},
            "message": {"type": "string"},
        },
    ),
    "Error": _obj(
        ["error"],
        {
            "error": _obj(
                ["type", "message", "retryable"],
                {
                    "type": {
                        "type": "string",
                        "description": "stable error type: validation, not_found, authentication, "
                        "rate_limited, connection, timeout, authentication_not_found, unauthorized, ...",
                    },
                    "message": {"type": "string"},
                    "retryable": {"type": "boolean", "description": "whether the same call may succeed later"},
                    "errors": {"type": "array", "items": _ref("FieldError"), "description": "field-level problems"},
                    "status": {"type": "integer", "description": "the upstream HTTP status"},
                    "retry_after": {"type": ["number", "null"]},
                },
                extra=True,
            )
        },
    ),
    "Health": _obj(["ok"], {"ok": {"const": True}}),
    "Service": _obj(
        ["version", "sandbox", "loopback_allowed", "token_required"],
        {
            "version": {"type": "string"},
            "sandbox": {"type": ["string", "null"], "description": "name of the offered sandbox authentication"},
            "loopback_allowed": {"type": "boolean"},
            "token_required": {"type": "boolean"},
        },
    ),
    "OperationSummary": _obj(
        ["name", "title", "description", "kind"],
        {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "kind": {"type": "string", "description": "action or ddl (a dropdown source)"},
            "group": {"type": ["string", "null"]},
        },
        extra=True,
    ),
    "Manifest": _obj(
        ["name", "title", "version", "authentication", "operations"],
        {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "version": {"type": "string"},
            "description": {"type": "string"},
            "documentation": {"type": ["string", "null"]},
            "authentication": _obj(
                ["fields", "types"],
                {
                    "fields": {"type": "object", "description": "JSON Schema of the authentication form"},
                    "types": {
                        "type": "array",
                        "items": _obj(["value", "title"], {"value": {"type": "string"}, "title": {"type": "string"}}),
                    },
                    "help": {"type": ["string", "null"]},
                },
            ),
            "operations": {"type": "array", "items": _ref("OperationSummary")},
        },
    ),
    "Lookup": _obj(
        ["field", "operation", "depends_on"],
        {
            "field": {"type": "string", "description": "JSON pointer of the field; '-' stands for any array item"},
            "operation": {"type": "string", "description": "the DDL operation that fills it"},
            "depends_on": {
                "type": "array",
                "items": {"type": "string"},
                "description": "form fields whose values the DDL uses: refresh when they change",
            },
        },
    ),
    "Operation": _obj(
        ["name", "title", "description", "kind", "idempotency", "input", "output", "lookups"],
        {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "group": {"type": ["string", "null"]},
            "kind": {"type": "string"},
            "idempotency": {"type": "string"},
            "input": {
                "type": "object",
                "description": "JSON Schema 2020-12 of the input, with title, description, "
                "advanced: true and oneOf [{const, title}] for labelled choices",
            },
            "output": {"type": ["object", "boolean"]},
            "lookups": {"type": "array", "items": _ref("Lookup")},
            "examples": {"type": "array"},
        },
    ),
    "OptionsRequest": _obj(
        ["field", "authentication"],
        {
            "field": {"type": "string", "pattern": "^/", "maxLength": 500, "description": "a lookup's field pointer"},
            "form": {"type": "object", "description": "the form's current values (dependent dropdowns use them)"},
            "authentication": NAME,
            "search": {"type": ["string", "null"], "maxLength": 255},
            "offset": {"type": ["integer", "null"], "minimum": 0, "description": "next_offset of the previous page"},
        },
    ),
    "Options": _obj(
        ["result"],
        {
            "result": {
                "type": "array",
                "items": _obj(["text", "value"], {"text": {"type": "string"}, "value": {"type": "string"}}),
            },
            "next_offset": {"type": ["integer", "null"], "description": "pass back as offset for more; null at the end"},
        },
        extra=True,
    ),
    "RunRequest": _obj(
        [],
        {
            "input": {"type": "object", "description": "the operation's input (see its input schema)"},
            "authentication": {
                **NAME,
                "description": "a stored authentication's name; the input is checked first, "
                "so a request without one still gets its field errors (then authentication_missing)",
            },
        },
    ),
    "RunResult": _obj(["output"], {"output": {"description": "the operation's output (see its output schema)"}}),
    "NewAuthentication": _obj(
        ["name", "type", "api_url", "api_key"],
        {
            "name": NAME,
            "type": {"type": "string", "enum": ["personal", "organisational"]},
            "api_url": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2048,
                "description": "the URL from Settings > Developer, e.g. https://youraccount.api-us1.com",
            },
            "api_key": {
                "type": "string",
                "minLength": 1,
                "maxLength": 512,
                "writeOnly": True,
                "description": "stored encrypted, never returned",
            },
            "replace": {"type": "boolean", "default": False},
        },
    ),
    "AuthenticationChange": {
        **_obj(
            [],
            {
                "name": NAME,
                "type": {"type": "string", "enum": ["personal", "organisational"]},
                "api_url": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "a new URL needs api_key too"},
                "api_key": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 512,
                    "writeOnly": True,
                    "description": "the key entered again; stored encrypted, never returned",
                },
            },
            description="what to change; fields left out stay as they are",
        ),
        "minProperties": 1,
    },
    "Authentication": _obj(
        ["name", "type", "api_url", "sandbox"],
        {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": ["personal", "organisational"]},
            "api_url": {"type": "string"},
            "sandbox": {"type": "boolean"},
            "created": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
        },
        description="a stored authentication: never its key",
    ),
    "AuthenticationTest": {
        "oneOf": [
            _obj(
                ["ok", "name", "url", "user"],
                {"ok": {"const": True}, "name": {"type": "string"}, "url": {"type": "string"}, "user": {"type": "object"}},
            ),
            _obj(
                ["ok", "error"],
                {
                    "ok": {"const": False},
                    "error": {
                        "type": "object",
                        "required": ["type", "message", "culprit", "advice"],
                        "properties": {"culprit": {"enum": ["url", "key", "unknown"]}, "advice": {"type": "string"}},
                    },
                },
            ),
        ]
    },
    "Removed": _obj(["removed"], {"removed": {"type": "string"}}),
    # -- workflows -------------------------------------------------------------------------------
    "WorkflowDocument": WORKFLOW_DOCUMENT,
    "CheckRequest": _obj(["workflow"], {"workflow": WORKFLOW_DOCUMENT}),
    "CheckResult": _obj(
        ["ok", "errors", "warnings"],
        {
            "ok": {"type": "boolean", "description": "no errors (warnings do not stop a run)"},
            "errors": {
                "type": "array",
                "items": _ref("FieldError"),
                "description": "pointers into the document, e.g. /steps/2/input/contact_id",
            },
            "warnings": {"type": "array", "items": _ref("FieldError")},
        },
    ),
    "RunWorkflowRequest": _obj(
        [],
        {
            "workflow": WORKFLOW_DOCUMENT,
            "name": {**NAME, "description": "run a saved workflow instead of sending its document"},
            "trigger": {
                "type": "object",
                "description": "the trigger's data ($.trigger), checked against trigger.input_schema",
            },
        },
    ),
    "ResumeRequest": _obj(
        [],
        {"retry_unknown": {"type": "boolean", "default": False, "description": "send again a step whose outcome is unknown"}},
    ),
    "RunEvent": {
        "type": "object",
        "required": ["event"],
        "additionalProperties": True,
        "description": "one line of the stream: run_started {run_id, workflow, at, steps, resumed_from}, "
        "step_started {run_id, step, index, name, operation}, step_finished {run_id, step, "
        "index, status, output, error, duration_ms}, run_finished {run_id, status, "
        "stopped_at, error}",
        "properties": {
            "event": {"enum": ["run_started", "step_started", "step_finished", "run_finished", "error"]},
            "run_id": {"type": "string"},
            "step": {"type": "string"},
            "index": {"type": "integer"},
            "status": {"enum": ["running", "succeeded", "failed", "outcome_unknown", "skipped"]},
        },
    },
    "RunSummary": _obj(RUN_REQUIRED, RUN_PROPERTIES),
    "RunStep": _obj(
        ["index", "id", "name", "operation", "status", "input", "output", "error"],
        {
            "index": {"type": "integer"},
            "id": {"type": "string"},
            "name": {"type": "string"},
            "operation": {"type": "string"},
            "status": {"enum": ["pending", "running", "succeeded", "failed", "outcome_unknown", "skipped"]},
            "input": {"description": "the resolved input (references replaced)"},
            "output": {},
            "error": {},
            "started_at": {"type": ["string", "null"]},
            "finished_at": {"type": ["string", "null"]},
            "duration_ms": {"type": ["number", "null"]},
        },
    ),
    "Run": _obj(
        [*RUN_REQUIRED, "document", "steps"],
        {**RUN_PROPERTIES, "document": _ref("WorkflowDocument"), "steps": {"type": "array", "items": _ref("RunStep")}},
        description="a run: the workflow as run and each step's record",
    ),
    "RunList": _obj(["runs"], {"runs": {"type": "array", "items": _ref("RunSummary")}}),
    "SavedWorkflow": _obj(
        ["name", "document", "created", "updated"],
        {
            "name": {"type": "string"},
            "document": _ref("WorkflowDocument"),
            "created": {"type": "string"},
            "updated": {"type": "string"},
            "check": _ref("CheckResult"),
        },
    ),
    "SavedWorkflowList": _obj(
        ["workflows"],
        {
            "workflows": {
                "type": "array",
                "items": _obj(
                    ["name", "steps", "created", "updated"],
                    {
                        "name": {"type": "string"},
                        "steps": {"type": "integer"},
                        "created": {"type": "string"},
                        "updated": {"type": "string"},
                    },
                ),
            }
        },
    ),
}

_ERRORS = {
    "400": "bad request (not JSON, no authentication chosen)",
    "401": "access token missing or wrong (when the service requires one)",
    "403": "request refused: foreign Host or Origin",
    "404": "unknown operation, authentication or upstream record",
    "409": "conflict: name taken, or the record exists upstream",
    "413": "request body too large",
    "415": "request body must be application/json",
    "422": "invalid input: error.errors lists each field by JSON pointer",
    "429": "rate limited by ActiveCampaign: retry after Retry-After seconds",
    "502": "ActiveCampaign failed or refused the request (authentication, account, server, connection)",
    "504": "ActiveCampaign did not answer in time",
}
_ERRORS_WORKFLOWS = {
    "404": "unknown run or saved workflow",
    "409": "the run cannot be resumed as asked (succeeded, still running, already resumed, or its stopping "
    "step's outcome is unknown and retry_unknown is false)",
    "422": "invalid workflow, reference or trigger data: error.errors lists each problem by JSON pointer",
}


def _responses(
    ok: str, schema: str, description: str, errors: str, media: str = JSON, texts: dict[str, str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {ok: {"description": description, "content": {media: {"schema": _ref(schema)}}}}
    for code in errors.split():
        text = (texts or {}).get(code) or _ERRORS[code]
        out[code] = {"description": text, "content": {JSON: {"schema": _ref("Error")}}}
    return out


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


NDJSON = "application/x-ndjson"
OPERATION = _path_param("operation", "operation name, e.g. add_contact_to_list")
RUN_ID = _path_param("run_id", "a run id (or a unique prefix of 6+ characters)")
WORKFLOW_NAME = _path_param("name", "saved workflow name")
AUTH_NAME = _path_param("name", "authentication name")
COMMON = "401 403"


def document(version: str) -> dict[str, Any]:
    """The OpenAPI document served at /api/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ActiveCampaign connector service",
            "version": version,
            "description": "The connector's verbs over JSON: manifest, operations and their schemas, dropdown "
            "options, runs with a stored authentication, and authentications (keys are "
            'write-only). Errors are {"error": {type, message, retryable, ...}}.',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the access token given to `serve` (--token or AC_CONNECTOR_TOKEN)",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "ac_token",
                    "description": "set by opening the page once with ?token=...",
                },
            },
        },
        "security": [{}, {"bearer": []}, {"cookie": []}],
        "paths": {
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "liveness",
                    "responses": _responses("200", "Health", "alive", COMMON),
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "this document",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}},
                }
            },
            "/api/service": {
                "get": {
                    "operationId": "service",
                    "summary": "how this service was started",
                    "responses": _responses("200", "Service", "settings", COMMON),
                }
            },
            "/api/connector": {
                "get": {
                    "operationId": "manifest",
                    "summary": "the connector's manifest: name, version, authentication form, operations",
                    "responses": _responses("200", "Manifest", "the manifest", COMMON),
                }
            },
            "/api/operations": {
                "get": {
                    "operationId": "listOperations",
                    "summary": "the operations",
                    "responses": {
                        "200": {
                            "description": "every operation",
                            "content": {JSON: {"schema": {"type": "array", "items": _ref("OperationSummary")}}},
                        },
                        **{
                            c: {"description": _ERRORS[c], "content": {JSON: {"schema": _ref("Error")}}} for c in COMMON.split()
                        },
                    },
                }
            },
            "/api/operations/{operation}": {
                "get": {
                    "operationId": "describeOperation",
                    "summary": "an operation's schemas and lookups",
                    "parameters": [OPERATION],
                    "responses": _responses("200", "Operation", "the operation", COMMON + " 404"),
                }
            },
            "/api/operations/{operation}/options": {
                "post": {
                    "operationId": "fieldOptions",
                    "summary": "choices for a dropdown field: runs its DDL with the form's values, search and offset",
                    "parameters": [OPERATION],
                    "requestBody": _body("OptionsRequest"),
                    "responses": _responses(
                        "200", "Options", "one page of choices", COMMON + " 400 404 413 415 422 429 502 504"
                    ),
                }
            },
            "/api/operations/{operation}/run": {
                "post": {
                    "operationId": "runOperation",
                    "summary": "run an operation with a stored authentication",
                    "parameters": [OPERATION],
                    "requestBody": _body("RunRequest"),
                    "responses": _responses("200", "RunResult", "the output", COMMON + " 400 404 409 413 415 422 429 502 504"),
                }
            },
            "/api/authentications": {
                "get": {
                    "operationId": "listAuthentications",
                    "summary": "stored authentications (never keys)",
                    "responses": {
                        "200": {
                            "description": "the authentications",
                            "content": {JSON: {"schema": {"type": "array", "items": _ref("Authentication")}}},
                        },
                        **{
                            c: {"description": _ERRORS[c], "content": {JSON: {"schema": _ref("Error")}}} for c in COMMON.split()
                        },
                    },
                },
                "post": {
                    "operationId": "addAuthentication",
                    "summary": "add an authentication: name, Personal or Organisational, API URL and key",
                    "requestBody": _body("NewAuthentication"),
                    "responses": _responses("201", "Authentication", "stored", COMMON + " 409 413 415 422"),
                },
            },
            "/api/authentications/{name}": {
                "delete": {
                    "operationId": "removeAuthentication",
                    "summary": "forget an authentication",
                    "parameters": [AUTH_NAME],
                    "responses": _responses("200", "Removed", "removed", COMMON + " 404 409"),
                },
                "patch": {
                    "operationId": "editAuthentication",
                    "summary": "rename, change the type or URL, or enter the key again (a new URL needs the key)",
                    "parameters": [AUTH_NAME],
                    "requestBody": _body("AuthenticationChange"),
                    "responses": _responses("200", "Authentication", "changed", COMMON + " 404 409 413 415 422"),
                },
            },
            "/api/authentications/{name}/test": {
                "post": {
                    "operationId": "testAuthentication",
                    "summary": "check the URL and key; says which of the two is wrong",
                    "parameters": [AUTH_NAME],
                    "responses": _responses("200", "AuthenticationTest", "the verdict (ok true or false)", COMMON + " 404 422"),
                }
            },
            **_workflow_paths(),
            **trigger_paths(_responses, _body, COMMON),
        },
    }


SCHEMAS.update(TRIGGER_SCHEMAS)


def _workflow_paths() -> dict[str, Any]:
    w = _ERRORS_WORKFLOWS
    stream = (
        "one JSON event per line (application/x-ndjson), as each step starts and finishes; the first line "
        "is run_started with the run_id (also in the Location header), the last run_finished"
    )
    return {
        "/api/workflow-schema": {
            "get": {
                "operationId": "workflowSchema",
                "summary": "the workflow document's JSON Schema (workflow/v1)",
                "responses": {"200": {"description": "JSON Schema 2020-12", "content": {JSON: {"schema": {"type": "object"}}}}},
            }
        },
        "/api/workflows/check": {
            "post": {
                "operationId": "checkWorkflow",
                "summary": "check a workflow before running it: schema, references against each operation's output "
                "schema (errors), type mismatches (warnings), literal inputs, authentication names",
                "requestBody": _body("CheckRequest"),
                "responses": _responses(
                    "200", "CheckResult", "the problems found (ok false: a run would be refused)", COMMON + " 413 415 422"
                ),
            }
        },
        "/api/workflows/runs": {
            "post": {
                "operationId": "runWorkflow",
                "summary": "run a workflow (a document or a saved one's name); streams its events",
                "requestBody": _body("RunWorkflowRequest"),
                "responses": _responses("200", "RunEvent", stream, COMMON + " 404 413 415 422", media=NDJSON, texts=w),
            }
        },
        "/api/workflows": {
            "get": {
                "operationId": "listWorkflows",
                "summary": "saved workflows",
                "responses": _responses("200", "SavedWorkflowList", "their names and sizes", COMMON),
            }
        },
        "/api/workflows/{name}": {
            "get": {
                "operationId": "getWorkflow",
                "summary": "a saved workflow",
                "parameters": [WORKFLOW_NAME],
                "responses": _responses("200", "SavedWorkflow", "the document", COMMON + " 404", texts=w),
            },
            "put": {
                "operationId": "saveWorkflow",
                "summary": "save a workflow under its name (the document's name must match); answers with "
                "its check result (a draft with reference errors can be saved)",
                "parameters": [WORKFLOW_NAME],
                "requestBody": _body("WorkflowDocument"),
                "responses": _responses("200", "SavedWorkflow", "saved", COMMON + " 413 415 422", texts=w),
            },
            "delete": {
                "operationId": "deleteWorkflow",
                "summary": "forget a saved workflow",
                "parameters": [WORKFLOW_NAME],
                "responses": _responses("200", "Removed", "removed", COMMON + " 404", texts=w),
            },
        },
        "/api/runs": {
            "get": {
                "operationId": "listRuns",
                "summary": "past runs, newest first",
                "parameters": [
                    {
                        "name": "workflow",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "only runs of the workflow with this name",
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["running", "succeeded", "failed", "outcome_unknown"]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                    },
                ],
                "responses": _responses("200", "RunList", "the runs", COMMON + " 422"),
            }
        },
        "/api/runs/{run_id}": {
            "get": {
                "operationId": "getRun",
                "summary": "a run: the workflow as run, each step's resolved input, output, status, error and timings",
                "parameters": [RUN_ID],
                "responses": _responses("200", "Run", "the run", COMMON + " 404", texts=w),
            }
        },
        "/api/runs/{run_id}/resume": {
            "post": {
                "operationId": "resumeRun",
                "summary": "run a failed run again from the step that stopped it, as a new run; steps that succeeded "
                "are reused, never sent again",
                "parameters": [RUN_ID],
                "requestBody": _body("ResumeRequest"),
                "responses": _responses("200", "RunEvent", stream, COMMON + " 404 409 413 415 422", media=NDJSON, texts=w),
            }
        },
    }


@functools.cache
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[schema], format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_request(schema: str, data: Any) -> dict[str, Any]:
    """Validate a request body against its published schema; never echo a secret in a message."""
    errors = []
    for e in _validator(schema).iter_errors(data):
        pointer = "".join(f"/{p}" for p in e.absolute_path)
        message = e.message[:300]
        if pointer in SECRET_POINTERS or any(pointer.startswith(p + "/") for p in SECRET_POINTERS):
            message = f"does not satisfy {e.validator}"
        elif e.validator == "type":
            message = f"must be of type {e.validator_value}"
        elif e.validator == "additionalProperties":
            message = "unknown field(s): " + ", ".join(sorted(set(e.instance) - set(e.schema.get("properties", {}))))
        errors.append({"pointer": pointer, "keyword": str(e.validator), "message": message})
    if errors:
        errors.sort(key=lambda x: (x["pointer"], x["keyword"]))
        raise ValidationError(errors)
    return data
