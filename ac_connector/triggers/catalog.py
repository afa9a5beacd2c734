"""The trigger catalogue, read from data: webhook events (events.yaml), their output schemas (payload.yaml)
and the polling triggers (polls.yaml). Code never lists event names; a new event is a few YAML lines."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@dataclass(frozen=True)
class WebhookEvent:
    name: str
    title: str
    description: str
    parts: tuple[str, ...]
    list_filter: bool
    source: str

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "list_filter": self.list_filter,
            "output_schema": webhook_output_schema(self.name),
        }


@cache
def _data(name: str) -> dict[str, Any]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def webhook_events() -> dict[str, WebhookEvent]:
    return {
        name: WebhookEvent(
            name, e["title"], " ".join(e["description"].split()), tuple(e["parts"]), bool(e["list_filter"]), e["source"]
        )
        for name, e in _data("events.yaml")["events"].items()
    }


def sources() -> dict[str, dict[str, str]]:
    return dict(_data("events.yaml")["sources"])


@cache
def _webhook_output_schema(name: str) -> dict[str, Any]:
    defs = _data("payload.yaml")["$defs"]
    event = webhook_events()[name]
    schema = copy.deepcopy(defs["envelope"])
    schema["title"] = event.title
    schema["properties"]["type"] = {**schema["properties"]["type"], "const": name}
    for part in event.parts:
        schema["properties"][part] = copy.deepcopy(defs["parts"][part])
    schema["$defs"] = {k: v for k, v in defs.items() if k not in ("envelope", "parts")}
    return schema


def webhook_output_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of `$.trigger` for a webhook event (a copy: callers may change it)."""
    return copy.deepcopy(_webhook_output_schema(name))


def webhook_trigger_schema(events: list[str]) -> dict[str, Any]:
    """`$.trigger` for a trigger listening to several events: any one of their payloads."""
    if len(events) == 1:
        return webhook_output_schema(events[0])
    schemas = [webhook_output_schema(e) for e in events]
    defs = schemas[0].pop("$defs")
    for s in schemas[1:]:
        s.pop("$defs")
    return {"oneOf": schemas, "$defs": defs}


def trigger_output_schema(connector: Any, trigger: dict[str, Any]) -> dict[str, Any] | None:
    """`$.trigger`'s schema for a webhook trigger (its events) or a poll trigger (its event)."""
    if trigger.get("type") == "webhook":
        events = [e for e in trigger.get("events") or [] if e in webhook_events()]
        return webhook_trigger_schema(events) if events else None
    if trigger.get("type") == "poll":
        from .polling import poll_output_schema, poll_specs

        return poll_output_schema(trigger["event"], connector) if trigger.get("event") in poll_specs() else None
    return None
