"""The OpenAPI pieces of the trigger routes (merged into openapi.py's document)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], properties: dict[str, Any], *, extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": extra}


TRIGGER_SCHEMAS: dict[str, dict[str, Any]] = {
    "TriggerCatalog": _obj(
        ["webhook_events", "sources", "poll_events"],
        {
            "webhook_events": {
                "type": "array",
                "items": _obj(
                    ["name", "title", "description", "list_filter", "output_schema"],
                    {
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "list_filter": {"type": "boolean", "description": "whether a list_id restricts this event"},
                        "output_schema": {"type": "object", "description": "JSON Schema of $.trigger for this event"},
                    },
                ),
            },
            "sources": {
                "type": "array",
                "items": _obj(
                    ["name", "title", "description"],
                    {"name": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}},
                ),
            },
            "poll_events": {
                "type": "array",
                "items": _obj(
                    ["name", "title", "description", "parameter", "output_schema"],
                    {
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "parameter": {"type": ["string", "null"], "description": "list_id or tag_id when needed"},
                        "output_schema": {"type": "object"},
                    },
                ),
            },
        },
    ),
    "EnableTrigger": _obj(
        ["workflow"],
        {
            "workflow": {"type": "object", "description": "the workflow document (its trigger is webhook or poll)"},
            "public_url": {
                "type": "string",
                "maxLength": 2000,
                "description": "the service's base URL as ActiveCampaign reaches it (webhook triggers)",
            },
        },
    ),
    "DisableTrigger": _obj(
        ["workflow"], {"workflow": {"type": "string", "minLength": 1, "maxLength": 100, "description": "the workflow's name"}}
    ),
    "TriggerResult": _obj(["workflow"], {"workflow": {"type": "string"}}, extra=True),
    "EnabledTriggers": _obj(
        ["triggers"],
        {
            "triggers": {
                "type": "array",
                "items": _obj(
                    ["trigger_id", "workflow", "kind", "recent_events"],
                    {
                        "trigger_id": {"type": "string"},
                        "workflow": {"type": "string"},
                        "kind": {"enum": ["webhook", "poll"]},
                        "webhook_id": {"type": ["string", "null"]},
                        "public_url": {"type": ["string", "null"]},
                        "enabled": {"type": "number"},
                        "recent_events": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": "newest last: type, received, state, run_id, data",
                        },
                    },
                ),
            }
        },
    ),
}


def trigger_paths(responses: Any, body: Any, common: str) -> dict[str, Any]:
    return {
        "/api/triggers/catalog": {
            "get": {
                "operationId": "triggerCatalog",
                "summary": "every trigger a workflow can start from: ActiveCampaign events (title, description, "
                "output schema), sources and polling triggers",
                "responses": responses("200", "TriggerCatalog", "the catalogue", common),
            }
        },
        "/api/triggers": {
            "get": {
                "operationId": "listTriggers",
                "summary": "enabled triggers with their recent events and runs",
                "responses": responses("200", "EnabledTriggers", "the enabled triggers", common),
            }
        },
        "/api/triggers/enable": {
            "post": {
                "operationId": "enableTrigger",
                "summary": "enable a workflow's trigger: register its webhook (pointing at /hooks/{id}/{secret}) or "
                "start polling; enabling again updates, never duplicates",
                "requestBody": body("EnableTrigger"),
                "responses": responses("200", "TriggerResult", "enabled", common + " 404 413 415 422 429 502 504"),
            }
        },
        "/api/triggers/disable": {
            "post": {
                "operationId": "disableTrigger",
                "summary": "disable a workflow's trigger and remove its webhook",
                "requestBody": body("DisableTrigger"),
                "responses": responses("200", "TriggerResult", "disabled", common + " 404 413 415 422 429 502 504"),
            }
        },
    }
